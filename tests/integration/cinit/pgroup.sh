# Process groups: CMD leads a group of its own, with or without a terminal, as PID 1 and not;
# a signal to that group reaches CMD's whole pipeline and never cinit.
source tests/integration/cinit/helpers.bash

# Prints "pid pgid" of $$ and "pgid" of its parent (cinit), from /proc/PID/stat (the fields
# after "(comm) ": state, ppid, pgrp).
group_report='pg() { read -r l < "/proc/$1/stat" && set -- ${l##*) } && echo "$3"; }
echo "$$ $(pg $$) $(pg $PPID)"'

test_command_leads_its_own_group_as_pid1() {
  cinit_run --quiet --skip-runit -- sh -c "$group_report"
  assert_eq 0 "$RC" "exit code: $OUT"
  read -r pid pgid init_pgid <<<"$OUT"
  assert_eq "$pid" "$pgid" "CMD's process group"
  [ "$init_pgid" != "$pgid" ] || fail "PID 1 is in CMD's group ($OUT)"
}

test_command_leads_its_own_group_when_not_pid1() {
  OUT=$(in_mntns "$BIN/cinit" --quiet --skip-runit -- sh -c "$group_report" 2>&1)
  assert_eq 0 "$?" "exit code: $OUT"
  read -r pid pgid init_pgid <<<"$OUT"
  assert_eq "$pid" "$pgid" "CMD's process group"
  [ "$init_pgid" != "$pgid" ] || fail "cinit is in CMD's group ($OUT)"
}

# CMD traps USR1 (and logs it) and runs a two-process pipeline in the background (in its
# group: sh -c has no job control). Sets CINIT, JOB (host pids) and BG. The pipeline's sleep
# is named under $T, so that tests/run.sh ends it even if a failed case leaves it behind.
start_job() { # how: in_pidns | in_mntns
  ln -sf "$(command -v sleep)" "$T/sleep"
  cat >"$T/job.sh" <<JOB
#!/bin/sh
trap 'echo USR1 >> $T/log' USR1
$T/sleep 1000 | $T/sleep 1001 &
echo ready >> $T/log
while :; do sleep 0.05; done
JOB
  chmod 755 "$T/job.sh"
  [ "$MODE" = user ] && [ "$(id -u)" -eq 0 ] && chown "$TEST_USER:" "$T/job.sh"
  "$1" "$BIN/cinit" --quiet --skip-runit -- "$T/job.sh" >"$T/out" 2>&1 &
  BG=$!
  wait_for grep -q ready "$T/log" 2>/dev/null || fail "job did not start: $(cat "$T/out")"
  CINIT=$(pgrep -f -n "^$BIN/cinit") || fail "no cinit process"
  JOB=$(pgrep -P "$CINIT" -f "$T/job.sh") || fail "no job under cinit"
}

# The job's group gets USR1 from outside: the pipeline dies of it, CMD traps and logs it, and
# cinit (outside the group: nothing to forward) and CMD run on.
signal_job_group() {
  local pgid pipeline p
  pgid=$(ps -o pgid= -p "$JOB" | tr -d ' ')
  # Before anything is sent to the group: if it were cinit's (or this test's), it must not be
  # signalled at all.
  assert_eq "$JOB" "$pgid" "CMD's process group (cinit's is $(ps -o pgid= -p "$CINIT"))"
  wait_for sh -c "[ \$(pgrep -g $pgid -f '^$T/sleep 100[01]\$' | wc -l) -eq 2 ]" ||
    fail "pipeline not in CMD's group: $(ps -o pid,pgid,args -g "$pgid")"
  pipeline=$(pgrep -g "$pgid" -f "^$T/sleep 100[01]\$" | tr '\n' ' ')
  kill -USR1 -- "-$pgid"
  for p in $pipeline; do
    wait_for sh -c "! kill -0 $p 2>/dev/null" || fail "pipeline member $p survived USR1"
  done
  wait_for grep -qx USR1 "$T/log" || fail "CMD did not get USR1; log: $(cat "$T/log")"
  kill -0 "$CINIT" || fail "cinit died"
  kill -0 "$JOB" || fail "CMD died"
  assert_eq "ready USR1" "$(tr '\n' ' ' <"$T/log" | sed 's/ $//')" "CMD's signal log"
  kill -TERM "$CINIT"
  wait "$BG"
  assert_eq 143 "$?" "exit code after TERM; output: $(cat "$T/out")"
}

test_signal_to_command_group_reaches_pipeline_not_cinit_as_pid1() {
  start_job in_pidns
  signal_job_group
}

test_signal_to_command_group_reaches_pipeline_not_cinit_as_subreaper() {
  start_job in_mntns
  signal_job_group
}
