#!/usr/bin/env bash
# Runs the unit tests (Catch2) and every integration case, and ends with one line:
# "N passed, N failed". Usage: tests/run.sh [unit|integration] [FILTER]
# Integration files are tests/integration/<program>/*.sh; each defines test_* functions.
# A case runs in its own bash with the helpers of tests/integration/lib.sh, with a timeout.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
what=${1:-all}
filter=${2:-}
passed=0
failed=0
failures=()

if [ "$what" = all ] || [ "$what" = unit ]; then
  out=$("$BUILD/bin/unit_tests" 2>&1)
  rc=$?
  # Catch2 2.x summary: "All tests passed (A assertions in N test cases)" or
  # "test cases: N | P passed | F failed".
  if [[ $out =~ All\ tests\ passed\ \([0-9]+\ assertions?\ in\ ([0-9]+)\ test\ cases?\) ]]; then
    passed=$((passed + BASH_REMATCH[1]))
  elif [[ $out =~ test\ cases:\ *([0-9]+)\ \|\ *([0-9]+)\ passed\ \|\ *([0-9]+)\ failed ]]; then
    passed=$((passed + BASH_REMATCH[2]))
    failed=$((failed + BASH_REMATCH[3]))
    printf '%s\n' "$out" | tail -n 60
    failures+=("unit tests")
  else
    printf '%s\n' "$out" | tail -n 30
    failed=$((failed + 1))
    failures+=("unit tests (rc $rc, no summary)")
  fi
  echo "unit: $passed passed, $failed failed"
fi

if [ "$what" = all ] || [ "$what" = integration ]; then
  export BUILD
  for file in tests/integration/*/*.sh; do
    [ -e "$file" ] || continue
    group=$(basename "$(dirname "$file")")/$(basename "$file" .sh)
    cases=$(bash -c "source tests/integration/lib.sh; source '$file'; declare -F" |
      awk '$3 ~ /^test_/ {print $3}')
    # MODES in a test file: "root" (real root in fresh namespaces) and/or "user" (the
    # unprivileged test user, in a user namespace); each case runs once per mode.
    modes=$(bash -c "source tests/integration/lib.sh; source '$file'; echo \${MODES:-root}")
    for c in $cases; do
     for mode in $modes; do
      name="$group/${c#test_} [$mode]"
      [ -n "$filter" ] && [[ $name != *$filter* ]] && continue
      # TEST_EXCLUDE: an extended regex of case names to leave out (make asan uses it).
      [ -n "${TEST_EXCLUDE:-}" ] && [[ $name =~ $TEST_EXCLUDE ]] && continue
      start=${EPOCHREALTIME/./}
      log=$(mktemp)
      # Each case gets its own temp tree; every process whose command line names it is the
      # case's own, and is killed when the case ends, however it ended.
      T=$(mktemp -d /tmp/cinit-test.XXXXXX)
      export T
      timeout -k 5 "${TEST_TIMEOUT:-120}" bash -c \
        "MODE=$mode; source tests/integration/lib.sh; source '$file'; lib_setup; $c" \
        >"$log" 2>&1 </dev/null
      rc=$?
      pkill -KILL -f -- "$T/" 2>/dev/null
      sleep 0.05
      rm -rf "$T" 2>/dev/null
      ms=$(((${EPOCHREALTIME/./} - start) / 1000))
      secs=$((ms / 1000)).$((ms % 1000 / 100))
      if [ $rc -eq 0 ]; then
        passed=$((passed + 1))
        echo "ok   $name (${secs}s)"
      else
        failed=$((failed + 1))
        failures+=("$name")
        echo "FAIL $name (rc $rc, ${secs}s)"
        sed 's/^/    | /' "$log" | tail -n 40
      fi
      rm -f "$log"
     done
    done
  done
fi

if [ ${#failures[@]} -gt 0 ]; then
  echo "failed cases:"
  printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
