#!/usr/bin/env bash
# Runs the unit tests (Catch2) and every integration case, and ends with one line:
# "N passed, N failed, N skipped". Usage: tests/run.sh [unit|integration|chaos] [FILTER]
# Integration files are tests/integration/<program>/*.sh; each defines test_* functions.
# `chaos` runs the fault-injection cases of tests/chaos/<program>/*.sh the same way (never
# part of `all`; `make chaos`), with tests/chaos/lib.sh sourced after lib.sh.
# A case runs in its own bash with the helpers of tests/integration/lib.sh, with a timeout.
# A case that cannot run here calls `skip REASON` (lib.sh): it counts as skipped, never as
# passed. CINIT_REQUIRE_ALL=1 (CI) turns any skip into a failed run.
# A file may define file_setup and file_teardown (e.g. to start a Slurm cluster once for all
# its cases): they run once, before the first and after the last of its selected cases, with
# $FILE_T, a temp dir that every case of the file sees too. file_setup calling `skip` skips
# every case of the file; any other failure fails them.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
what=${1:-all}
filter=${2:-}
passed=0
failed=0
skipped=0
failures=()
skips=()

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

# file_hook NAME: runs the current file's NAME function (if it has one) once, as a case runs
# (lib.sh sourced, bounded), with $FILE_T made on first use. Sets hook_rc, hook_reason, hook_log.
file_hook() {
  hook_rc=0 hook_reason= hook_log=
  bash -c "source tests/integration/lib.sh; $extra source '$file'; declare -F $1 >/dev/null" ||
    return 0
  if [ "$1" = file_setup ]; then
    FILE_T=$(mktemp -d /tmp/cinit-file.XXXXXX)
    chmod 755 "$FILE_T"
    export FILE_T
  fi
  local skip_file
  skip_file=$(mktemp)
  hook_log=$(CINIT_SKIP_FILE=$skip_file timeout -k 5 "${TEST_TIMEOUT:-120}" bash -c \
    "source tests/integration/lib.sh; $extra source '$file'; $1" 2>&1 </dev/null)
  hook_rc=$?
  hook_reason=$(head -n1 "$skip_file")
  rm -f "$skip_file"
  [ "$hook_rc" = 77 ] && [ -z "$hook_reason" ] && hook_rc=1
}

if [ "$what" = all ] || [ "$what" = integration ] || [ "$what" = chaos ]; then
  export BUILD
  suite=integration
  extra=
  if [ "$what" = chaos ]; then
    suite=chaos
    extra="source tests/chaos/lib.sh;"
  fi
  for file in tests/$suite/*/*.sh; do
    [ -e "$file" ] || continue
    group=$(basename "$(dirname "$file")")/$(basename "$file" .sh)
    # MODES in a test file: "root" (real root in fresh namespaces) and/or "user" (the
    # unprivileged test user, in a user namespace); each case runs once per mode.
    # MODES_test_NAME overrides it for one case (one that has no meaning in the other mode).
    # One line per case: "test_NAME MODE...".
    cases=$(bash -c "source tests/integration/lib.sh; $extra source '$file'
      for c in \$(declare -F | awk '\$3 ~ /^test_/ {print \$3}'); do
        v=MODES_\$c; echo \"\$c \${!v:-\${MODES:-root}}\"
      done")
    file_setup_rc=
    while read -r c modes; do
     [ -n "$c" ] || continue
     for mode in $modes; do
      name="$group/${c#test_} [$mode]"
      [ -n "$filter" ] && [[ $name != *$filter* ]] && continue
      # TEST_EXCLUDE: an extended regex of case names to leave out (make asan uses it).
      [ -n "${TEST_EXCLUDE:-}" ] && [[ $name =~ $TEST_EXCLUDE ]] && continue
      if [ -z "$file_setup_rc" ]; then
        file_hook file_setup
        file_setup_rc=$hook_rc
        file_setup_reason=$hook_reason
        file_setup_log=$hook_log
      fi
      if [ "$file_setup_rc" = 77 ]; then
        skipped=$((skipped + 1))
        skips+=("$name: $file_setup_reason")
        echo "skip $name: $file_setup_reason"
        continue
      elif [ "$file_setup_rc" != 0 ]; then
        failed=$((failed + 1))
        failures+=("$name")
        echo "FAIL $name (file_setup: rc $file_setup_rc)"
        [ -n "$file_setup_log" ] && sed 's/^/    | /' <<<"$file_setup_log" | tail -n 40
        file_setup_log=
        continue
      fi
      start=${EPOCHREALTIME/./}
      log=$(mktemp)
      # Each case gets its own temp tree; every process whose command line names it is the
      # case's own, and is killed when the case ends, however it ended.
      T=$(mktemp -d /tmp/cinit-test.XXXXXX)
      export T
      # skip() writes its reason here and exits 77: both are needed, so that a case whose
      # last command happens to return 77 is a failure, not a skip.
      CINIT_SKIP_FILE=$(mktemp)
      export CINIT_SKIP_FILE
      # chaos: the case's Reliability rows (tests/chaos/lib.sh) are kept only if it passes.
      export CHAOS_CASE=$name
      [ -n "${CHAOS_ROWS:-}" ] && rm -f "$CHAOS_ROWS.case"
      timeout -k 5 "${TEST_TIMEOUT:-120}" bash -c \
        "MODE=$mode; source tests/integration/lib.sh; $extra source '$file'; lib_setup; $c" \
        >"$log" 2>&1 </dev/null
      rc=$?
      # chaos: nothing of a passing case may outlive it, no process and no mount of its temp
      # tree (a namespace's processes die with its PID 1, maybe a moment after it).
      if [ "$suite" = chaos ] && [ $rc -eq 0 ]; then
        for _ in $(seq 1 50); do
          left=$(pgrep -a -f -- "$T/"; grep -F -- "$T/" /proc/self/mountinfo)
          [ -z "$left" ] && break
          sleep 0.1
        done
        [ -z "$left" ] || { rc=1; printf 'left behind by the case:\n%s\n' "$left" >>"$log"; }
      fi
      reason=$(head -n1 "$CINIT_SKIP_FILE")
      rm -f "$CINIT_SKIP_FILE"
      pkill -KILL -f -- "$T/" 2>/dev/null
      sleep 0.05
      rm -rf "$T" 2>/dev/null
      ms=$(((${EPOCHREALTIME/./} - start) / 1000))
      secs=$((ms / 1000)).$((ms % 1000 / 100))
      if [ $rc -eq 0 ]; then
        passed=$((passed + 1))
        echo "ok   $name (${secs}s)"
        if [ -n "${CHAOS_ROWS:-}" ] && [ -f "$CHAOS_ROWS.case" ]; then
          cat "$CHAOS_ROWS.case" >>"$CHAOS_ROWS"
        fi
      elif [ $rc -eq 77 ] && [ -n "$reason" ]; then
        skipped=$((skipped + 1))
        skips+=("$name: $reason")
        echo "skip $name: $reason"
      else
        failed=$((failed + 1))
        failures+=("$name")
        echo "FAIL $name (rc $rc, ${secs}s)"
        sed 's/^/    | /' "$log" | tail -n 40
      fi
      rm -f "$log"
      [ -n "${CHAOS_ROWS:-}" ] && rm -f "$CHAOS_ROWS.case"
     done
    done <<<"$cases"
    if [ -n "$file_setup_rc" ]; then
      file_hook file_teardown
      [ "$hook_rc" = 0 ] || {
        failed=$((failed + 1))
        failures+=("$group: file_teardown")
        echo "FAIL $group: file_teardown (rc $hook_rc)"
        sed 's/^/    | /' <<<"$hook_log" | tail -n 20
      }
      [ -n "${FILE_T:-}" ] && rm -rf "$FILE_T"
      unset FILE_T
    fi
  done
fi

if [ ${#failures[@]} -gt 0 ]; then
  echo "failed cases:"
  printf '  %s\n' "${failures[@]}"
fi
if [ ${#skips[@]} -gt 0 ] && [ "${CINIT_REQUIRE_ALL:-0}" = 1 ]; then
  echo "skipped cases (CINIT_REQUIRE_ALL=1: every case must run):"
  printf '  %s\n' "${skips[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] || exit 1
[ "$skipped" -eq 0 ] || [ "${CINIT_REQUIRE_ALL:-0}" != 1 ]
