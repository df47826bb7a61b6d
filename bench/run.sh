#!/usr/bin/env bash
# `make bench`: runs bench/{init,supervisor,launcher,slurm}.sh (each skips what is not built), prints
# their tables, writes them to $BUILD/bench/results.txt and one row per metric to
# $BUILD/bench/results.tsv (the columns are in bench/lib.sh). A full run of every part also
# copies the rows to bench/results/latest.tsv, the only source of the README's figures, and
# regenerates the README's tables from it (scripts/bench-readme.sh). Exits 1 when a bar is
# missed or a part fails. BENCH_QUICK=1: a ~1 minute smoke run with few repetitions.
# BENCH_ONLY="init supervisor": run only those (BENCH_LAUNCHER="import pull": only those
# sections of the launcher's). Neither touches bench/results/ or the README.
set -u
: "${BUILD:=build}"
export BUILD
cd "$(dirname "$0")/.." || exit 1
[ "$(id -u)" = 0 ] || {
  echo "bench: fatal: unable to run: the benchmarks need root (PID namespaces, overlay mounts)" >&2
  exit 1
}
source bench/lib.sh
OUT=$BUILD/bench
RESULTS=$OUT/results.txt
# Every part appends to one results file, with the same date, commit and machine.
BENCH_RESULTS=$OUT/results.tsv
export BENCH_RESULTS BENCH_DATE BENCH_COMMIT BENCH_MACHINE
results_start "$BENCH_RESULTS"
LATEST=bench/results/latest.tsv

# The whole bench stays under ~10 minutes: each part gets a time budget (it stops adding rounds
# past it) and a hard limit above that. The launcher's first run also makes its 200 MB test
# image (cached in $BUILD/bench/cache afterwards).
declare -A BUDGET=([init]=200 [supervisor]=160 [launcher]=240 [slurm]=90)
[ "${BENCH_QUICK:-0}" = 1 ] && BUDGET=([init]=40 [supervisor]=40 [launcher]=40 [slurm]=30)
parts=${BENCH_ONLY:-init supervisor launcher slurm}
start=$(date +%s)
failed_parts=()
load0=$(cut -d' ' -f1-3 /proc/loadavg)
for p in $parts; do
  echo
  t0=$(date +%s)
  # Progress lines ([bench] ...) and any error go into the results too, in order.
  BENCH_BUDGET=${BUDGET[$p]:-200} timeout -k 10 $((${BUDGET[$p]:-200} + 240)) "bench/$p.sh" 2>&1 | tee "$OUT/$p.out"
  rc=${PIPESTATUS[0]}
  [ "$rc" = 0 ] || {
    echo "[bench] $p ended with status $rc" | tee -a "$OUT/$p.out"
    failed_parts+=("$p")
  }
  echo "[bench] $p took $(($(date +%s) - t0)) s" | tee -a "$OUT/$p.out"
done

{
  echo "cinit benchmarks — $BENCH_DATE, $BENCH_COMMIT"
  echo "machine: $BENCH_MACHINE," \
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
echo "== summary (also in $RESULTS and $BENCH_RESULTS) =="
for p in $parts; do grep -h '^metric:' "$OUT/$p.out" 2>/dev/null; done | sed 's/^/  /'
mapfile -t missed < <(results_with "$BENCH_RESULTS" MISS)
mapfile -t unchecked < <(results_with "$BENCH_RESULTS" n/a)
echo "bench: ${#missed[@]} bar(s) missed${missed[*]:+: ${missed[*]}}"
# A program or peer that is not built or not installed leaves its bar unchecked, not missed.
[ "${#unchecked[@]}" = 0 ] || echo "bench: ${#unchecked[@]} bar(s) not checked (nothing measured): ${unchecked[*]}"

status=0
[ "${#missed[@]}" = 0 ] || status=1
if [ "${#failed_parts[@]}" != 0 ]; then
  echo "bench: fatal: unable to finish part(s): ${failed_parts[*]} (see $OUT/<part>.out)" >&2
  status=1
fi
# Only a full run of every part that finished may be quoted.
if [ "${BENCH_QUICK:-0}" = 1 ] || [ -n "${BENCH_ONLY:-}" ]; then
  echo "bench: a partial or quick run: $LATEST and README.md left as they are"
elif [ "${#failed_parts[@]}" != 0 ]; then
  echo "bench: a part failed: $LATEST and README.md left as they are"
elif cp "$BENCH_RESULTS" "$LATEST.tmp" && mv "$LATEST.tmp" "$LATEST"; then
  echo "bench: wrote $LATEST"
  scripts/bench-readme.sh "$LATEST" README.md || status=1
else
  rm -f "$LATEST.tmp"
  echo "bench: fatal: unable to write '$LATEST'" >&2
  status=1
fi
exit "$status"
