#!/usr/bin/env bash
# `make bench`: runs bench/{init,supervisor,launcher}.sh (each skips what is not built), prints
# their tables, and writes everything plus a summary of the `metric:` lines to
# $BUILD/bench/results.txt. BENCH_QUICK=1: a ~1 minute smoke run with few repetitions.
# BENCH_ONLY="init supervisor": run only those.
set -u
: "${BUILD:=build}"
export BUILD
cd "$(dirname "$0")/.." || exit 1
[ "$(id -u)" = 0 ] || {
  echo "bench: fatal: unable to run: the benchmarks need root (PID namespaces, overlay mounts)" >&2
  exit 1
}
mkdir -p "$BUILD/bench"
OUT=$BUILD/bench
RESULTS=$OUT/results.txt

# The whole bench stays under ~10 minutes: each part gets a time budget (it stops adding rounds
# past it) and a hard limit above that. The launcher's first run also makes its 200 MB test
# image (cached in $BUILD/bench/cache afterwards).
declare -A BUDGET=([init]=200 [supervisor]=160 [launcher]=150)
[ "${BENCH_QUICK:-0}" = 1 ] && BUDGET=([init]=40 [supervisor]=40 [launcher]=40)
parts=${BENCH_ONLY:-init supervisor launcher}
start=$(date +%s)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
for p in $parts; do
  echo
  t0=$(date +%s)
  # Progress lines ([bench] ...) and any error go into the results too, in order.
  BENCH_BUDGET=${BUDGET[$p]:-200} timeout -k 10 $((${BUDGET[$p]:-200} + 240)) "bench/$p.sh" 2>&1 | tee "$OUT/$p.out"
  rc=${PIPESTATUS[0]}
  [ "$rc" = 0 ] || echo "[bench] $p ended with status $rc" | tee -a "$OUT/$p.out"
  echo "[bench] $p took $(($(date +%s) - t0)) s" | tee -a "$OUT/$p.out"
done

{
  echo "cinit benchmarks — $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r)," \
    "load average at the start: $load0, at the end: $(cut -d' ' -f1-3 /proc/loadavg);" \
    "quick=${BENCH_QUICK:-0}; took $(($(date +%s) - start)) s"
  for p in $parts; do
    echo
    cat "$OUT/$p.out" 2>/dev/null
  done
  echo
  echo "== summary =="
  for p in $parts; do grep -h '^metric:' "$OUT/$p.out" 2>/dev/null; done
} >"$RESULTS"
echo
echo "== summary (also in $RESULTS) =="
for p in $parts; do grep -h '^metric:' "$OUT/$p.out" 2>/dev/null; done | sed 's/^/  /'
missed=$(sed -n '/^== summary ==/,$p' "$RESULTS" | grep -c '^metric:.* MISS (')
echo "bench: $missed bar(s) missed"
exit 0
