#!/usr/bin/env bash
# Runs libFuzzer targets, each for FUZZ_TIME seconds on a copy of its seed corpus
# (tests/fuzz/corpus/<name>/, so runs never grow the repository), and prints one line per
# target plus a summary. Exit status: non-zero if any target crashed or failed to run.
# Usage: FUZZ_TIME=30 tests/fuzz/run.sh build/fuzz/NAME_fuzz...
#   FUZZ_TIME=0      replay: every seed once (-runs=0), no fuzzing; what CI runs (seconds).
#   FUZZ_JOBS=N      N targets at once (default 1).
#   FUZZ_NICE=N      run the targets under `nice -n N` (default 0).
#   FUZZ_KEEP=DIR    keep each target's grown corpus in DIR/<name>/ (for -merge=1 into the seeds).
#   FUZZ_RESULTS=F   write one TSV row per target into F (date, target, seconds, runs, corpus,
#                    coverage, result), replacing the rows of the targets run and keeping others.
# Crash inputs are kept in $BUILD/fuzz/crashes/<name>/ for reproduction (`TARGET FILE`).
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
FUZZ_TIME=${FUZZ_TIME:-30}
FUZZ_JOBS=${FUZZ_JOBS:-1}
FUZZ_NICE=${FUZZ_NICE:-0}
FUZZ_KEEP=${FUZZ_KEEP:-}
FUZZ_RESULTS=${FUZZ_RESULTS:-}

if [ $# -eq 0 ]; then
  echo "usage: tests/fuzz/run.sh FUZZ_BINARY..." >&2
  exit 100
fi

# UBSan reports end the run too (libFuzzer then keeps the input), as ASan's do.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

work=$(mktemp -d /tmp/cinit-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT

# One target: its report in $work/NAME/report (first line "ok" or "FAIL"), its TSV row in
# $work/NAME/row.
fuzz_one() {
  local bin=$1 name=$2
  local dir=$work/$name
  local corpus=$dir/corpus artifacts=$dir/artifacts log=$dir/log
  mkdir -p "$corpus" "$artifacts" "$dir/tmp"
  if [ ! -x "$bin" ]; then
    echo "FAIL $name: no such fuzz binary: $bin" >"$dir/report"
    return
  fi
  if [ -d "tests/fuzz/corpus/$name" ]; then
    cp -R "tests/fuzz/corpus/$name/." "$corpus/"
  fi
  local mode=(-max_total_time="$FUZZ_TIME")
  if [ "$FUZZ_TIME" -eq 0 ]; then
    mode=(-runs=0)
  fi
  local started=$SECONDS
  # -timeout: one input running longer than 10 s is a hang, reported as a failure.
  # -rss_limit_mb: ASan's shadow plus a large input; more is a leak or a runaway allocation.
  TMPDIR=$dir/tmp nice -n "$FUZZ_NICE" "$bin" "${mode[@]}" -timeout=10 -rss_limit_mb=2560 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1
  local rc=$?
  local took=$((SECONDS - started))
  local runs cov inputs result
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -oE '(INITED|DONE) +cov: [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+$')
  inputs=$(find "$corpus" -type f | wc -l)
  if [ -n "$FUZZ_KEEP" ]; then
    rm -rf "${FUZZ_KEEP:?}/$name"
    mkdir -p "$FUZZ_KEEP/$name"
    cp -R "$corpus/." "$FUZZ_KEEP/$name/"
  fi
  if [ "$rc" -eq 0 ]; then
    result=ok
    echo "ok   $name (${runs:-?} runs in ${took}s, corpus $inputs inputs, cov ${cov:-?})" \
      >"$dir/report"
  else
    result="FAIL rc $rc"
    local keep=$BUILD/fuzz/crashes/$name
    mkdir -p "$keep"
    cp "$artifacts"/* "$keep/" 2>/dev/null
    {
      echo "FAIL $name (rc $rc; crash inputs in $keep/)"
      grep -E 'ERROR|invariant violated|runtime error|SUMMARY|^==[0-9]+==' "$log" | head -n 10 | sed 's/^/    | /'
      tail -n 20 "$log" | sed 's/^/    | /'
    } >"$dir/report"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$name" "$took" \
    "${runs:-?}" "$inputs" "${cov:-?}" "$result" >"$dir/row"
}

names=()
running=0
for bin in "$@"; do
  name=$(basename "$bin")
  name=${name%_fuzz}
  names+=("$name")
  if [ "$running" -ge "$FUZZ_JOBS" ]; then
    wait -n
    running=$((running - 1))
  fi
  fuzz_one "$bin" "$name" &
  running=$((running + 1))
done
wait

ok=0
bad=0
failures=()
for name in "${names[@]}"; do
  cat "$work/$name/report"
  if head -n 1 "$work/$name/report" | grep -q '^ok'; then
    ok=$((ok + 1))
  else
    bad=$((bad + 1))
    failures+=("$name")
  fi
done

if [ -n "$FUZZ_RESULTS" ]; then
  mkdir -p "$(dirname "$FUZZ_RESULTS")"
  new=$work/results.tsv
  printf 'date\ttarget\tseconds\truns\tcorpus\tcov\tresult\n' >"$new"
  {
    if [ -f "$FUZZ_RESULTS" ]; then
      # Rows of the targets not run this time stay as they were.
      tail -n +2 "$FUZZ_RESULTS" | awk -F '\t' -v ran=" ${names[*]} " \
        'index(ran, " " $2 " ") == 0'
    fi
    cat "$work"/*/row 2>/dev/null
  } | sort -t "$(printf '\t')" -k 2,2 >>"$new"
  cp "$new" "$FUZZ_RESULTS"
fi

if [ ${#failures[@]} -gt 0 ]; then
  echo "failed targets: ${failures[*]}"
fi
echo "fuzz: $ok passed, $bad failed"
[ "$bad" -eq 0 ]
