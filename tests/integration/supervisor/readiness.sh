# Readiness notification (s6's protocol): a service names an fd in notification-fd and
# writes a newline there when ready; `sv -w` waits for it; status --json shows it.
source tests/integration/supervisor/helpers.bash
MODES="root user"

test_sv_wait_waits_for_readiness() {
  sup_dirs
  # Ready when the test says so; the file is written before the notification, so that sv
  # returning before the file exists means sv did not wait.
  mksvc "$SVC/slow" "while [ ! -e $T/out/go ]; do sleep 0.05; done
echo ready-sent > $T/out/ready; echo ready >&3; exec sleep 1000"
  echo 3 >"$SVC/slow/notification-fd"
  touch "$SVC/slow/down"
  mksvc "$SVC/plain" "exec sleep 1000"
  touch "$SVC/plain/down"
  own "$SVC"
  sup_start
  wait_for [ -p "$SVC/slow/supervise/ok" ] && wait_for [ -p "$SVC/plain/supervise/ok" ] ||
    fail "not supervised"
  start=$(now_ms)
  out=$("$BIN/sv" -w 5 start "$SVC/plain") || fail "plain: $out"
  [ $(($(now_ms) - start)) -lt 900 ] || fail "a service without readiness waited"
  "$BIN/sv" up "$SVC/slow"
  wait_for running "$SVC/slow" || fail "not running"
  assert_eq false "$("$BIN/sv" status --json "$SVC/slow" | jq -r '.[0].ready')" "ready before"
  start=$(now_ms)
  (sleep 1 && touch "$T/out/go") &
  out=$("$BIN/sv" -w 5 start "$SVC/slow") || fail "slow: $out"
  took=$(($(now_ms) - start))
  [[ $out =~ ^ok:\ run:\ $SVC/slow: ]] || fail "output: [$out]"
  [ -e "$T/out/ready" ] || fail "sv returned before the service was ready (${took} ms)"
  [ "$took" -ge 900 ] || fail "returned after ${took} ms"
  assert_eq true "$("$BIN/sv" status --json "$SVC/slow" | jq -r '.[0].ready')" "ready after"
  sup_stop
}

test_service_that_never_gets_ready_times_out() {
  sup_dirs
  mksvc "$SVC/never" "exec sleep 1000"
  echo 4 >"$SVC/never/notification-fd"
  own "$SVC"
  sup_start
  wait_for running "$SVC/never" || fail "not running"
  out=$("$BIN/sv" -w 1 start "$SVC/never")
  assert_eq 1 $? "rc"
  [[ $out =~ ^timeout:\ run:\ $SVC/never: ]] || fail "output: [$out]"
  sup_stop
}
