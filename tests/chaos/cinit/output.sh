# cinit's own output in trouble: stdout and stderr closed, or a pipe nobody reads. PID 1 keeps
# reaping and exits with its command's code; its log lines may be lost, never its loop.
source tests/integration/cinit/helpers.bash
MODES=root

test_stderr_a_full_pipe_nobody_reads() {
  mkfifo "$T/pipe"
  # Held open read-write here and never read: writers are not refused, their data stays.
  exec {hold}<>"$T/pipe"
  # The command fills the pipe from a child that stays blocked, then exits 5: each line that
  # cinit logs from then on (the exit, the shutdown) finds the pipe full.
  timeout -k 2 60 bash -c 'source tests/integration/lib.sh; in_pidns "$@"' sh \
    "$BIN/cinit" -- sh -c "head -c 1000000 /dev/zero >&2 & echo \$! >$T/tmp/writer
      while [ \"\$(cat /proc/\$(cat $T/tmp/writer)/wchan 2>/dev/null)\" != anon_pipe_write ]; do sleep 0.05; done
      exit 5" 2>"$T/pipe" >/dev/null
  rc=$?
  exec {hold}>&-
  assert_eq 5 "$rc" "cinit's exit code with a stalled stderr (124: it hung)"
  [ -s "$T/tmp/writer" ] || fail "the command never filled the pipe"
  chaos_row "stderr a full pipe nobody reads" \
    "PID 1 drops its log lines after waiting 1 s once, keeps reaping, shuts down" \
    "the command's exit code (5)"
}

test_stdout_and_stderr_closed() {
  script my_init.d/10-talk 'echo to-a-closed-stdout; echo to-a-closed-stderr >&2; exit 0'
  # Without a stdout or stderr, every fd cinit opens may land on 1 or 2: none of them may
  # reach a child as its output. The command waits to be looked at from here.
  in_pidns "$BIN/cinit" -- sh -c "$BIN/orphans 200; touch $T/tmp/started
    while [ ! -e $T/tmp/stop ]; do sleep 0.05; done; exit 7" >&- 2>&- &
  bg=$!
  wait_for [ -e "$T/tmp/started" ] || fail "the command did not start"
  cmd=$(pgrep -f -n "^sh -c $BIN/orphans") || fail "no command process"
  fds=$(ls -l "/proc/$cmd/fd/" | grep -E ' [12] -> ')
  touch "$T/tmp/stop"
  wait "$bg"
  rc=$?
  assert_eq 7 "$rc" "exit code with stdout and stderr closed"
  # The command's fds 1 and 2: closed, as cinit got them.
  assert_eq "" "$fds" "the command's fds 1 and 2"
  chaos_row "stdout and stderr closed" "boot, scripts and the command run; output is lost" \
    "exit code (7); no fd of cinit's leaks into the command"
}
