#!/usr/bin/env bash
# Our supervisor (build/bin/supervisor DIR) vs runit (runsvdir DIR), each as PID 1 of its own
# PID namespace (same wrapper as the init bench). Measures: service pick-up latency (a new
# service dir renamed into DIR -> its run program starts), restart latency after a healthy run
# (run lived 1.5 s and exited 1 -> run runs again), and the memory of every supervisor process
# (runit: runsvdir + one runsv per service) with 1, 100 and 1000 services; and at scale
# (section 4), beside runit and a floor that only forks and execs: start, stop, status, and the
# restarts of a crash loop. Every `run` is a symlink to svcprobe (bench/svcprobe.c), a static
# program that stamps the time first thing.
source "$(dirname "$0")/lib.sh"
bench_setup
mkdir -p "$T/ov" "$T/stage"

NS=(unshare --pid --fork --kill-child --mount-proc "$HB/etcov" "$T/ov")
declare -A CMD=([runit]="/usr/bin/runsvdir" [supervisor]="$BIN/supervisor")
SUPS=()
for n in runit supervisor; do
  if have "${CMD[$n]}"; then SUPS+=("$n"); else log "$n: ${CMD[$n]} not built/installed: n/a"; fi
done
declare -A V
cell() { echo "${V[$1.$2]:-n/a}"; }

# start_sup NAME DIR: starts supervisor NAME on DIR; $SUP_WRAPPER is the unshare, $SUP_PID PID 1.
start_sup() {
  # shellcheck disable=SC2086
  start_bg "${NS[@]}" ${CMD[$1]} "$2"
  SUP_WRAPPER=$LAST_PID
  SUP_PID=$(child_of "$SUP_WRAPPER") || log "$1 did not start"
}

# wait_lines FILE N SECONDS: until FILE has at least N lines.
wait_lines() {
  local i
  for i in $(seq 1 $(($3 * 50))); do
    [ "$(lines "$1")" -ge "$2" ] && return 0
    nap 0.02
  done
  return 1
}

echo "== supervisor: ours vs runit (runsvdir + runsv), each PID 1 of its own pid ns =="
echo "   $(nproc) CPUs, kernel $(uname -r), quick=$QUICK"

# --- 1. pick-up latency -----------------------------------------------------------------------------
# runsvdir looks at DIR every 5 s, so a sample's latency depends on where in that cycle the
# service appears: samples are spread over the cycle with offsets i*0.83 s mod 5.
PICKS=$(q 5 1)
for n in "${SUPS[@]}"; do
  log "pick-up: $n, $PICKS samples"
  dir=$T/pick.$n
  mkdir -p "$dir"
  start_sup "$n" "$dir"
  sleep 1
  for i in $(seq 1 "$PICKS"); do
    more_rounds "$i" "$([ "$n" = runit ] && echo 25 || echo 35)" "pick-up $n" || break
    sleep "$(awk -v i="$i" 'BEGIN { printf "%.2f", (i * 0.83) - int(i * 0.83 / 5) * 5 }')"
    s=$T/stage/$n.p$i
    mkdir -p "$s"
    ln -s "$HB/svcprobe" "$s/run"
    t0=$("$HB/stamp" --rename "$s" "$dir/p$i")
    if wait_lines "$dir/p$i/started" 1 15; then
      t1=$(head -n1 "$dir/p$i/started")
      awk -v a="$t1" -v b="$t0" 'BEGIN { printf "%.1f\n", (a - b) / 1e6 }' >>"$T/picklat.$n"
    else
      log "pick-up: $n did not start service p$i within 15 s"
    fi
  done
  stop_bg "$SUP_WRAPPER"
  read -r "V[$n.pick]" "V[$n.pick_min]" "V[$n.pick_max]" "V[$n.pick_n]" < <(stats "$T/picklat.$n" 1)
  V[$n.pick_max]=$(sort -n "$T/picklat.$n" 2>/dev/null | tail -n1)
done

echo
echo "-- pick-up: service dir renamed into DIR -> its run program (static svcprobe) starts (ms)"
row supervisor median_ms min_ms max_ms samples "median/runit"
for n in "${SUPS[@]}"; do
  row "$n" "$(cell "$n" pick)" "$(cell "$n" pick_min)" "$(cell "$n" pick_max)" "$(cell "$n" pick_n)" \
    "$(ratio "$(cell "$n" pick)" "$(cell runit pick)")"
done

# --- 2. restart latency after a healthy run ---------------------------------------------------------
CYCLES=$(q 5 1)
for n in "${SUPS[@]}"; do
  log "restart: $n, $CYCLES cycles of a 1.5 s run"
  dir=$T/restart.$n
  mkdir -p "$dir/crash"
  ln -s "$HB/svcprobe" "$dir/crash/run"
  echo 1500 >"$dir/crash/lifetime_ms"
  start_sup "$n" "$dir"
  wait_lines "$dir/crash/started" $((CYCLES + 1)) $((CYCLES * 3 + 15)) || log "restart: $n: fewer than $((CYCLES + 1)) starts"
  stop_bg "$SUP_WRAPPER"
  # start i+1 - exit i, in ms
  paste <(tail -n +2 "$dir/crash/started" 2>/dev/null) <(cat "$dir/crash/exited" 2>/dev/null) |
    awk 'NF == 2 { printf "%.2f\n", ($1 - $2) / 1e6 }' >"$T/rs.$n"
  read -r "V[$n.rs]" "V[$n.rs_min]" "V[$n.rs_p90]" "V[$n.rs_n]" < <(stats "$T/rs.$n" 2)
  V[$n.rs_max]=$(sort -n "$T/rs.$n" 2>/dev/null | tail -n1)
done

echo
echo "-- restart: run lived 1.5 s then exited 1 -> run starts again (ms)"
row supervisor median_ms min_ms max_ms samples "median/runit"
for n in "${SUPS[@]}"; do
  row "$n" "$(cell "$n" rs)" "$(cell "$n" rs_min)" "$(cell "$n" rs_max)" "$(cell "$n" rs_n)" \
    "$(ratio "$(cell "$n" rs)" "$(cell runit rs)")"
done

# --- 3. memory with 1, 100, 1000 services ----------------------------------------------------------
COUNTS=$(q "1 100 1000" "1 100")
echo
echo "-- memory of the supervisor processes (every process in the pid ns but the services' run; KiB)"
row "supervisor/services" procs rss_kb pss_kb private_kb running "pss/runit"
for c in $COUNTS; do
  for n in "${SUPS[@]}"; do
    log "memory: $n with $c services"
    dir=$T/mem.$n.$c
    for i in $(seq 1 "$c"); do
      mkdir -p "$dir/s$i"
      ln -s "$HB/svcprobe" "$dir/s$i/run"
    done
    start_sup "$n" "$dir"
    up=0
    for _ in $(seq 1 600); do # up to ~60 s for all services to run
      up=$("$HB/procstat" ns "${SUP_PID:-0}" run 2>/dev/null | cut -d' ' -f5)
      [ "${up:-0}" -ge "$c" ] && break
      nap 0.1
    done
    [ "${up:-0}" -ge "$c" ] || log "memory: $n: only ${up:-0} of $c services running"
    sleep 1
    read -r "V[$n.procs.$c]" "V[$n.rss.$c]" "V[$n.pss.$c]" "V[$n.priv.$c]" "V[$n.up.$c]" _ < <("$HB/procstat" ns "${SUP_PID:-0}" run)
    stop_bg "$SUP_WRAPPER"
    rm -rf "$dir"
    row "$n/$c" "$(cell "$n" "procs.$c")" "$(cell "$n" "rss.$c")" "$(cell "$n" "pss.$c")" "$(cell "$n" "priv.$c")" \
      "$(cell "$n" "up.$c")" "$(ratio "$(cell "$n" "pss.$c")" "$(cell runit "pss.$c")")"
  done
done

# --- 4. supervision at scale, beside runit and the floor --------------------------------------------
# N services whose run is svcprobe (it stamps its start, then waits for a signal). Each contender
# runs under `scale init` as PID 1 of its own PID namespace, which stamps the start, forwards the
# stop signal (TERM; HUP for runsvdir, which only exits on TERM) and stamps when no process is
# left. The floor (`scale floor`) only vforks and execs the N run programs, then TERMs them.
# Meanwhile a crash-looping service (run exits 1 at once) runs under each supervisor for a
# minute: its starts in the first 60 s.
SN=$(q 1000 200)
SROUNDS=$(q 3 1)
SDONE=0
CRASH_S=60
log "scale: $SN services, $SROUNDS rounds; crash loops for ${CRASH_S} s meanwhile"
declare -A CRASH_WRAP
for n in "${SUPS[@]}"; do
  mkdir -p "$T/crash.$n/c"
  ln -s "$HB/svcprobe" "$T/crash.$n/c/run"
  echo 0 >"$T/crash.$n/c/lifetime_ms"
  start_sup "$n" "$T/crash.$n"
  CRASH_WRAP[$n]=$SUP_WRAPPER
done
crash_t0=$SECONDS
CONTENDERS=(floor "${SUPS[@]}")
for c in "${CONTENDERS[@]}"; do
  for i in $(seq 1 "$SN"); do
    mkdir -p "$T/scale.$c/s$i"
    ln -s "$HB/svcprobe" "$T/scale.$c/s$i/run"
  done
done
# all_started DIR N: whether every sI/started exists (builtins only: no fork per poll).
all_started() {
  local f
  f=("$1"/s*/started)
  [ -e "${f[0]}" ] && [ "${#f[@]}" -ge "$2" ]
}
for r in $(seq 1 "$SROUNDS"); do
  # The rounds that fit in the whole budget: the first one always runs.
  more_rounds "$r" 100 "scale" || break
  SDONE=$r
  for c in "${CONTENDERS[@]}"; do
    dir=$T/scale.$c
    rm -f "$dir"/s*/started
    sig=TERM cmd=("$HB/scale" floor "$dir" "$SN")
    [ "$c" = runit ] && sig=HUP cmd=(/usr/bin/runsvdir "$dir")
    [ "$c" = supervisor ] && cmd=("$BIN/supervisor" "$dir")
    out=$T/scale.$c.$r
    start_bg unshare --pid --fork --kill-child --mount-proc "$HB/scale" init "$out" "$(kill -l "$sig")" "${cmd[@]}"
    wrapper=$LAST_PID
    ok=0
    for _ in $(seq 1 1200); do # up to ~120 s
      all_started "$dir" "$SN" && ok=1 && break
      nap 0.1
    done
    [ "$ok" = 1 ] || log "scale: $c: not all $SN services started"
    t0=$(awk '$1 == "start" { print $2 }' "$out")
    last=$(awk 'FNR == 1' "$dir"/s*/started | sort -n | tail -n1)
    [ "$ok" = 1 ] && awk -v a="$last" -v b="$t0" 'BEGIN { printf "%.1f\n", (a - b) / 1e6 }' >>"$T/sstart.$c"
    if [ "$c" != floor ]; then
      svbin=$BIN/sv
      [ "$c" = runit ] && svbin=/usr/bin/sv
      # The stop is timed from a settled state: every status file rewritten since this round
      # began (each is written after its service started, by runsv or by our loop; on this
      # VM's ext4, mounted with `discard`, a thousand of them take seconds).
      for _ in $(seq 1 480); do
        [ "$(find "$dir" -path '*/supervise/status' -newer "$out" | wc -l)" -ge "$SN" ] && break
        nap 0.25
      done
      read -r us _ < <("$HB/timeit" 3 1 "$svbin" status "$dir"/s*)
      isnum "$us" && awk -v u="$us" 'BEGIN { printf "%.1f\n", u / 1000 }' >>"$T/sstatus.$c"
    fi
    nap 1
    init=$(child_of "$wrapper") && kill -TERM "$init"
    for _ in $(seq 1 1200); do
      grep -q '^gone ' "$out" 2>/dev/null && break
      nap 0.05
    done
    awk '$1 == "term" { t = $2 } $1 == "gone" { g = $2 } END { if (t && g) printf "%.1f\n", (g - t) / 1e6 }' \
      "$out" >>"$T/sstop.$c"
    stop_bg "$wrapper"
  done
done
while [ $((SECONDS - crash_t0)) -lt $((CRASH_S + 1)) ]; do nap 0.5; done
for n in "${SUPS[@]}"; do
  stop_bg "${CRASH_WRAP[$n]}"
  # starts in the first CRASH_S seconds after the first one, minus that first one
  V[$n.crash]=$(awk -v w="$CRASH_S" 'NR == 1 { f = $1 } $1 - f <= w * 1e9 { n++ } END { print n ? n - 1 : "n/a" }' \
    "$T/crash.$n/c/started" 2>/dev/null)
done
for c in "${CONTENDERS[@]}"; do
  V[$c.sstart]=$(median "$T/sstart.$c")
  V[$c.sstop]=$(median "$T/sstop.$c")
  V[$c.sstatus]=$(median "$T/sstatus.$c")
done
V[floor.sstatus]=n/a V[floor.crash]=n/a

echo
echo "-- $SN services (run: svcprobe), medians of $SDONE round(s): start -> all running, SIGTERM -> no process"
echo "   left, sv status of all (ms); restarts of a crash loop in its first ${CRASH_S} s"
row contender start_ms "start/floor" stop_ms "stop/runit" status_ms crash_restarts
for c in "${CONTENDERS[@]}"; do
  row "$c" "$(cell "$c" sstart)" "$(ratio "$(cell "$c" sstart)" "$(cell floor sstart)")" \
    "$(cell "$c" sstop)" "$(ratio "$(cell "$c" sstop)" "$(cell runit sstop)")" "$(cell "$c" sstatus)" \
    "$(cell "$c" crash)"
done

# --- metrics ----------------------------------------------------------------------------------------
echo
metric supervisor_pickup ms supervisor "$(cell supervisor pick)" runit "$(cell runit pick)" le:100 "a new service directory until its run is running (median)"
metric supervisor_restart ms supervisor "$(cell supervisor rs)" runit "$(cell runit rs)" le:10 "restart after a healthy run: exit until the next run starts (median)"
# Bars: stop within a quarter of runit's time, start within 1.5 times the floor's.
stop_bar=none start_bar=none
isnum "$(cell runit sstop)" && stop_bar=$(awk -v r="$(cell runit sstop)" 'BEGIN { printf "le:%.1f", r * 0.25 }')
isnum "$(cell floor sstart)" && start_bar=$(awk -v f="$(cell floor sstart)" 'BEGIN { printf "le:%.1f", f * 1.5 }')
metric "supervisor_stop_${SN}_services" ms supervisor "$(cell supervisor sstop)" runit "$(cell runit sstop)" "$stop_bar" "SIGTERM until all $SN services are gone (bar: 0.25x runit)"
metric "supervisor_start_${SN}_services" ms supervisor "$(cell supervisor sstart)" floor "$(cell floor sstart)" "$start_bar" "start until all $SN services run; floor: a loop that only vforks and execs them (bar: 1.5x floor)"
metric "supervisor_status_${SN}_services" ms supervisor "$(cell supervisor sstatus)" runit "$(cell runit sstatus)" none "sv status of all $SN services"
metric supervisor_crash_restarts_first_minute restarts supervisor "$(cell supervisor crash)" runit "$(cell runit crash)" le:10 "starts of a service that exits at once, in its first minute"
for c in $COUNTS; do
  bar=none
  [ "$c" = 1000 ] && bar=le_peer
  metric "supervisor_pss_${c}_services" KiB supervisor "$(cell supervisor "pss.$c")" runit "$(cell runit "pss.$c")" $bar "memory (PSS) supervising $c services that sleep"
done
exit 0
