# The supervisor without cinit: as PID 1 of a fresh PID namespace it starts services and
# their loggers, runs finish, and stops everything in order on SIGTERM.
source tests/integration/supervisor/helpers.bash
MODES="root user"

test_lifecycle_as_pid1_run_log_finish_shutdown() {
  sup_dirs
  mksvc "$SVC/web" 'echo "web started"; trap "echo web stopping; exit 0" TERM; while :; do sleep 0.05; done'
  mkscript "$SVC/web/finish" "echo \"finish \$1 \$2\" >> $T/out/finish"
  mkscript "$SVC/web/log/run" "exec cat >> $T/out/web.log"
  sup_start
  wait_for grep -q "web started" "$T/out/web.log" 2>/dev/null || fail "log did not get run's output"
  st=$("$BIN/sv" status "$SVC/web")
  [[ $st =~ ^run:\ $SVC/web:\ \(pid\ [0-9]+\)\ [0-9]+s\;\ run:\ log:\ \(pid\ [0-9]+\)\ [0-9]+s$ ]] ||
    fail "status: [$st]"
  start=$(now_ms)
  sup_stop
  assert_eq 0 "$SUP_RC" "supervisor exit code"
  [ $(($(now_ms) - start)) -lt 3000 ] || fail "shutdown took too long"
  # The logger was stopped after its service: the service's last words reached the log.
  assert_contains "$(cat "$T/out/web.log")" "web stopping"
  assert_eq "finish 0 0" "$(cat "$T/out/finish")" "finish arguments"
  # Status files are not rewritten in a quick shutdown (supervisor.cpp: shutdown_status_hold);
  # supervise/ok tells that no supervisor runs.
  assert_eq "fail: $SVC/web: runsv not running" "$("$BIN/sv" status "$SVC/web")"
}

test_finish_gets_exit_code_and_signal() {
  sup_dirs
  mksvc "$SVC/a" "n=\$(cat $T/out/n 2>/dev/null || echo 0); echo \$((n+1)) > $T/out/n
[ \$n = 0 ] && exit 3
exec sleep 1000"
  mkscript "$SVC/a/finish" "echo \"\$1 \$2\" >> $T/out/finish"
  sup_start
  wait_for running "$SVC/a" && wait_for grep -q '^3 0$' "$T/out/finish" || fail "exit 3: $(cat "$T/out/finish")"
  wait_for eval '[ "$(cat "$T/out/n")" = 2 ]' || fail "not restarted"
  wait_for running "$SVC/a"
  "$BIN/sv" kill "$SVC/a"
  wait_for grep -q '^-1 9$' "$T/out/finish" || fail "SIGKILL: $(cat "$T/out/finish")"
  sup_stop
}

test_down_file_keeps_service_down_until_up() {
  sup_dirs
  mksvc "$SVC/a" "echo up >> $T/out/a; exec sleep 1000"
  touch "$SVC/a/down"
  own "$SVC/a"
  sup_start
  wait_for [ -p "$SVC/a/supervise/control" ] || fail "not supervised"
  sleep 0.3
  [ ! -e "$T/out/a" ] || fail "started despite down"
  assert_eq "down: $SVC/a: 0s" "$("$BIN/sv" status "$SVC/a" | sed 's/[0-9]*s$/0s/')"
  "$BIN/sv" -w 5 start "$SVC/a" | grep -q '^ok: run: ' || fail "sv start"
  # sv returns once run is spawned, maybe before its first line: wait for that line.
  wait_for grep -qx up "$T/out/a" || fail "run did not start"
  assert_eq up "$(cat "$T/out/a")"
  [[ $("$BIN/sv" status "$SVC/a") == *", normally down" ]] || fail "normally down not shown"
  sup_stop
}

not_stopped() { ! grep -q '^State:.*T' "/proc/$1/status"; }

test_control_letters_signal_the_run_process() {
  sup_dirs
  mksvc "$SVC/a" "trap 'echo HUP >> $T/out/sig' HUP; trap 'echo USR1 >> $T/out/sig' USR1
trap 'echo ALRM >> $T/out/sig' ALRM; trap 'echo INT >> $T/out/sig' INT
echo traps-set > $T/out/ready
while :; do sleep 0.02; done"
  sup_start
  # A signal sent before the traps are set would kill run: wait until it says they are.
  wait_for [ -s "$T/out/ready" ] || fail "not running"
  n=0
  for c in hup 1 alarm interrupt; do
    "$BIN/sv" "$c" "$SVC/a"
    n=$((n + 1))
    wait_for eval '[ "$(wc -l <"$T/out/sig" 2>/dev/null)" = $n ]' || fail "sv $c: no trap ran"
  done
  assert_eq "HUP USR1 ALRM INT" "$(tr '\n' ' ' <"$T/out/sig" | sed 's/ $//')"
  pid=$(hostpid "$(svpid "$SVC/a")")
  "$BIN/sv" pause "$SVC/a"
  wait_for grep -q '^State:.*T' "/proc/$pid/status" || fail "not stopped"
  assert_eq "run, paused" "$(cat "$SVC/a/supervise/stat")"
  "$BIN/sv" cont "$SVC/a"
  wait_for not_stopped "$pid" || fail "not continued"
  sup_stop
}

test_shutdown_kills_what_ignores_term_after_timeout() {
  sup_dirs
  mksvc "$SVC/stubborn" "trap '' TERM; echo x > $T/out/ran; while :; do sleep 0.05; done"
  sup_start KILL_PROCESS_TIMEOUT=1
  wait_for [ -e "$T/out/ran" ] || fail "not started"
  start=$(now_ms)
  sup_stop
  took=$(($(now_ms) - start))
  assert_eq 0 "$SUP_RC" "exit code"
  [ "$took" -ge 900 ] && [ "$took" -lt 2500 ] || fail "shutdown took ${took}ms, want about 1000"
}

test_invalid_kill_timeout_is_refused_before_any_service_starts() {
  sup_dirs
  mksvc "$SVC/a" "exec sleep 1000"
  out=$(KILL_PROCESS_TIMEOUT=soon "$BIN/supervisor" "$SVC" 2>&1)
  assert_eq 100 "$?" "exit code"
  assert_eq "supervisor: fatal: invalid KILL_PROCESS_TIMEOUT 'soon': expected a number of seconds" "$out"
  [ ! -e "$SVC/a/supervise" ] || fail "a service was set up"
}

test_no_zombies_from_daemonizing_services_when_not_pid1() {
  sup_dirs
  # run leaves an orphan behind that exits when told: as subreaper the supervisor adopts
  # and reaps it (without the subreaper, the host's init would, and the parent check fails).
  mksvc "$SVC/d" "sh -c 'while [ ! -e $T/out/go ]; do sleep 0.05; done & echo \$! > $T/out/orphan'
exec sleep 1000"
  in_mntns "$BIN/supervisor" "$SVC" >"$T/sup.out" 2>&1 &
  SUP_BG=$!
  wait_for sup_find || fail "supervisor did not start"
  wait_for [ -s "$T/out/orphan" ] || fail "no orphan"
  orphan=$(cat "$T/out/orphan")
  parent_of_orphan() { awk '/^PPid:/ {print $2}' "/proc/$orphan/status" 2>/dev/null; }
  wait_for eval '[ "$(parent_of_orphan)" = "$SUP" ]' ||
    fail "orphan's parent is [$(parent_of_orphan)], not the supervisor $SUP"
  touch "$T/out/go"
  wait_for [ ! -e "/proc/$orphan" ] || fail "orphan $orphan not reaped"
  assert_eq 0 "$(zombies_of "$SUP")" "zombies"
  sup_stop
  assert_eq 0 "$SUP_RC"
}
