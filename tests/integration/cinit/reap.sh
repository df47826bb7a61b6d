# Reaping: thousands of orphans, as PID 1 and as a non-PID-1 subreaper; an idle init sleeps.
source tests/integration/cinit/helpers.bash

# Makes N orphans at once (each a child that forks a grandchild and exits), then waits until
# no zombie is left among its own namespace/descendants and prints how many remain.
orphans_cmd='"$0" 2000;
for i in $(seq 1 100); do
  z=$(grep -l "^State:.*Z" /proc/[0-9]*/status 2>/dev/null | wc -l)
  [ "$z" -eq 0 ] && break; sleep 0.05
done; echo "zombies=$z"'

test_thousands_of_orphans_reaped_as_pid1() {
  cinit_run --quiet --skip-runit -- sh -c "$orphans_cmd" "$BIN/orphans"
  assert_eq 0 "$RC" "exit code"
  assert_eq "zombies=0" "$OUT"
}

test_orphans_reaped_as_subreaper_when_not_pid1() {
  # First an orphan that stays: its new parent must be cinit (the subreaper), not the host's
  # init, which would otherwise reap the orphans below and leave no zombie either.
  OUT=$(in_mntns "$BIN/cinit" --quiet --skip-runit -- sh -c "
    me=\$PPID
    sh -c 'sleep 30 & echo \$! > $T/tmp/orphan'
    orphan=\$(cat $T/tmp/orphan)
    echo adopted-by-cinit=\$(awk -v me=\$me '/^PPid:/ {print (\$2 == me) ? \"yes\" : \"no, by \" \$2}' /proc/\$orphan/status)
    kill \$orphan
    $BIN/orphans 1000
    for i in \$(seq 1 100); do
      z=\$(for s in /proc/[0-9]*/status; do awk -v me=\$me '/^State:/{st=\$2} /^PPid:/{pp=\$2} END{if (st==\"Z\" && pp==me) print}' \$s 2>/dev/null; done | wc -l)
      [ \"\$z\" -eq 0 ] && break; sleep 0.05
    done; echo zombies=\$z" 2>&1)
  assert_eq 0 "$?" "exit code: $OUT"
  assert_eq "adopted-by-cinit=yes
zombies=0" "$OUT"
}

test_idle_init_does_not_wake_up() {
  # Idle once its command runs; the command lives until told (its exit would wake cinit).
  in_pidns "$BIN/cinit" --quiet --skip-runit -- sh -c "touch $T/tmp/started
    while [ ! -e $T/tmp/stop ]; do sleep 0.1; done" >/dev/null 2>&1 &
  BG=$!
  wait_for [ -e "$T/tmp/started" ] || fail "cinit's command did not start"
  CINIT=$(pgrep -f -n "^$BIN/cinit") || fail "no cinit"
  # And cinit itself back in its loop, blocked in read (of its signalfd) or epoll_wait
  # (x86-64 system call numbers 0; 232, 281, 441).
  in_loop() { local nr _r; read -r nr _r <"/proc/$CINIT/syscall" && [[ $nr =~ ^(0|232|281|441)$ ]]; }
  wait_for in_loop || fail "cinit not blocked in its loop: $(cat "/proc/$CINIT/syscall")"
  a=$(awk '/ctxt_switches/ {s += $2} END {print s}' "/proc/$CINIT/status")
  sleep 1.5 # the window in which an idle cinit must not run at all
  b=$(awk '/ctxt_switches/ {s += $2} END {print s}' "/proc/$CINIT/status")
  touch "$T/tmp/stop"
  wait "$BG"
  assert_eq "$a" "$b" "context switches of an idle cinit"
}
