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

# until_files FILE...: a shell loop (for the command inside) that waits, 10 s at most, until
# every FILE exists: the background processes it started have set their traps.
until_files() {
  local f cond=
  for f in "$@"; do cond="$cond [ -e $f ] &&"; done
  echo "i=0; until $cond true; do [ \$i -lt 200 ] || exit 99; sleep 0.05; i=\$((i+1)); done"
}

test_kill_all_sends_term_then_kill_after_timeout() {
  OUT=$(KILL_ALL_PROCESSES_TIMEOUT=1 in_pidns "$BIN/cinit" --skip-runit -- sh -c "
    sh -c 'trap \"echo polite >> /etc/kill2; exit 0\" TERM; touch /etc/r1; while :; do sleep 0.05; done' &
    sh -c 'trap \"echo stubborn >> /etc/kill2\" TERM; touch /etc/r2; while :; do sleep 0.05; done' &
    $(until_files /etc/r1 /etc/r2); exit 0" 2>&1)
  RC=$?
  assert_eq 0 "$RC" "exit code"
  assert_contains "$OUT" "*** Killing all processes..."
  assert_contains "$(cat "$ETC/kill2")" "polite"
  assert_contains "$(cat "$ETC/kill2")" "stubborn"
}

# uptime_ms: /proc/uptime in milliseconds (the same clock inside the namespaces).
uptime_ms() { local up _r; read -r up _r </proc/uptime; echo $((10#${up/./}0)); }

test_kill_all_is_bounded_by_its_timeout() {
  # The stubborn process notes when TERM came (with builtins only: no fork to race with the
  # KILL), and survives it; KILL must follow about a second later: not at once (it had no
  # chance to stop), not much later (the timeout is 1 s).
  OUT=$(KILL_ALL_PROCESSES_TIMEOUT=1 in_pidns "$BIN/cinit" --quiet --skip-runit -- sh -c "
    sh -c 'trap \"read up _ </proc/uptime; echo \\\$up >/etc/term_up\" TERM; touch /etc/r1
      while :; do sleep 0.05; done' &
    $(until_files /etc/r1)" 2>&1)
  rc=$?
  end=$(uptime_ms)
  assert_eq 0 "$rc" "exit code: $OUT"
  [ -s "$ETC/term_up" ] || fail "the stubborn process got no TERM (or the KILL came first)"
  read -r up <"$ETC/term_up"
  took=$((end - 10#${up/./}0))
  [ "$took" -ge 900 ] || fail "KILL came ${took} ms after TERM, before KILL_ALL_PROCESSES_TIMEOUT=1"
  [ "$took" -lt 8000 ] || fail "kill-all took ${took} ms after TERM with a 1 s timeout"
}

test_no_kill_all_on_exit_sends_no_term() {
  OUT=$(in_pidns "$BIN/cinit" --quiet --skip-runit --no-kill-all-on-exit -- sh -c "
    sh -c 'trap \"echo got-TERM >> /etc/kill; exit 0\" TERM; touch /etc/r1; while :; do sleep 0.05; done' &
    $(until_files /etc/r1); exit 0" 2>&1)
  assert_eq 0 "$?" "exit code"
  [ ! -e "$ETC/kill" ] || fail "a process got TERM despite --no-kill-all-on-exit"
}

test_non_pid1_kill_all_spares_unrelated_processes() {
  # An unrelated process of the same user: kill(-1) would hit it, our kill-all must not.
  as_user sh -c "echo \$\$ > $T/tmp/unrelated; exec sleep 300" &
  unrelated=$!
  wait_for [ -s "$T/tmp/unrelated" ] || fail "unrelated process did not start"
  unrelated_pid=$(cat "$T/tmp/unrelated")
  OUT=$(KILL_ALL_PROCESSES_TIMEOUT=5 in_mntns "$BIN/cinit" --skip-runit -- sh -c "
    setsid sh -c 'trap \"echo descendant-got-TERM >> $T/tmp/kill; exit 0\" TERM; touch $T/tmp/r1; while :; do sleep 0.05; done' &
    $(until_files "$T/tmp/r1"); exit 0" 2>&1)
  rc=$?
  alive=no
  kill -0 "$unrelated_pid" 2>/dev/null && alive=yes
  kill "$unrelated_pid" "$unrelated" 2>/dev/null
  assert_eq 0 "$rc" "exit code: $OUT"
  assert_eq yes "$alive" "unrelated process survived"
  assert_eq "descendant-got-TERM" "$(cat "$T/tmp/kill" 2>/dev/null)" "the daemonized descendant got TERM"
}
