#!/usr/bin/env bash
# Runs libFuzzer targets, each for FUZZ_TIME seconds on a copy of its seed corpus
# (tests/fuzz/corpus/<name>/, so runs never grow the repository), and prints one line per
# target plus a summary. Exit status: non-zero if any target crashed or failed to run.
# Usage: FUZZ_TIME=30 tests/fuzz/run.sh build/fuzz/NAME_fuzz...
# Crash inputs are kept in $BUILD/fuzz/crashes/<name>/ for reproduction (`TARGET FILE`).
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
FUZZ_TIME=${FUZZ_TIME:-30}

if [ $# -eq 0 ]; then
  echo "usage: tests/fuzz/run.sh FUZZ_BINARY..." >&2
  exit 100
fi

work=$(mktemp -d /tmp/cinit-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
ok=0
bad=0
failures=()

for bin in "$@"; do
  name=$(basename "$bin")
  name=${name%_fuzz}
  if [ ! -x "$bin" ]; then
    echo "FAIL $name: no such fuzz binary: $bin"
    bad=$((bad + 1))
    failures+=("$name")
    continue
  fi
  corpus=$work/$name/corpus
  artifacts=$work/$name/artifacts
  mkdir -p "$corpus" "$artifacts" "$work/$name/tmp"
  if [ -d "tests/fuzz/corpus/$name" ]; then
    cp -R "tests/fuzz/corpus/$name/." "$corpus/"
  fi
  log=$work/$name/log
  # -timeout: one input running longer than 10 s is a hang, reported as a failure.
  TMPDIR=$work/$name/tmp "$bin" -max_total_time="$FUZZ_TIME" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  if [ "$rc" -eq 0 ]; then
    ok=$((ok + 1))
    echo "ok   $name (${runs:-?} runs in ${FUZZ_TIME}s, corpus $(ls "$corpus" | wc -l) inputs)"
  else
    bad=$((bad + 1))
    failures+=("$name")
    keep=$BUILD/fuzz/crashes/$name
    mkdir -p "$keep"
    cp "$artifacts"/* "$keep/" 2>/dev/null
    echo "FAIL $name (rc $rc; crash inputs in $keep/)"
    grep -E 'ERROR|invariant violated|SUMMARY|^==[0-9]+==' "$log" | head -n 10 | sed 's/^/    | /'
    tail -n 20 "$log" | sed 's/^/    | /'
  fi
done

if [ ${#failures[@]} -gt 0 ]; then
  echo "failed targets: ${failures[*]}"
fi
echo "fuzz: $ok passed, $bad failed"
[ "$bad" -eq 0 ]
