# Shared by the benchmarks: a private temp dir, the small C helpers (built here, not by the main
# build), processes we started (killed by pid, never by name), pooled statistics, the tables,
# the `metric:` lines and the results file they go to. Sourced by bench/*.sh.
# shellcheck shell=bash

set -u
: "${BUILD:=build}"
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$BUILD/bench"
BUILD_ABS=$(cd "$BUILD" && pwd)
# shellcheck disable=SC2034 # used by the scripts that source this file
BIN=$BUILD_ABS/bin # our programs
HB=$BUILD_ABS/bench # helpers, caches, results
QUICK=${BENCH_QUICK:-0}
STARTED=() # pids of background processes this script started

# q FULL QUICK: the repetition count for the current mode.
q() { if [ "$QUICK" = 1 ]; then echo "$2"; else echo "$1"; fi; }

log() { echo "[bench] $*" >&2; }

build_helpers() {
  local src out
  for src in "$BENCH_DIR"/*.c; do
    out=$HB/$(basename "$src" .c)
    if [ ! -x "$out" ] || [ "$src" -nt "$out" ] || [ "$BENCH_DIR/samples.h" -nt "$out" ]; then
      gcc -O2 -Wall -Wextra -static -o "$out.tmp" "$src" && mv "$out.tmp" "$out" || return 1
    fi
  done
}

bench_setup() {
  T=$(mktemp -d /tmp/cinit-bench.XXXXXX)
  chmod 755 "$T"
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
  build_helpers || {
    echo "bench: fatal: unable to build the helpers in '$HB'" >&2
    exit 1
  }
}

# bench_user_setup: $USER_NAME (BENCH_USER, default cinit-test) with a home in $T, timeit and our
# programs in $T/bin (the checkout may be out of the user's reach), and as_user to run as it.
bench_user_setup() {
  USER_NAME=${BENCH_USER:-cinit-test}
  id "$USER_NAME" >/dev/null 2>&1 || {
    echo "bench: fatal: unable to find user '$USER_NAME' (make deps creates it)" >&2
    exit 1
  }
  mkdir -p "$T/bin" "$T/home"
  cp "$HB/timeit" "$T/bin/"
  have "$BIN/launcher" && cp "$BIN"/* "$T/bin/" 2>/dev/null
  chown -R "$USER_NAME:" "$T/home"
}

# as_user CMD...: CMD as the bench user, bounded like everything else here; BENCH_USER_ENV
# (NAME=value words) is added to its environment.
as_user() {
  # shellcheck disable=SC2086
  timeout -k 5 600 runuser -u "$USER_NAME" -- env HOME="$T/home" USER="$USER_NAME" \
    XDG_DATA_HOME="$T/home/xdg" ${BENCH_USER_ENV:-} "$@"
}

# busybox_image: $T/rootfs, a busybox root filesystem (for bwrap, ch-run), and $T/oci-bb, an
# OCI layout of it that the bench user owns (for the launcher).
busybox_image() {
  local r=$T/rootfs a
  mkdir -p "$r/bin" "$r"/{dev,proc,sys,tmp,etc,root,home,mnt,run,usr,var}
  cp /usr/bin/busybox "$r/bin/busybox"
  for a in $("$r/bin/busybox" --list); do [ "$a" = busybox ] || ln -s busybox "$r/bin/$a"; done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
  echo 'root:x:0:' >"$r/etc/group"
  chmod 1777 "$r/tmp"
  # unpack + repack (not `umoci insert`, whose layers lack the tar trailer and, inserted at /,
  # carry an absolute "/" entry).
  {
    umoci init --layout "$T/oci-bb" &&
      umoci new --image "$T/oci-bb:latest" &&
      umoci unpack --image "$T/oci-bb:latest" "$T/bundle-bb" &&
      cp -a "$r/." "$T/bundle-bb/rootfs/" &&
      umoci repack --image "$T/oci-bb:latest" "$T/bundle-bb" &&
      umoci config --image "$T/oci-bb:latest" --config.cmd /bin/sh &&
      umoci gc --layout "$T/oci-bb"
  } >"$T/umoci.log" 2>&1 || log "umoci could not make the busybox image: $(tail -n3 "$T/umoci.log")"
  rm -rf "$T/bundle-bb"
  chown -R "$USER_NAME:" "$T/oci-bb"
}

# kill_started PID: SIGKILL the direct children of PID (for `unshare --fork` that is the PID 1
# of the namespace, whose death ends every process in it), then PID itself.
kill_started() {
  local p=$1 c
  local kids=()
  read -r -a kids 2>/dev/null <"/proc/$p/task/$p/children"
  for c in "${kids[@]}"; do kill -KILL "$c" 2>/dev/null; done
  kill -KILL "$p" 2>/dev/null
  wait "$p" 2>/dev/null
  return 0
}

bench_cleanup() {
  local rc=$? p
  for p in "${STARTED[@]}"; do kill_started "$p"; done
  # Files made inside user namespaces may belong to sub-ids: root removes them all.
  rm -rf "$T" 2>/dev/null
  exit "$rc"
}

# start_bg CMD...: runs CMD in the background (output discarded); its pid is in $LAST_PID.
start_bg() {
  "$@" </dev/null >/dev/null 2>&1 &
  LAST_PID=$!
  STARTED+=("$LAST_PID")
}

# stop_bg PID: kills a process start_bg started (and the namespace it made).
stop_bg() {
  local p=$1 i
  kill_started "$p"
  for i in "${!STARTED[@]}"; do [ "${STARTED[$i]}" = "$p" ] && unset "STARTED[$i]"; done
  return 0
}

# child_of PID [SECONDS]: prints PID's first child once it exists (the init under unshare --fork).
child_of() {
  local p=$1 i c
  for i in $(seq 1 $((${2:-5} * 50))); do
    c=$(cut -d' ' -f1 "/proc/$p/task/$p/children" 2>/dev/null)
    [ -n "$c" ] && echo "$c" && return 0
    nap 0.02
  done
  return 1
}

# stats FILE [DECIMALS]: "median min p90 n" of the numbers in FILE (one a line), "n/a n/a n/a 0"
# if none.
stats() {
  sort -n "$1" 2>/dev/null | awk -v d="${2:-0}" '{ a[NR] = $1 }
    END {
      if (NR == 0) { print "n/a n/a n/a 0"; exit }
      m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
      f = "%." d "f"
      printf f " " f " " f " %d\n", m, a[1], a[int((NR - 1) * 0.9 + 0.5) + 1], NR
    }'
}

# median FILE
median() { stats "$1" | cut -d' ' -f1; }

isnum() { [[ ${1:-} =~ ^-?[0-9]+([.][0-9]+)?$ ]]; }

# ratio A B: A/B with two decimals, n/a unless both are numbers and B > 0.
ratio() {
  if isnum "${1:-}" && isnum "${2:-}" && awk -v b="$2" 'BEGIN { exit !(b > 0) }'; then
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
  else
    echo n/a
  fi
}

# sub A B: A-B, n/a unless both are numbers.
sub() {
  if isnum "${1:-}" && isnum "${2:-}"; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", a - b }'; else echo n/a; fi
}

# row FIRST COLS...: one aligned table line.
row() {
  printf '%-30s' "$1"
  shift
  local c
  for c in "$@"; do printf ' %13s' "$c"; done
  printf '\n'
}

# best NAME=VALUE...: prints "NAME VALUE" of the smallest numeric VALUE ("none n/a" if none).
best() {
  local kv n v bn=none bv=n/a
  for kv in "$@"; do
    n=${kv%%=*} v=${kv#*=}
    isnum "$v" || continue
    if [ "$bv" = n/a ] || awk -v a="$v" -v b="$bv" 'BEGIN { exit !(a < b) }'; then bn=$n bv=$v; fi
  done
  echo "$bn $bv"
}

# The results file: one tab-separated row per `metric` call, under a header naming the columns.
# bench/run.sh starts it (and exports where); a part run alone writes $HB/results.tsv. Date,
# commit and machine are the run's, so that a row quoted elsewhere says where it came from.
RESULTS_COLUMNS=(metric description unit ours_label ours peer_label peer ratio bar verdict mode date commit machine)
: "${BENCH_RESULTS:=$HB/results.tsv}"
: "${BENCH_DATE:=$(date -u '+%Y-%m-%d %H:%M UTC')}"
: "${BENCH_COMMIT:=$(git -C "$BENCH_DIR" describe --always --dirty --abbrev=12 2>/dev/null || echo unknown)}"
: "${BENCH_MACHINE:=$(nproc) CPUs ($(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r)}"

# results_start FILE: an empty results file (the header alone).
results_start() {
  local IFS=$'\t'
  echo "${RESULTS_COLUMNS[*]}" >"$1"
}

# results_add FIELDS...: appends one row; tabs and newlines inside a field become spaces.
results_add() {
  local f out=() IFS=$'\t'
  [ -s "$BENCH_RESULTS" ] || results_start "$BENCH_RESULTS"
  for f in "$@"; do
    f=${f//$'\t'/ }
    out+=("${f//$'\n'/ }")
  done
  echo "${out[*]}" >>"$BENCH_RESULTS"
}

# results_with FILE VERDICT: the names of the rows with that verdict, one a line.
results_with() {
  awk -F'\t' -v v="$2" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $col["verdict"] == v { print $col["metric"] }' "$1"
}

# metric NAME UNIT OURS_LABEL OURS PEER_LABEL PEER BAR [DESCRIPTION]
# BAR: le_peer | ge_peer (ours must be <= / >= the peer's), le:N (ours <= N), or none.
# OURS_LABEL is the program as it ran: name any flag beyond its defaults ("cinit --skip-runit").
# DESCRIPTION says what is measured, in words, for the README (the name stands in without it).
# Prints the one line per metric that the summary collects and adds the row to the results file.
metric() {
  local name=$1 unit=$2 ol=$3 ov=$4 pl=$5 pv=$6 bar=$7 desc=${8:-} verdict=info op='' limit=$6 text vs
  case $bar in
  le_peer) op='<=' text="<= $pl" ;;
  ge_peer) op='>=' text=">= $pl" ;;
  le:*) op='<=' limit=${bar#le:} text="<= ${bar#le:} $unit" ;;
  none) ;;
  *)
    echo "bench: fatal: unable to judge metric '$name': unknown bar '$bar'" >&2
    exit 1
    ;;
  esac
  isnum "$ov" || ov=n/a
  isnum "$pv" || pv=n/a
  vs="vs best peer $pl $pv $unit (ratio $(ratio "$ov" "$pv"))"
  [ "$pl" = none ] && vs="(no peer)"
  if [ -n "$op" ] && isnum "$ov" && isnum "$limit"; then
    verdict=$(cmp_verdict "$ov" "$op" "$limit")
    vs+=" $verdict (bar: $text)"
  elif [ -n "$op" ]; then
    verdict=n/a # unchecked: one side was not measured
    vs+=" n/a (bar: $text, unchecked)"
  fi
  echo "metric: $name: $ol $ov $unit $vs"
  results_add "$name" "$desc" "$unit" "$ol" "$ov" "$pl" "$pv" "$(ratio "$ov" "$pv")" "$bar" "$verdict" \
    "$([ "$QUICK" = 1 ] && echo quick || echo full)" "$BENCH_DATE" "$BENCH_COMMIT" "$BENCH_MACHINE"
}

# cmp_verdict A OP B: PASS if A OP B holds (OP is <= or >=), MISS otherwise.
cmp_verdict() {
  if awk -v a="$1" -v b="$3" -v op="$2" 'BEGIN { exit !(op == "<=" ? a <= b : a >= b) }'; then
    echo PASS
  else
    echo MISS
  fi
}

have() { [ -x "$1" ]; }

# nap SECONDS: sleep without forking (a read that times out on a pipe nobody writes), so that
# polling loops do not load the 2 CPUs the measured programs run on.
exec {NAP_FD}<> <(:)
nap() { read -r -t "$1" -u "$NAP_FD" _ || true; }

# lines FILE: number of lines in FILE (0 if absent), without forking.
lines() {
  local l=()
  [ -r "$1" ] && mapfile -t l <"$1"
  echo "${#l[@]}"
}

# The script's time budget (run.sh sets it; a loaded machine makes every run slower): loops that
# repeat rounds stop adding rounds once past their share, but always do the first one.
BUDGET=${BENCH_BUDGET:-300}
# within PERCENT: true while this script has used less than PERCENT of its budget.
within() { [ "$SECONDS" -lt $((BUDGET * $1 / 100)) ]; }
# more_rounds ROUND PERCENT WHAT: whether to start round ROUND (logs when the budget ends it).
more_rounds() {
  [ "$1" -le 1 ] && return 0
  within "$2" && return 0
  log "$3: time budget reached, stopping after $(($1 - 1)) round(s)"
  return 1
}
