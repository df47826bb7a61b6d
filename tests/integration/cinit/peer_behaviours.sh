# What tini's and dumb-init's own PID-1 tests check, as our cases, each as PID 1 and as a
# non-PID-1 subreaper: orphans reaped with nothing left in CMD's group, signals proxied, exit
# codes, a signal that kills CMD, the kill-all reaching a pipeline that outlived CMD.
source tests/integration/cinit/helpers.bash

# run_as HOW ARGS...: cinit ARGS through in_pidns (PID 1) or in_mntns (not); sets OUT and RC.
run_as() {
  local how=$1
  shift
  OUT=$("$how" "$BIN/cinit" "$@" 2>&1)
  RC=$?
}

# tini's reaping test: CMD orphans children (a shell that starts them and exits at once), then
# waits until nothing in its process group is left but itself and its own children. An
# orphan that cinit does not reap stays there as a zombie, and so would cinit itself if it
# shared CMD's group. Prints "left=[PIDS]".
reaping_cmd='me=$$
pg() { read -r l < "/proc/$1/stat" && set -- ${l##*) } && echo "$3"; }
mine=$(pg $$)
sh -c "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do sleep 0.2 & done"
others() {
  for s in /proc/[0-9]*/stat; do
    read -r l 2>/dev/null <"$s" || continue # it may have gone since the glob
    set -- ${l##*) }
    [ "$3" = "$mine" ] && [ "${l%% *}" != "$me" ] && [ "$2" != "$me" ] && echo "${l%% *}"
  done
}
end=$(($(date +%s) + 10))
while left=$(others); [ -n "$left" ] && [ "$(date +%s)" -lt "$end" ]; do sleep 0.05; done
echo "left=[$(echo $left)]"'

check_reaping() { # how
  run_as "$1" --quiet --skip-runit -- sh -c "$reaping_cmd"
  assert_eq 0 "$RC" "exit code: $OUT"
  assert_eq "left=[]" "$OUT" "processes left in CMD's group (tini: \"Not reaped\")"
}

test_orphans_reaped_and_cmd_group_empty_as_pid1() { check_reaping in_pidns; }
test_orphans_reaped_and_cmd_group_empty_as_subreaper() { check_reaping in_mntns; }

# dumb-init's exit status tests: CMD's code as it is, 128+N when signal N killed it.
check_exit_codes() { # how
  local code sig
  for code in 0 1 2 32 64 127 254 255; do
    run_as "$1" --quiet --skip-runit -- sh -c "exit $code"
    assert_eq "$code" "$RC" "exit $code: $OUT"
  done
  for sig in TERM HUP QUIT KILL; do
    run_as "$1" --quiet --skip-runit -- sh -c "kill -s $sig \$\$"
    assert_eq $((128 + $(kill -l "$sig"))) "$RC" "killed by $sig: $OUT"
  done
}

test_exit_codes_as_pid1() { check_exit_codes in_pidns; }
test_exit_codes_as_subreaper() { check_exit_codes in_mntns; }

# Starts cinit through HOW in the background with CMD (a shell script with marker $T/cmd.sh);
# waits until CMD has a child. Sets BG, CINIT and CMD (host pids). $T/sleep is sleep under a
# name that tests/run.sh finds, so that a failed case leaves nothing behind.
start_cmd() { # how body
  ln -sf "$(command -v sleep)" "$T/sleep"
  printf '#!/bin/sh\n%s\n' "$2" >"$T/cmd.sh"
  chmod 755 "$T/cmd.sh"
  [ "$MODE" = user ] && [ "$(id -u)" -eq 0 ] && chown "$TEST_USER:" "$T/cmd.sh"
  "$1" "$BIN/cinit" --quiet --skip-runit -- "$T/cmd.sh" >"$T/out" 2>&1 &
  BG=$!
  wait_for pgrep -f -n "^$BIN/cinit" >/dev/null || fail "cinit did not start: $(cat "$T/out")"
  CINIT=$(pgrep -f -n "^$BIN/cinit")
  wait_for pgrep -P "$CINIT" -f "$T/cmd.sh" >/dev/null || fail "CMD did not start"
  CMD=$(pgrep -P "$CINIT" -f "$T/cmd.sh")
  wait_for pgrep -P "$CMD" >/dev/null || fail "CMD has no child: $(cat "$T/out")"
}

# tini's signals test: CMD, with default dispositions, waits for a child; TERM, USR1 or USR2
# sent to cinit reaches CMD, which dies of it, and cinit exits 128+N.
check_signal_kills_cmd() { # how
  local sig
  for sig in TERM USR1 USR2; do
    start_cmd "$1" "$T/sleep 1000; exit 0"
    kill -s "$sig" "$CINIT"
    wait_for sh -c "! kill -0 $CMD 2>/dev/null" || fail "$sig to cinit did not end CMD"
    wait "$BG"
    rc=$?
    assert_eq $((128 + $(kill -l "$sig"))) "$rc" "exit code after $sig: $(cat "$T/out")"
  done
}

test_signal_to_init_kills_cmd_and_is_its_exit_code_as_pid1() { check_signal_kills_cmd in_pidns; }
test_signal_to_init_kills_cmd_and_is_its_exit_code_as_subreaper() {
  check_signal_kills_cmd in_mntns
}

# dumb-init's test_proxies_signals, with the signals cinit forwards (signals.sh checks them as
# PID 1): each reaches CMD as itself, once, in order.
test_each_forwarded_signal_reaches_cmd_as_subreaper() {
  check_each_signal_forwarded in_mntns --skip-runit
}

# dumb-init's pipeline test (in its setsid mode, which is what cinit always does on exit):
# TERM to the init stops CMD, and the kill-all ends the pipelines CMD left behind. As PID 1
# the namespace's end would kill them anyway; the subreaper case is the kill-all's check.
check_pipeline_killed() { # how
  local p pids
  start_cmd "$1" "$T/sleep 1000 | $T/sleep 1001 & $T/sleep 1002 | $T/sleep 1003"
  wait_for sh -c "[ \$(pgrep -g $CMD -f '^$T/sleep 100[0-3]\$' | wc -l) -eq 4 ]" ||
    fail "pipelines did not start: $(ps -o pid,pgid,args -g "$CMD")"
  pids=$(pgrep -g "$CMD" -f "^$T/sleep 100[0-3]\$")
  kill -TERM "$CINIT"
  wait "$BG"
  rc=$?
  assert_eq 143 "$rc" "exit code after TERM: $(cat "$T/out")"
  for p in $pids; do
    kill -0 "$p" 2>/dev/null && fail "pipeline member $p outlived cinit"
  done
  return 0
}

test_term_ends_cmd_pipelines_as_pid1() { check_pipeline_killed in_pidns; }
test_term_ends_cmd_pipelines_as_subreaper() { check_pipeline_killed in_mntns; }

# Signals beyond the seven that my_init users know: as tini and dumb-init do, cinit forwards
# every signal it can catch. Left at their default action, ALRM, VTALRM and PWR would kill a
# non-PID-1 cinit (and a PID 1 would drop them); CONT is what Slurm sends after a stop.
check_other_signals_forwarded() { # how
  start_probe_in "$1" --skip-runit
  for s in ALRM VTALRM PWR CONT; do
    kill -s "$s" "$CINIT"
    wait_for grep -qx "$s" "$T/log" || fail "$s not forwarded; log: $(cat "$T/log"); $(cat "$T/out")"
  done
  kill -0 "$CINIT" 2>/dev/null || fail "cinit died of a forwarded signal"
  kill -s TERM "$CINIT"
  wait "$BG"
  assert_eq 0 "$?" "exit code after TERM: $(cat "$T/out")"
}
test_other_signals_are_forwarded_as_pid1() { check_other_signals_forwarded in_pidns; }
test_other_signals_are_forwarded_as_subreaper() { check_other_signals_forwarded in_mntns; }
