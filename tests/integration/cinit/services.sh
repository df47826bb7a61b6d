# cinit with the supervisor: the whole life cycle of three services, stopped as docker stop does.
source tests/integration/cinit/helpers.bash

make_services() {
  script service/crashy/run 'echo crash >> /etc/crash.log; exit 1'
  script service/logged/run 'echo "hello from logged"; exec sleep 1000'
  script service/logged/log/run 'exec cat >> /etc/logged.log'
  script service/finisher/run 'trap "echo got-TERM >> /etc/fin.log; exit 0" TERM
echo up >> /etc/fin.log
while :; do sleep 0.05; done'
  script service/finisher/finish 'echo "finish $1 $2" >> /etc/fin.log'
}

test_three_services_life_cycle_with_sigterm() {
  make_services
  in_pidns "$BIN/cinit" >"$T/out" 2>&1 &
  bg=$!
  wait_for grep -q "hello from logged" "$ETC/logged.log" 2>/dev/null || fail "log service got nothing: $(cat "$T/out")"
  wait_for grep -q up "$ETC/fin.log" 2>/dev/null || fail "finisher did not start"
  sleep 2
  crashes=$(wc -l <"$ETC/crash.log")
  [ "$crashes" -ge 2 ] || fail "crash-looping service restarted only $crashes times"
  [ "$crashes" -le 12 ] || fail "no back-off: $crashes restarts in about 2 s"
  kill -TERM "$(pgrep -f -n "^$BIN/cinit")"
  wait "$bg"
  assert_eq 0 "$?" "exit code after SIGTERM; output: $(cat "$T/out")"
  assert_eq "up got-TERM finish 0 0" "$(tr '\n' ' ' <"$ETC/fin.log" | sed 's/ $//')" "finisher"
  assert_contains "$(cat "$T/out")" "*** Shutting down supervisor"
}

test_services_stop_before_post_shutdown_scripts() {
  make_services
  script my_init.post_shutdown.d/10_post 'echo post >> /etc/fin.log'
  script my_init.pre_shutdown.d/10_pre 'echo pre >> /etc/fin.log'
  cinit_run -- sh -c 'i=0; while ! grep -q up /etc/fin.log 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; exit 3'
  assert_eq 3 "$RC" "exit code is the command's: $OUT"
  assert_eq "up pre got-TERM finish 0 0 post" "$(tr '\n' ' ' <"$ETC/fin.log" | sed 's/ $//')"
}

test_service_ignoring_term_is_killed_after_kill_process_timeout() {
  script service/stubborn/run 'trap "" TERM; echo up >> /etc/stub.log; while :; do sleep 0.05; done'
  in_pidns env KILL_PROCESS_TIMEOUT=1 "$BIN/cinit" --quiet >"$T/out" 2>&1 &
  bg=$!
  wait_for grep -q up "$ETC/stub.log" 2>/dev/null || fail "service did not start: $(cat "$T/out")"
  start=$(now_ms)
  kill -TERM "$(pgrep -f -n "^$BIN/cinit")"
  wait "$bg"
  assert_eq 0 "$?" "exit code"
  took=$(($(now_ms) - start))
  # KILL after the timeout, not before: the stubborn service had its second to go.
  [ "$took" -ge 900 ] || fail "shutdown took ${took} ms: KILL before KILL_PROCESS_TIMEOUT=1"
  [ "$took" -lt 10000 ] || fail "shutdown took ${took} ms with KILL_PROCESS_TIMEOUT=1"
}

test_supervisor_is_started_from_cinit_itself() {
  script service/probe/run 'cat /proc/$PPID/cmdline | tr "\0" " " > /etc/parent; exec sleep 1000'
  cinit_run --quiet -- sh -c 'i=0; while [ ! -s /etc/parent ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done'
  assert_eq 0 "$RC" "exit code: $OUT"
  assert_eq "supervisor /etc/service " "$(cat "$ETC/parent")" "the service's parent"
}
