#!/usr/bin/env bash
# cinit vs tini, dumb-init and catatonit, each as PID 1 of a fresh PID namespace:
#   unshare --pid --fork --kill-child --mount-proc etcov DIR INIT ... CMD
# where etcov overlays /etc with a per-run tmpfs upper layer (the host's /etc is never written)
# for every init alike. Measures spawn overhead, idle memory and wake-ups, reaping 20,000
# orphans, SIGTERM forwarding latency and binary size. Ratios are against tini. `cinit` is cinit
# as users run it (its defaults); variants with flags are named for them and are never the row
# a bar judges.
source "$(dirname "$0")/lib.sh"
bench_setup
mkdir -p "$T/ov"

NS=(unshare --pid --fork --kill-child --mount-proc "$HB/etcov" "$T/ov")
declare -A CMD=(
  [bare]=""
  [tini]="/usr/bin/tini --"
  [tini-static]="/usr/bin/tini-static --"
  [dumb-init]="/usr/bin/dumb-init"
  [catatonit]="/usr/bin/catatonit --"
  [cinit]="$BIN/cinit --"
  [cinit-lean]="$BIN/cinit --skip-startup-files --no-kill-all-on-exit --"
  [cinit-skip-runit]="$BIN/cinit --skip-startup-files --skip-runit --no-kill-all-on-exit --"
)
PEERS=(tini tini-static dumb-init catatonit)
OURS=(cinit cinit-lean cinit-skip-runit)
# label NAME: the command line as a user would type it, for the results file ("cinit --skip-runit").
label() {
  local c=${CMD[$1]#"$BIN/"}
  echo "${c% --}"
}
ALL=()
for n in bare "${PEERS[@]}" "${OURS[@]}"; do
  exe=${CMD[$n]%% *}
  if [ -z "$exe" ] || have "$exe"; then ALL+=("$n"); else log "$n: $exe not built/installed: n/a"; fi
done
INITS=()
for n in "${ALL[@]}"; do [ "$n" != bare ] && INITS+=("$n"); done

# Rotates the list by ROUND so that a burst of load from elsewhere does not hit one init only.
rotated() {
  local r=$1
  shift
  local a=("$@") i
  for i in "${!a[@]}"; do echo "${a[$(((i + r) % ${#a[@]}))]}"; done
}

# cell NAME METRIC: a measured value or n/a.
declare -A V
cell() { echo "${V[$1.$2]:-n/a}"; }

echo "== init: cinit vs tini, dumb-init, catatonit (PID 1 in a fresh pid+mount ns, /etc overlaid) =="
echo "   $(nproc) CPUs, kernel $(uname -r), quick=$QUICK"
for n in "${OURS[@]}"; do echo "   $n: $(label "$n")"; done
echo "   cinit-services: cinit with an empty /etc/service, so that its supervisor runs (idle only)"

# --- 1. spawn overhead: INIT /bin/true, pooled over interleaved rounds ----------------------------
# 600 runs each: one run spreads over several ms here, the inits differ by a few hundred us,
# and the overhead is a difference of two medians (200 runs left it within noise).
ROUNDS=$(q 15 2) PER=$(q 40 10)
log "spawn: $ROUNDS rounds x $PER runs of INIT true"
for r in $(seq 1 "$ROUNDS"); do
  more_rounds "$r" 75 spawn || break
  for n in $(rotated "$r" "${ALL[@]}"); do
    # shellcheck disable=SC2086 # CMD entries are word lists
    TIMEIT_SAMPLES=$T/spawn.$n timeout -k 5 300 "$HB/timeit" "$PER" 3 "${NS[@]}" ${CMD[$n]} /bin/true >"$T/spawn.$n.last" ||
      log "spawn: $n timed out"
    [ "$(cut -d' ' -f4 "$T/spawn.$n.last" 2>/dev/null)" = 0 ] || log "spawn: $n: some runs failed: $(cat "$T/spawn.$n.last")"
  done
done
for n in "${ALL[@]}"; do read -r "V[$n.spawn]" "V[$n.spawn_min]" "V[$n.spawn_p90]" "V[$n.spawn_n]" < <(stats "$T/spawn.$n"); done
for n in "${ALL[@]}"; do
  V[$n.over]=$(sub "$(cell "$n" spawn)" "$(cell bare spawn)")
  V[$n.over_min]=$(sub "$(cell "$n" spawn_min)" "$(cell bare spawn_min)")
done
echo
echo "-- spawn: INIT true (us; overhead = median - bare median, overhead_min = min - bare min;"
echo "   $(cell bare spawn_n) runs each, in interleaved rounds)"
row init median_us min_us p90_us overhead_us overhead_min "overhead/tini"
for n in "${ALL[@]}"; do
  row "$n" "$(cell "$n" spawn)" "$(cell "$n" spawn_min)" "$(cell "$n" spawn_p90)" "$(cell "$n" over)" \
    "$(cell "$n" over_min)" "$(ratio "$(cell "$n" over)" "$(cell tini over)")"
done

# --- 2. idle: INIT sleep 1000, all at once; memory, then context switches over 5 s ------------------
log "idle: memory and wake-ups over 5 s"
# cinit-services: cinit's defaults with an empty /etc/service (etcov makes it), so that the
# supervisor is up too; ETCOV_SERVICES reaches etcov through unshare.
IDLE=("${INITS[@]}")
if have "$BIN/cinit"; then
  CMD[cinit-services]=${CMD[cinit]}
  IDLE+=(cinit-services)
fi
declare -A IPID
for n in "${IDLE[@]}"; do
  services=0
  [ "$n" = cinit-services ] && services=1
  # shellcheck disable=SC2086
  start_bg env ETCOV_SERVICES=$services "${NS[@]}" ${CMD[$n]} /bin/sleep 1000
  IPID[$n]=$(child_of "$LAST_PID") || log "idle: $n did not start"
  V[$n.wrapper]=$LAST_PID
done
# Wait until each init runs its command (sleep is a child in the namespace), then let it settle.
for n in "${IDLE[@]}"; do
  for _ in $(seq 1 250); do
    [ "$(cut -d' ' -f5 < <("$HB/procstat" ns "${IPID[$n]:-0}" sleep 2>/dev/null))" = 1 ] && break
    sleep 0.02
  done
done
sleep 1
for n in "${IDLE[@]}"; do
  p=${IPID[$n]:-0}
  read -r "V[$n.rss]" "V[$n.pss]" "V[$n.priv]" "V[$n.pdirty]" "V[$n.cs0]" < <("$HB/procstat" "$p" 2>/dev/null || echo n/a n/a n/a n/a n/a)
  read -r _ _ "V[$n.nspss]" _ _ "V[$n.nscs0]" < <("$HB/procstat" ns "$p" sleep 2>/dev/null || echo n/a n/a n/a n/a n/a n/a)
done
sleep 5
for n in "${IDLE[@]}"; do
  p=${IPID[$n]:-0}
  cs1=$("$HB/procstat" "$p" 2>/dev/null | cut -d' ' -f5)
  nscs1=$("$HB/procstat" ns "$p" sleep 2>/dev/null | cut -d' ' -f6)
  V[$n.wake]=$(sub "$cs1" "$(cell "$n" cs0)")
  V[$n.nswake]=$(sub "$nscs1" "$(cell "$n" nscs0)")
  stop_bg "${V[$n.wrapper]}"
done
echo
echo "-- idle: INIT sleep 1000 (KiB; private = Private_Clean+Private_Dirty; ns_* = every process in the"
echo "   namespace except sleep, e.g. cinit's supervisor; wake-ups = context switches in 5 s)"
row init rss_kb pss_kb private_kb priv_dirty_kb ns_pss_kb wakeups_5s ns_wakeups_5s "rss/tini"
for n in "${IDLE[@]}"; do
  row "$n" "$(cell "$n" rss)" "$(cell "$n" pss)" "$(cell "$n" priv)" "$(cell "$n" pdirty)" "$(cell "$n" nspss)" \
    "$(cell "$n" wake)" "$(cell "$n" nswake)" "$(ratio "$(cell "$n" rss)" "$(cell tini rss)")"
done

# --- 3. reaping 20,000 orphans ----------------------------------------------------------------------
# 5 rounds: one round can swing 3x (tini here: 0.7 s to 7 s), the median of 3 was not enough.
ORPHANS=$(q 20000 5000) OROUNDS=$(q 5 1)
# 20,000 orphans alive at once take 20,000 pids; keep 10,000 free for everyone else on the
# machine, and release them in smaller bursts if pid_max is too small for that.
threads=$(awk '{ split($4, a, "/"); print a[2] }' /proc/loadavg)
free_pids=$(($(cat /proc/sys/kernel/pid_max) - threads - 10000))
BATCH=$ORPHANS
while [ "$BATCH" -gt "$free_pids" ] && [ "$BATCH" -gt 1000 ]; do BATCH=$((BATCH / 2)); done
log "orphans: $OROUNDS rounds of $ORPHANS orphans (bursts of $BATCH)"
RINITS=()
for n in "${INITS[@]}"; do [[ $n != cinit-* ]] && RINITS+=("$n"); done
for r in $(seq 1 "$OROUNDS"); do
  more_rounds "$r" 120 orphans || break
  for n in $(rotated "$r" "${RINITS[@]}"); do
    t0=$(date +%s%N)
    # shellcheck disable=SC2086
    out=$(timeout -k 5 300 "${NS[@]}" ${CMD[$n]} "$HB/orphans" "$ORPHANS" "$BATCH" 2>"$T/orph.err")
    rc=$?
    t1=$(date +%s%N)
    if [ $rc = 0 ] && [[ $out =~ reap_ms=([0-9.]+) ]]; then
      echo "${BASH_REMATCH[1]}" >>"$T/reap.$n"
      echo $(((t1 - t0) / 1000000)) >>"$T/orphwall.$n"
    else
      log "orphans: $n failed (rc $rc): $out $(head -c 300 "$T/orph.err")"
    fi
  done
done
echo
echo "-- orphans: $ORPHANS grandchildren exit at once (bursts of $BATCH); reap = barrier -> last one reaped;"
echo "   wall = whole INIT orphans command incl. creating them (ms, median over rounds)"
row init reap_ms wall_ms runs "reap/tini"
for n in "${RINITS[@]}"; do
  V[$n.reap]=$(median "$T/reap.$n")
  V[$n.owall]=$(median "$T/orphwall.$n")
  row "$n" "$(cell "$n" reap)" "$(cell "$n" owall)" "$(lines "$T/reap.$n")" "$(ratio "$(cell "$n" reap)" "$(cell tini reap)")"
done

# --- 4. SIGTERM forwarding latency ------------------------------------------------------------------
# 120 samples each: one sample spreads over +-30% (two wake-ups on a shared CPU), and the inits
# differ by tens of microseconds.
SROUNDS=$(q 6 1) SPER=$(q 20 5)
log "sigterm: $SROUNDS rounds x $SPER"
for r in $(seq 1 "$SROUNDS"); do
  more_rounds "$r" 150 sigterm || break
  for n in $(rotated "$r" "${ALL[@]}"); do
    # shellcheck disable=SC2086
    SIGPROBE_SAMPLES=$T/sig.$n timeout -k 5 300 "$HB/sigprobe" drive "$SPER" "$T/fifo" \
      "${NS[@]}" ${CMD[$n]} "$HB/sigprobe" probe "$T/fifo" >"$T/sig.$n.last" || log "sigterm: $n: $(cat "$T/sig.$n.last")"
  done
done
echo
echo "-- SIGTERM: kill(init) -> the command's handler runs (us; bare = the probe is PID 1 itself)"
row init median_us min_us p90_us samples "median/tini"
for n in "${ALL[@]}"; do
  read -r "V[$n.sig]" "V[$n.sig_min]" "V[$n.sig_p90]" "V[$n.sig_n]" < <(stats "$T/sig.$n")
  row "$n" "$(cell "$n" sig)" "$(cell "$n" sig_min)" "$(cell "$n" sig_p90)" "$(cell "$n" sig_n)" \
    "$(ratio "$(cell "$n" sig)" "$(cell tini sig)")"
done

# --- 5. binary size ---------------------------------------------------------------------------------
echo
echo "-- binary size (bytes as installed, and stripped; static = needs no shared libraries)"
row init bytes stripped linkage "stripped/tini"
for n in "${INITS[@]}"; do
  [[ $n == cinit-* ]] && continue
  exe=${CMD[$n]%% *}
  V[$n.size]=$(stat -L -c %s "$exe")
  strip -o "$T/stripped" "$exe" 2>/dev/null && V[$n.ssize]=$(stat -c %s "$T/stripped")
  case $(file -L "$exe") in *"statically linked"* | *"static-pie linked"*) link=static ;; *) link=dynamic ;; esac
  row "$n" "$(cell "$n" size)" "$(cell "$n" ssize)" "$link" "$(ratio "$(cell "$n" ssize)" "$(cell tini ssize)")"
done

# --- metrics ----------------------------------------------------------------------------------------
best_peer() { # METRIC -> "NAME VALUE" of the peer with the smallest value
  local p args=()
  for p in "${PEERS[@]}"; do args+=("$p=$(cell "$p" "$1")"); done
  best "${args[@]}"
}
echo
read -r bn bv < <(best_peer over)
what="\`INIT true\`: time over a bare \`true\`, PID 1 of a fresh PID namespace (median)"
metric init_spawn_overhead us "$(label cinit)" "$(cell cinit over)" "$bn" "$bv" le_peer "$what"
metric init_spawn_overhead_lean us "$(label cinit-lean)" "$(cell cinit-lean over)" "$bn" "$bv" none "$what"
metric init_spawn_overhead_skip_runit us "$(label cinit-skip-runit)" "$(cell cinit-skip-runit over)" "$bn" "$bv" none "$what"
read -r bn bv < <(best_peer sig)
what="SIGTERM to PID 1 until the command's handler runs (median)"
metric init_sigterm_forwarding us "$(label cinit)" "$(cell cinit sig)" "$bn" "$bv" le_peer "$what"
metric init_sigterm_forwarding_skip_runit us "$(label cinit-skip-runit)" "$(cell cinit-skip-runit sig)" "$bn" "$bv" none "$what"
metric "init_reap_${ORPHANS}_orphans" ms "$(label cinit)" "$(cell cinit reap)" tini "$(cell tini reap)" le_peer \
  "reaping $ORPHANS orphans that exit at once (median of $(lines "$T/reap.cinit") rounds)"
read -r bn bv < <(best_peer rss)
metric init_idle_rss KiB "$(label cinit)" "$(cell cinit rss)" "$bn" "$bv" le:1024 "resident memory of the idle init (RSS)"
read -r bn bv < <(best_peer priv)
metric init_idle_private KiB "$(label cinit)" "$(cell cinit priv)" "$bn" "$bv" le:256 "private memory of the idle init"
read -r bn bv < <(best_peer wake)
metric init_idle_wakeups_5s count "$(label cinit)" "$(cell cinit wake)" "$bn" "$bv" le:0 "wake-ups of the idle init in 5 s"
metric init_idle_wakeups_5s_with_supervisor count "$(label cinit), its supervisor on an empty /etc/service" \
  "$(cell cinit-services nswake)" "$bn" "$bv" le:0 "wake-ups of the idle init in 5 s, its processes together"
read -r bn bv < <(best_peer ssize)
metric init_binary_size_stripped bytes "$(label cinit)" "$(cell cinit ssize)" "$bn" "$bv" none "size of the binary, stripped"
exit 0
