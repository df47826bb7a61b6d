# The supervisor SIGKILLed and started again (by a loop under cinit, which adopts the orphaned
# services): the new one takes every running service back from supervise/ — same pids, no
# second instance — and the pipe from run to log/run with them, so no log line is lost.
source tests/integration/supervisor/helpers.bash
MODES=root

test_supervisor_sigkilled_and_started_again() {
  sup_dirs
  # a counts lines into its logger; b has no logger. Each logs its starts.
  mksvc "$SVC/a" "echo \$\$ >>$T/out/starts-a; trap 'echo term; exit 0' TERM
i=0; while :; do i=\$((i + 1)); echo \"line \$i\"; sleep 0.01; done"
  mkscript "$SVC/a/log/run" "echo \$\$ >>$T/out/starts-alog; exec cat >>$T/out/a.log"
  mksvc "$SVC/b" "echo \$\$ >>$T/out/starts-b; exec sleep 1000"
  in_pidns "$BIN/cinit" --quiet --skip-runit -- sh -c "while [ ! -e $T/out/stop ]; do
      $BIN/supervisor $SVC; echo \$? >>$T/out/sup-exits; done" >"$T/sup.out" 2>&1 &
  bg=$!
  wait_for sup_find || fail "supervisor did not start: $(cat "$T/sup.out")"
  wait_for running "$SVC/a" && wait_for running "$SVC/a/log" && wait_for running "$SVC/b" ||
    fail "services did not start"
  wait_for grep -q 'line 20$' "$T/out/a.log" || fail "no lines logged"
  a=$(svpid "$SVC/a") alog=$(svpid "$SVC/a/log") b=$(svpid "$SVC/b")
  first=$SUP
  kill -KILL "$SUP"
  wait_for eval 'sup_find && [ "$SUP" != "$first" ]' || fail "the supervisor was not started again"
  # Taken back: supervised again (sv answers), by the same processes.
  wait_for eval '"$BIN/sv" status "$SVC/a" | grep -q "^run: $SVC/a: (pid $a) .*; run: log: (pid $alog)"' ||
    fail "a not taken back: $("$BIN/sv" status "$SVC/a") (was $a, log $alog)"
  wait_for eval '"$BIN/sv" status "$SVC/b" | grep -q "^run: $SVC/b: (pid $b) "' ||
    fail "b not taken back: $("$BIN/sv" status "$SVC/b") (was $b)"
  for f in starts-a starts-alog starts-b; do
    assert_eq 1 "$(wc -l <"$T/out/$f")" "starts in $f (a second instance?)"
  done
  # Still driven: a restarted run writes to the same logger; b's exit (seen through a pidfd)
  # restarts it.
  n=$(wc -l <"$T/out/a.log")
  "$BIN/sv" -w 10 restart "$SVC/a" >/dev/null || fail "sv restart a"
  wait_for eval '[ "$(wc -l <"$T/out/starts-a")" = 2 ]' || fail "a did not start again"
  wait_for eval '[ "$(grep -c "^line 20$" "$T/out/a.log")" = 2 ]' ||
    fail "the new run's lines did not reach the old logger"
  "$BIN/sv" kill "$SVC/b"
  wait_for eval '[ "$(wc -l <"$T/out/starts-b")" = 2 ] && running "$SVC/b"' ||
    fail "b was not restarted after its exit: $("$BIN/sv" status "$SVC/b")"
  touch "$T/out/stop"
  SUP_BG=$bg
  sup_stop
  assert_eq 0 "$SUP_RC" "cinit's exit code: $(cat "$T/sup.out")"
  assert_eq "137 0" "$(tr '\n' ' ' <"$T/out/sup-exits" | sed 's/ $//')" "the supervisors' exits"
  # No line lost: the first run's lines, 1 to its last, each once, then the second run's.
  awk '/^line / { n = $2; if (n == 1) run++; if (n != last + 1 && !(n == 1)) { print "gap after " last " in run " run; bad = 1 } last = n }
    /^term$/ { } END { exit bad }' "$T/out/a.log" || fail "lines lost: $(awk '/^line/ {print $2}' "$T/out/a.log" | tr '\n' ' ' | tail -c 300)"
  chaos_row "the supervisor SIGKILLed while its services run, then started again" \
    "the new one takes each running service back from supervise/status (same pid, checked by start time), and the pipe from run to log/run with it" \
    "no second instance; no log line lost ($n lines before the restart); services still driven by sv"
}
