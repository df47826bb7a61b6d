# launcher run under faults: SIGKILL before and after the id maps are written (newuidmap
# as the test user; /proc/PID/*_map as root), after the mounts (at pivot_root), and of the
# launcher while its container runs. After each: no process, mount or temp dir is left, and
# the next run works.
source tests/chaos/launcher/common.bash

# kill_run_at CALL N EXPECTED: a run of the base image killed at the Nth CALL, which must be
# the call EXPECTED (a piece of its strace line, which ends in "= ?": it never returned), so
# that the fault hit the phase it is meant for; then nothing is left and the next run works.
kill_run_at() {
  local out
  kill_at "$1" "$2" run --no-init base -- sh -c "echo ran" "$(chaos_marker)" ||
    fail "no $1 #$2 in a run"
  grep -F "$3" "$T/strace.log" | grep -q '= ?$' ||
    fail "killed elsewhere than at $3: $(cat "$T/strace.log")"
  assert_not_contains "$(cat "$T/killed.out")" "ran" "output of the killed run"
  launcher_gone
  no_debris
  out=$(launcher run --no-init base -- echo ran-after 2>&1) || fail "next run failed: $out"
  assert_contains "$out" "ran-after" "next run"
  store_consistent base
}

test_run_sigkill_before_and_after_the_id_maps() {
  import_base
  launcher run --no-init base -- true 2>/dev/null || fail "first run failed" # warnings said
  if [ "$MODE" = user ]; then
    # newuidmap and newgidmap are started with vfork(2); then "g" releases the container
    # (the launcher's own first write: its children, newuidmap's writes, are not traced).
    kill_run_at vfork 1 "vfork()"
    NOFOLLOW=1 kill_run_at write 1 '"g", 1)'
  else
    # Root writes the maps itself: setgroups "deny", gid_map, uid_map; then "g".
    kill_run_at write 1 '"deny", 4)'
    kill_run_at write 4 '"g", 1)'
  fi
  chaos_row "run SIGKILLed before and after the id maps are written" \
    "the container never starts" "no process, mount or temp dir left; next run works"
}

test_run_sigkill_after_the_mounts() {
  import_base
  # The container's init has mounted its root (overlay, /proc, /dev, /sys, binds) and is
  # about to pivot into it.
  kill_run_at pivot_root 1 "pivot_root("
  assert_eq 137 "$KILLED_RC" "status of the launcher whose container was killed"
  chaos_row "run SIGKILLed after the mounts (at pivot_root)" "the launcher exits 137" \
    "no process, mount or temp dir left; next run works"
}

test_launcher_sigkilled_while_its_container_runs() {
  import_base
  local m pid out
  m=$(chaos_marker)
  launcher run --no-init base -- sh -c "sleep 300; echo not-killed" "$m" >"$T/run.out" 2>&1 &
  # Its shell, exec'd in the container (the launcher's own command line has no "^sh -c").
  wait_for pgrep -f -- "^sh -c sleep 300.* $m" >/dev/null || fail "container did not start"
  pid=$(pgrep -f -- "^$BIN/[l]auncher run") || fail "no launcher"
  kill -KILL "$pid"
  launcher_gone
  wait
  assert_not_contains "$(cat "$T/run.out")" "not-killed"
  no_debris
  out=$(launcher run --no-init base -- echo ran-after 2>&1) || fail "next run failed: $out"
  assert_contains "$out" "ran-after" "next run"
  chaos_row "launcher SIGKILLed while its container runs" "the container dies with it" \
    "no process, mount or temp dir left; next run works"
}
