# Signals: forwarding to the main command, exit codes, children's signal state, timeouts.
source tests/integration/cinit/helpers.bash

start_probe() { start_probe_in in_pidns "$@"; }

test_each_signal_is_forwarded_as_itself() { check_each_signal_forwarded in_pidns; }

test_exit_codes_pass_through() {
  cinit_run --quiet --skip-runit -- sh -c 'exit 0'
  assert_eq 0 "$RC" "exit 0"
  cinit_run --quiet --skip-runit -- sh -c 'exit 3'
  assert_eq 3 "$RC" "exit 3"
  cinit_run --quiet --skip-runit -- sh -c 'kill -KILL $$'
  assert_eq 137 "$RC" "SIGKILL"
  cinit_run --quiet --skip-runit -- sh -c 'kill -TERM $$'
  assert_eq 143 "$RC" "SIGTERM"
}

test_children_start_with_default_signal_state() {
  script my_init.d/10_state 'grep -E "^Sig(Blk|Ign)" /proc/self/status > /etc/script_state'
  cinit_run --quiet --skip-runit -- grep -E '^Sig(Blk|Ign)' /proc/self/status
  assert_eq 0 "$RC"
  assert_eq "SigBlk:	0000000000000000
SigIgn:	0000000000000000" "$OUT" "command"
  assert_eq "SigBlk:	0000000000000000
SigIgn:	0000000000000000" "$(cat "$ETC/script_state")" "startup script"
}

test_command_ignoring_term_is_killed_after_kill_process_timeout() {
  in_pidns env KILL_PROCESS_TIMEOUT=1 "$BIN/cinit" --quiet --skip-runit -- \
    sh -c 'trap "" TERM; echo ready > '"$T"'/log; while :; do sleep 0.1; done' >"$T/out" 2>&1 &
  BG=$!
  wait_for grep -q ready "$T/log" || fail "command did not start"
  CINIT=$(pgrep -f -n "^$BIN/cinit")
  start=$(now_ms)
  kill -TERM "$CINIT"
  wait "$BG"
  assert_eq 137 "$?" "exit code"
  took=$(($(now_ms) - start))
  # KILL after the timeout, not before (an immediate KILL gives the same exit code).
  [ "$took" -ge 900 ] || fail "KILL came after ${took} ms, before KILL_PROCESS_TIMEOUT=1"
  [ "$took" -lt 10000 ] || fail "took ${took} ms"
  assert_contains "$(cat "$T/out")" "did not exit within KILL_PROCESS_TIMEOUT"
}

test_term_during_boot_stops_the_script_and_boot() {
  script my_init.d/10_slow 'trap "echo script-got-TERM >> /etc/ran; exit 1" TERM; echo started >> /etc/ran; while :; do sleep 0.05; done'
  script my_init.d/20_never 'echo never >> /etc/ran'
  in_pidns "$BIN/cinit" --quiet --skip-runit -- true >"$T/out" 2>&1 &
  BG=$!
  wait_for grep -q started "$ETC/ran" || fail "script did not start"
  kill -TERM "$(pgrep -f -n "^$BIN/cinit")"
  wait "$BG"
  rc=$?
  [ "$rc" -ne 0 ] || fail "boot stopped by TERM must not exit 0"
  assert_eq "started script-got-TERM" "$(tr '\n' ' ' <"$ETC/ran" | sed 's/ $//')"
}

test_services_only_mode_exits_0_on_term() {
  # A running service shows that cinit has booted (signals are set up before any child):
  # a TERM before that would be dropped, as a PID 1 without a handler drops it.
  script service/probe/run 'echo up > /etc/probe.up; exec sleep 1000'
  in_pidns "$BIN/cinit" --quiet >"$T/out" 2>&1 &
  BG=$!
  wait_for [ -s "$ETC/probe.up" ] || fail "cinit did not start its service: $(cat "$T/out")"
  kill -TERM "$(pgrep -f -n "^$BIN/cinit")"
  wait "$BG"
  assert_eq 0 "$?" "exit code; output: $(cat "$T/out")"
}
