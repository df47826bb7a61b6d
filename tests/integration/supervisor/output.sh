# A service without log/ writes to the container's stdout; with SUPERVISOR_PREFIX_LOGS=1
# each line carries the service's name.
source tests/integration/supervisor/helpers.bash
MODES="root user"

test_output_without_log_reaches_stdout() {
  sup_dirs
  mksvc "$SVC/plain" "echo plain-out; echo plain-err >&2; exec sleep 1000"
  sup_start
  wait_for grep -q plain-err "$T/sup.out" || fail "no output: $(cat "$T/sup.out")"
  grep -qx plain-out "$T/sup.out" || fail "stdout line changed: $(cat "$T/sup.out")"
  sup_stop
}

test_prefixed_output_with_supervisor_prefix_logs() {
  sup_dirs
  mksvc "$SVC/web" "echo one; printf 'two\nthree'; sleep 0.2; echo ' end'; echo oops >&2; exec sleep 1000"
  mksvc "$SVC/db" "echo ready; exec sleep 1000"
  mksvc "$SVC/logged" "echo to-the-log; exec sleep 1000"
  mkscript "$SVC/logged/log/run" "exec cat > $T/out/logged"
  sup_start SUPERVISOR_PREFIX_LOGS=1
  wait_for grep -q "web: oops" "$T/sup.out" && wait_for grep -q "db: ready" "$T/sup.out" ||
    fail "no prefixed output: $(cat "$T/sup.out")"
  wait_for grep -q to-the-log "$T/out/logged" || fail "log/ did not get its service's output"
  out=$(cat "$T/sup.out")
  grep -qx "web: one" <<<"$out" || fail "[$out]"
  grep -qx "web: two" <<<"$out" || fail "[$out]"
  grep -qx "web: three end" <<<"$out" || fail "partial line split: [$out]"
  grep -qx "db: ready" <<<"$out" || fail "[$out]"
  assert_not_contains "$out" "to-the-log"
  sup_stop
}

# No log line is lost when either side restarts: the supervisor holds the pipe between run
# and log/run, so what run writes while its logger is down waits in the pipe, and a new run
# writes into the same pipe. Lines come in bursts of ten, each when the test asks (go file),
# numbered on from a counter file, so that no line is ever in flight during a restart.
test_no_log_line_lost_when_run_or_log_restarts() {
  sup_dirs
  mksvc "$SVC/a" "[ -s $T/out/count ] || echo 0 > $T/out/count
trap 'exit 0' TERM
while :; do
  if [ -e $T/out/go ]; then
    rm -f $T/out/go
    n=\$(cat $T/out/count)
    for i in 1 2 3 4 5 6 7 8 9 10; do echo line \$((n + i)); done
    echo \$((n + 10)) > $T/out/count.new && mv $T/out/count.new $T/out/count
  fi
  sleep 0.05
done"
  mkscript "$SVC/a/log/run" "exec cat >> $T/out/a.log"
  sup_start
  wait_for running "$SVC/a" && wait_for running "$SVC/a/log" || fail "not running"
  burst() { # N: asks for a burst and waits until run has written it (the count says N)
    want=$1
    touch "$T/out/go"
    wait_for eval '[ "$(cat "$T/out/count")" = "$want" ]' || fail "run did not write up to line $want"
  }
  lines() { wc -l <"$T/out/a.log" 2>/dev/null || echo 0; }
  burst 10
  wait_for eval '[ "$(lines)" = 10 ]' || fail "first burst not logged: $(lines) lines"
  # The logger goes down; run writes on, into the pipe.
  out=$("$BIN/sv" -w 5 down "$SVC/a/log") || fail "log down: $out"
  burst 20
  # run restarts while its logger is still down, and the new run writes too.
  pid=$(svpid "$SVC/a")
  "$BIN/sv" -w 5 restart "$SVC/a" >/dev/null || fail "restart of run failed"
  wait_for eval '[ -n "$(svpid "$SVC/a")" ] && [ "$(svpid "$SVC/a")" != "$pid" ]' ||
    fail "run not restarted"
  burst 30
  assert_eq 10 "$(lines)" "lines logged while the logger was down"
  # The logger comes back: every line, in order, once.
  "$BIN/sv" -w 5 up "$SVC/a/log" >/dev/null || fail "log up failed"
  wait_for eval '[ "$(lines)" -ge 30 ]' || fail "lines lost: $(lines) of 30 logged"
  assert_eq "$(seq -f 'line %g' 1 30)" "$(cat "$T/out/a.log")" "the log"
  sup_stop
}
