# Load on PID 1: orphan storms, a flood of signals, a startup script that leaves a daemon
# behind. PID 1 stays alive, reaps everything and exits with its command's code.
source tests/integration/cinit/helpers.bash
MODES=root

# zombie_wait: inside the namespace, waits (bounded) until no process is a zombie and prints
# "zombies=N" with what is left.
zombie_wait='for i in $(seq 1 600); do
  z=$(grep -l "^State:.*Z" /proc/[0-9]*/status 2>/dev/null | wc -l)
  [ "$z" -eq 0 ] && break; sleep 0.05
done; echo "zombies=$z"'

test_orphan_storm() {
  n=$(chaos_scale 10000 20000)
  start=$(now_ms)
  cinit_run --quiet --skip-runit -- sh -c "\"\$0\" $n || echo orphans-failed; $zombie_wait; exit 3" \
    "$BIN/orphans"
  ms=$(($(now_ms) - start))
  assert_eq 3 "$RC" "exit code: $OUT"
  assert_eq "zombies=0" "$OUT"
  chaos_row "$n orphans, one after another, as fast as fork goes" \
    "PID 1 reaps every one ($((ms / 100 / 10)).$((ms / 100 % 10)) s for the whole run)" \
    "no zombie left; the command's exit code (3)"
}

test_a_flood_of_mixed_signals() {
  n=$(chaos_scale 100000 300000)
  in_pidns "$BIN/cinit" --quiet --skip-runit -- sh -c "
    trap 'echo HUP >>$T/tmp/got' HUP; trap 'echo USR1 >>$T/tmp/got' USR1
    trap 'echo USR2 >>$T/tmp/got' USR2; trap 'echo WINCH >>$T/tmp/got' WINCH
    trap '' ALRM PIPE
    touch $T/tmp/started
    $BIN/orphans 500 &
    while [ ! -e $T/tmp/stop ]; do sleep 0.05; done
    wait; $zombie_wait >$T/tmp/zombies; exit 3" >"$T/out" 2>&1 &
  bg=$!
  wait_for [ -e "$T/tmp/started" ] || fail "the command did not start: $(cat "$T/out")"
  CINIT=$(pgrep -f -n "^$BIN/cinit") || fail "no cinit process"
  read -r sent ms < <("$BIN/sigflood" "$CINIT" "$n")
  assert_eq "$n" "$sent" "signals sent before cinit was gone"
  alive_pid1() { kill -0 "$CINIT" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$CINIT/stat")" != Z ]; }
  alive_pid1 || fail "cinit died in the flood: $(cat "$T/out")"
  # Every forwarded kind reached the command at least once (the kernel merges the rest).
  for s in HUP USR1 USR2 WINCH; do
    wait_for grep -qx "$s" "$T/tmp/got" 2>/dev/null || fail "$s never reached the command"
  done
  touch "$T/tmp/stop"
  wait "$bg"
  assert_eq 3 "$?" "exit code after the flood: $(cat "$T/out")"
  assert_eq "zombies=0" "$(cat "$T/tmp/zombies")"
  chaos_row "$n signals (HUP USR1 USR2 WINCH CHLD CONT ALRM PIPE) to PID 1 in $ms ms, 500 orphans made meanwhile" \
    "PID 1 forwards them to the command (all but CHLD and PIPE), and reaps every orphan" \
    "PID 1 alive; no zombie; the command's exit code (3)"
}

test_startup_script_leaves_a_daemon() {
  # A daemon in its own session that ignores TERM: boot must not wait for it, and the
  # kill-all must still end it (SIGKILL after KILL_ALL_PROCESSES_TIMEOUT).
  script my_init.d/10-daemon "setsid sh -c 'trap \"\" TERM; echo \$\$ >$T/tmp/daemon; exec sleep 1000' </dev/null >/dev/null 2>&1 &
while [ ! -s $T/tmp/daemon ]; do sleep 0.05; done
exit 0"
  start=$(now_ms)
  OUT=$(KILL_ALL_PROCESSES_TIMEOUT=1 in_pidns "$BIN/cinit" -- sh -c "
    d=\$(cat $T/tmp/daemon); kill -0 \$d && echo daemon-alive-ppid=\$(awk '/^PPid:/ {print \$2}' /proc/\$d/status)
    exit 4" 2>&1)
  RC=$?
  ms=$(($(now_ms) - start))
  assert_eq 4 "$RC" "exit code: $OUT"
  # Re-parented to cinit, PID 1.
  assert_contains "$OUT" "daemon-alive-ppid=1"
  assert_contains "$OUT" "*** Killing all processes..."
  [ "$ms" -lt 15000 ] || fail "shutdown took ${ms} ms: $OUT"
  chaos_row "a startup script leaves a daemon behind that ignores SIGTERM" \
    "boot goes on; PID 1 adopts it, and at exit SIGKILLs it after KILL_ALL_PROCESSES_TIMEOUT" \
    "the command's exit code (4); nothing left running"
}
