# Compatibility: Debian's own runit `sv` (/usr/bin/sv, runit 2.1.2) reads our status files
# and drives our services through the control FIFO; ours prints what it prints.
source tests/integration/supervisor/helpers.bash
MODES="root user"

DSV=/usr/bin/sv

status_re() { # NAME: a run line with log, as runit prints it
  echo "^run: $1: \(pid [0-9]+\) [0-9]+s; run: log: \(pid [0-9]+\) [0-9]+s$"
}

test_debian_sv_status_up_down_restart_term_once_exit() {
  [ -x "$DSV" ] || fail "Debian's runit sv is not installed"
  sup_dirs
  mksvc "$SVC/a" "echo start >> $T/out/starts; exec sleep 1000"
  mkscript "$SVC/a/log/run" "exec cat >> $T/out/a.log"
  sup_start
  wait_for running "$SVC/a" || fail "not running"
  export SVDIR=$SVC
  # status, by name under SVDIR and by path
  st=$($DSV status a)
  [[ $st =~ $(status_re a) ]] || fail "status: [$st]"
  [[ $($DSV status "$SVC/a") =~ $(status_re "$SVC/a") ]] || fail "status by path"
  # down
  out=$($DSV -v down a) || fail "down rc: $out"
  [[ $out =~ ^ok:\ down:\ a:\ [0-9]+s,\ normally\ up$ ]] || fail "down: [$out]"
  [[ $($DSV status a) =~ ^down:\ a:\ [0-9]+s,\ normally\ up\;\ run:\ log: ]] || fail "status after down"
  # up
  out=$($DSV -v up a) || fail "up rc: $out"
  [[ $out =~ ^ok:\ run:\ a:\ \(pid\ [0-9]+\) ]] || fail "up: [$out]"
  # restart: a new process
  pid1=$(svpid "$SVC/a")
  out=$($DSV restart a) || fail "restart rc: $out"
  [[ $out =~ ^ok:\ run:\ a:\ \(pid\ [0-9]+\)\ [0-9]+s$ ]] || fail "restart: [$out]"
  # Debian's sv compares whole seconds and may say "ok" before the TERM has landed (its own
  # race, as with once): the new process must follow, not necessarily precede, its answer.
  pid_changed() { pid2=$(svpid "$SVC/a"); [ -n "$pid2" ] && [ "$pid1" != "$pid2" ]; }
  wait_for pid_changed || fail "restart kept pid $pid1"
  # term: the service is restarted (want up). The same race as restart: wait for the new pid.
  out=$($DSV -v term a) || fail "term rc: $out"
  term_restarted() { pid3=$(svpid "$SVC/a"); [ -n "$pid3" ] && [ "$pid3" != "$pid2" ]; }
  wait_for term_restarted || fail "term did not restart: $pid2 -> $pid3"
  # once: runs once, not restarted after it exits
  $DSV -v down a >/dev/null || fail "down before once"
  n=$(wc -l <"$T/out/starts")
  # (runit's `sv -v once` may report before the start: its check passes on a fresh "down")
  $DSV once a || fail "once rc"
  wait_for running "$SVC/a" || fail "once: not started"
  [[ $($DSV status a) =~ ^run:\ a:\ \(pid\ [0-9]+\)\ [0-9]+s,\ want\ down\; ]] || fail "once status"
  assert_eq "run, want down" "$(cat "$SVC/a/supervise/stat")"
  kill_it=$(hostpid "$(svpid "$SVC/a")")
  kill -TERM "$kill_it"
  # Down and not wanted up: the supervisor decided not to restart it (a restart pending behind
  # the back-off would show ", want up"). supervise/status is written last (runsv's order):
  # wait for it, not for the pid file, which goes empty first.
  once_down() { st=$($DSV status a); [[ $st =~ ^down:\ a:\ [0-9]+s,\ normally\ up\;\ run:\ log: ]]; }
  wait_for once_down ||
    fail "once: after exit: [$st]; starts: $n before once, $(wc -l <"$T/out/starts") now"
  assert_eq $((n + 1)) "$(wc -l <"$T/out/starts")" "starts after once"
  # exit: the service and its logger stop and the directory is left alone for a moment;
  # then it is supervised again, as runsvdir does within its 5 s scan (exit.sh has more)
  $DSV up a >/dev/null
  wait_for running "$SVC/a" || fail "not up again"
  runpid=$(hostpid "$(svpid "$SVC/a")")
  logpid=$(hostpid "$(svpid "$SVC/a/log")")
  [ -n "$runpid" ] && [ -n "$logpid" ] || fail "no run or log process: [$runpid] [$logpid]"
  out=$($DSV -v exit a) || fail "exit rc: $out"
  assert_eq "ok: a: runsv not running" "$out"
  wait_for eval '! alive "$runpid"' || fail "run still alive after exit"
  wait_for eval '! alive "$logpid"' || fail "logger still alive after exit"
  wait_for eval '[[ $($DSV status a) =~ $(status_re a) ]]' || fail "not back after exit"
  sup_stop
  assert_eq 0 "$SUP_RC"
}

test_debian_sv_sees_got_term_and_timeout() {
  sup_dirs
  mksvc "$SVC/stub" "trap '' TERM; echo > $T/out/stub.ready; while :; do sleep 0.05; done"
  sup_start KILL_PROCESS_TIMEOUT=1
  # Running is not enough: a TERM before the trap is set would stop it.
  wait_for [ -e "$T/out/stub.ready" ] || fail "not running"
  out=$($DSV -w 1 -v down "$SVC/stub")
  assert_eq 1 $? "rc"
  [[ $out =~ ^timeout:\ run:\ $SVC/stub:\ \(pid\ [0-9]+\)\ [0-9]+s,\ want\ down,\ got\ TERM$ ]] ||
    fail "timeout line: [$out]"
  assert_eq "run, got TERM, want down" "$(cat "$SVC/stub/supervise/stat")"
  out=$($DSV -v kill "$SVC/stub")
  [[ $out =~ ^ok:\ down:\ $SVC/stub:\ [0-9]+s,\ normally\ up$ ]] || fail "kill: [$out]"
  sup_stop
}

# Our sv against Debian's, on the same services at the same moment.
test_our_sv_prints_what_debian_sv_prints() {
  sup_dirs
  mksvc "$SVC/a" "trap : HUP; echo > $T/out/a.ready; while :; do sleep 0.1; done"
  mkscript "$SVC/a/log/run" "exec cat >/dev/null"
  mksvc "$SVC/d" "exec sleep 1000"
  touch "$SVC/d/down"
  mkdir -p "$SVC/plain"
  own "$SVC"
  sup_start
  # (a HUP before the trap is set would kill a, and the two sv would see different pids)
  wait_for [ -e "$T/out/a.ready" ] || fail "not running"
  wait_for [ -p "$SVC/d/supervise/ok" ] || fail "d not supervised"
  export SVDIR=$SVC
  for args in "status a" "status d" "status a d" "status $SVC/a" "status plain" "status nosuch" \
    "-v up d" "-v down d" "once d" "status d" "check a" "-v hup a" "status a d"; do
    # shellcheck disable=SC2086
    theirs=$($DSV $args 2>&1)
    trc=$?
    # shellcheck disable=SC2086
    ours=$("$BIN/sv" $args 2>&1)
    orc=$?
    # The seconds may tick between the two calls.
    assert_eq "$(sed -E 's/[0-9]+s\b/Ns/g' <<<"$theirs")" "$(sed -E 's/[0-9]+s\b/Ns/g' <<<"$ours")" "sv $args"
    assert_eq "$trc" "$orc" "exit code of sv $args"
  done
  theirs=$($DSV 2>&1)
  trc=$?
  ours=$("$BIN/sv" 2>&1)
  assert_eq "$trc" "$?" "usage exit code"
  assert_eq "$theirs" "$ours" "usage"
  sup_stop
}

test_our_sv_status_json() {
  sup_dirs
  mksvc "$SVC/a" "exec sleep 1000"
  mkscript "$SVC/a/log/run" "exec cat >/dev/null"
  mksvc "$SVC/d" "exec sleep 1000"
  touch "$SVC/d/down"
  own "$SVC"
  sup_start
  wait_for running "$SVC/a" || fail "not running"
  wait_for [ -p "$SVC/d/supervise/ok" ] || fail "d not supervised"
  json=$(SVDIR=$SVC "$BIN/sv" status --json a d)
  assert_eq 0 $? "rc"
  assert_eq "run" "$(jq -r '.[0].state' <<<"$json")"
  assert_eq "$(svpid "$SVC/a")" "$(jq -r '.[0].pid' <<<"$json")"
  assert_eq "run" "$(jq -r '.[0].log.state' <<<"$json")"
  assert_eq "true" "$(jq -r '.[0].supervised' <<<"$json")"
  assert_eq "down false down" "$(jq -r '.[1] | "\(.state) \(.normally_up) \(.want)"' <<<"$json")"
  assert_eq "null" "$(jq -r '.[1].log' <<<"$json")"
  json=$(SVDIR=$SVC "$BIN/sv" status --json nosuch)
  assert_eq 1 $? "rc for a missing service"
  assert_eq "false" "$(jq -r '.[0].supervised' <<<"$json")"
  sup_stop
}
