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
