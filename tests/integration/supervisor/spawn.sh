# How services start (common/spawn): in their own session, with default signal dispositions
# and an empty mask, even when the supervisor itself was started with every signal blocked
# and ignored, glibc's internal 32 and 33 included (glibc's posix_spawn leaves those ignored).
source tests/integration/supervisor/helpers.bash
MODES="root user"

# sig_state PID: "SigBlk SigIgn" of process PID.
sig_state() { awk '$1 == "SigBlk:" { b = $2 } $1 == "SigIgn:" { i = $2 } END { print b, i }' "/proc/$1/status"; }

test_services_start_with_default_signal_state_and_own_session() {
  sup_dirs
  mksvc "$SVC/a" "exec sleep 1000"
  mkscript "$SVC/a/log/run" "exec sleep 1000"
  sup_start "$BIN/sigstate"
  wait_for running "$SVC/a" && wait_for running "$SVC/a/log" || fail "not running"
  # The supervisor really was started that way (else this case proves nothing).
  [ "$(sig_state "$SUP")" != "0000000000000000 0000000000000000" ] || fail "sigstate had no effect"
  for dir in "$SVC/a" "$SVC/a/log"; do
    pid=$(hostpid "$(svpid "$dir")")
    [ -n "$pid" ] || fail "no process for $dir"
    assert_eq "0000000000000000 0000000000000000" "$(sig_state "$pid")" "$dir: SigBlk SigIgn"
    # Its own session and process group (runsv's setsid()): fields 5 and 6 of stat are the
    # group and the session; comm (field 2) is "sleep", without blanks.
    read -r _ _ _ _ pgrp sid _ <"/proc/$pid/stat"
    assert_eq "$pid $pid" "$pgrp $sid" "$dir: process group and session"
  done
  # And the supervisor still reaps and restarts them (SIGCHLD ignored would auto-reap).
  old=$(svpid "$SVC/a")
  "$BIN/sv" -w 5 restart "$SVC/a" >/dev/null || fail "restart: $("$BIN/sv" status "$SVC/a")"
  [ "$(svpid "$SVC/a")" != "$old" ] || fail "restart kept pid $old"
  sup_stop
  assert_eq 0 "$SUP_RC"
}
