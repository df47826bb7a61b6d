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
  OUT=$(in_mntns "$BIN/cinit" --quiet --skip-runit -- sh -c "
    $BIN/orphans 1000
    me=\$PPID
    for i in \$(seq 1 100); do
      z=\$(for s in /proc/[0-9]*/status; do awk -v me=\$me '/^State:/{st=\$2} /^PPid:/{pp=\$2} END{if (st==\"Z\" && pp==me) print}' \$s 2>/dev/null; done | wc -l)
      [ \"\$z\" -eq 0 ] && break; sleep 0.05
    done; echo zombies=\$z" 2>&1)
  assert_eq 0 "$?" "exit code: $OUT"
  assert_eq "zombies=0" "$OUT"
}

test_idle_init_does_not_wake_up() {
  in_pidns "$BIN/cinit" --quiet --skip-runit -- sleep 3 >/dev/null 2>&1 &
  BG=$!
  wait_for pgrep -f -n "^$BIN/cinit" >/dev/null || fail "cinit did not start"
  CINIT=$(pgrep -f -n "^$BIN/cinit")
  sleep 0.5
  a=$(awk '/ctxt_switches/ {s += $2} END {print s}' "/proc/$CINIT/status")
  sleep 1.5
  b=$(awk '/ctxt_switches/ {s += $2} END {print s}' "/proc/$CINIT/status")
  wait "$BG"
  assert_eq "$a" "$b" "context switches of an idle cinit"
}
