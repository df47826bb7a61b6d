# Shutdown: shutdown scripts, kill-all (TERM, timeout, KILL), --no-kill-all-on-exit, and a
# non-PID-1 kill-all that spares processes that are not its descendants.
source tests/integration/cinit/helpers.bash

test_pre_and_post_shutdown_scripts_run_in_order() {
  script my_init.pre_shutdown.d/10_pre 'echo pre >> /etc/order'
  script my_init.post_shutdown.d/10_post 'echo post >> /etc/order'
  cinit_run --quiet -- sh -c 'echo cmd >> /etc/order; exit 5'
  assert_eq 5 "$RC" "exit code"
  assert_eq "cmd pre post" "$(tr '\n' ' ' <"$ETC/order" | sed 's/ $//')"
}

test_kill_all_sends_term_then_kill_after_timeout() {
  OUT=$(KILL_ALL_PROCESSES_TIMEOUT=1 in_pidns "$BIN/cinit" --skip-runit -- sh -c "
    sh -c 'trap \"echo polite >> /etc/kill2; exit 0\" TERM; while :; do sleep 0.05; done' &
    sh -c 'trap \"echo stubborn >> /etc/kill2\" TERM; while :; do sleep 0.05; done' &
    sleep 0.3; exit 0" 2>&1)
  RC=$?
  assert_eq 0 "$RC" "exit code"
  assert_contains "$OUT" "*** Killing all processes..."
  assert_contains "$(cat "$ETC/kill2")" "polite"
  assert_contains "$(cat "$ETC/kill2")" "stubborn"
}

test_kill_all_is_bounded_by_its_timeout() {
  start=$SECONDS
  OUT=$(KILL_ALL_PROCESSES_TIMEOUT=1 in_pidns "$BIN/cinit" --quiet --skip-runit -- sh -c "
    sh -c 'trap \"\" TERM; while :; do sleep 0.05; done' & sleep 0.2" 2>&1)
  assert_eq 0 "$?" "exit code: $OUT"
  [ $((SECONDS - start)) -lt 8 ] || fail "kill-all took $((SECONDS - start)) s with a 1 s timeout"
}

test_no_kill_all_on_exit_sends_no_term() {
  OUT=$(in_pidns "$BIN/cinit" --quiet --skip-runit --no-kill-all-on-exit -- sh -c "
    sh -c 'trap \"echo got-TERM >> /etc/kill; exit 0\" TERM; while :; do sleep 0.05; done' &
    sleep 0.3; exit 0" 2>&1)
  assert_eq 0 "$?" "exit code"
  [ ! -e "$ETC/kill" ] || fail "a process got TERM despite --no-kill-all-on-exit"
}

test_non_pid1_kill_all_spares_unrelated_processes() {
  # An unrelated process of the same user: kill(-1) would hit it, our kill-all must not.
  as_user sleep 300 &
  unrelated=$!
  sleep 0.2
  unrelated_pid=$(pgrep -n -x sleep -P "$unrelated" 2>/dev/null || echo "$unrelated")
  OUT=$(KILL_ALL_PROCESSES_TIMEOUT=5 in_mntns "$BIN/cinit" --skip-runit -- sh -c "
    setsid sh -c 'trap \"echo descendant-got-TERM >> $T/tmp/kill; exit 0\" TERM; while :; do sleep 0.05; done' &
    sleep 0.3; exit 0" 2>&1)
  rc=$?
  alive=no
  kill -0 "$unrelated_pid" 2>/dev/null && alive=yes
  kill "$unrelated_pid" "$unrelated" 2>/dev/null
  assert_eq 0 "$rc" "exit code: $OUT"
  assert_eq yes "$alive" "unrelated process survived"
  assert_eq "descendant-got-TERM" "$(cat "$T/tmp/kill" 2>/dev/null)" "the daemonized descendant got TERM"
}
