# KILL_PROCESS_TIMEOUT means the same to cinit and to the supervisor it starts: one parser
# (common/seconds) for both, so " 1" is one second to each, not 1 s to one and 30 s (a
# rejected value's default) to the other.
source tests/integration/cinit/helpers.bash

test_blank_padded_kill_process_timeout_is_the_same_to_cinit_and_the_supervisor() {
  script service/stubborn/run 'trap "" TERM; echo up >> /etc/stub.log; while :; do sleep 0.05; done'
  in_pidns env "KILL_PROCESS_TIMEOUT= 1" "$BIN/cinit" --quiet >"$T/out" 2>&1 &
  bg=$!
  wait_for grep -q up "$ETC/stub.log" 2>/dev/null || fail "service did not start: $(cat "$T/out")"
  start=$SECONDS
  kill -TERM "$(pgrep -f -n "^$BIN/cinit")"
  wait "$bg"
  assert_eq 0 "$?" "exit code; output: $(cat "$T/out")"
  # The supervisor killed the service after 1 s and exited by itself; cinit did not have to
  # kill the supervisor (it would after 1 + 5 s).
  assert_not_contains "$(cat "$T/out")" "did not stop in time"
  assert_not_contains "$(cat "$T/out")" "invalid"
  [ $((SECONDS - start)) -lt 6 ] || fail "shutdown took $((SECONDS - start)) s"
}

test_bad_kill_process_timeout_is_one_line_naming_it() {
  OUT=$(KILL_PROCESS_TIMEOUT=nan in_pidns "$BIN/cinit" -- true 2>&1)
  assert_eq 1 "$?" "cinit exit code"
  assert_eq "cinit: fatal: invalid KILL_PROCESS_TIMEOUT 'nan': expected a number of seconds" "$OUT"
  mkdir -p "$T/svc"
  OUT=$(KILL_PROCESS_TIMEOUT=-1 "$BIN/supervisor" "$T/svc" 2>&1)
  assert_eq 100 "$?" "supervisor exit code"
  assert_eq "supervisor: fatal: invalid KILL_PROCESS_TIMEOUT '-1': expected a number of seconds" "$OUT"
  OUT=$(SVWAIT=inf "$BIN/sv" status "$T/svc" 2>&1)
  assert_eq 100 "$?" "sv exit code"
  assert_eq "sv: fatal: invalid SVWAIT 'inf': expected a number of seconds" "$OUT"
}
