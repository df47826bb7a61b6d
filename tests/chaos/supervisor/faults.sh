# Service directories in trouble: removed while their service runs, `run` missing or not
# executable, `finish` that hangs, `supervise/` read-only or on a full disk. The supervisor
# says what is wrong once, keeps the other services running, and exits cleanly.
source tests/integration/supervisor/helpers.bash
MODES=root

# no_zombies: the supervisor has no unreaped child (bounded wait).
no_zombies() { wait_for eval '[ "$(zombies_of "$SUP")" = 0 ]' || fail "zombies of the supervisor"; }

test_service_dir_removed_while_running() {
  sup_dirs
  mksvc "$SVC/gone" 'exec sleep 1000'
  mksvc "$SVC/stays" 'exec sleep 1000'
  mkscript "$SVC/gone/log/run" 'exec cat >/dev/null'
  sup_start
  wait_for running "$SVC/gone" && wait_for running "$SVC/stays" || fail "services did not start"
  gone=$(hostpid "$(svpid "$SVC/gone")")
  stays=$(svpid "$SVC/stays")
  rm -rf "$SVC/gone"
  wait_for eval '! alive "$gone"' || fail "the removed service's run still runs"
  no_zombies
  assert_eq "$stays" "$(svpid "$SVC/stays")" "the other service's pid"
  sup_stop
  assert_eq 0 "$SUP_RC" "supervisor exit code: $(cat "$T/sup.out")"
  chaos_row "a service directory removed (rm -rf) while its service and logger run" \
    "the supervisor stops both at once (inotify) and reaps them" \
    "the other services untouched (same pid); exit 0"
}

test_run_missing_or_not_executable() {
  sup_dirs
  mkdir -p "$SVC/norun"
  mksvc "$SVC/noexec" "echo noexec >>$T/out/started; exec sleep 1000"
  chmod 644 "$SVC/noexec/run"
  mksvc "$SVC/good" 'exec sleep 1000'
  sup_start
  wait_for running "$SVC/good" || fail "the good service did not start"
  # Each bad one is named once (after a grace period for a directory being written).
  wait_for eval '[ "$(grep -c norun "$T/sup.out")" = 1 ] && [ "$(grep -c noexec "$T/sup.out")" = 1 ]' ||
    fail "the bad services were not named once each: $(cat "$T/sup.out")"
  # Fixed, each is picked up at once.
  chmod 755 "$SVC/noexec/run"
  printf '#!/bin/sh\nexec sleep 1000\n' >"$SVC/norun/run.tmp"
  chmod 755 "$SVC/norun/run.tmp"
  mv "$SVC/norun/run.tmp" "$SVC/norun/run"
  wait_for running "$SVC/noexec" && wait_for running "$SVC/norun" ||
    fail "the fixed services did not start: $(cat "$T/sup.out")"
  sup_stop
  assert_eq 0 "$SUP_RC" "supervisor exit code"
  assert_eq 2 "$(wc -l <"$T/sup.out")" "lines of output: $(cat "$T/sup.out")"
  chaos_row "\`run\` missing, or not executable" \
    "one warning line each; the service starts as soon as run is fixed" \
    "the other services run; exit 0"
}

test_finish_hanging_past_the_timeout() {
  sup_dirs
  mksvc "$SVC/a" 'exec sleep 1000'
  mkscript "$SVC/a/finish" "trap '' TERM; echo \$\$ >$T/out/finish; while :; do sleep 0.05; done"
  sup_start KILL_PROCESS_TIMEOUT=1
  wait_for running "$SVC/a" || fail "not running"
  "$BIN/sv" term "$SVC/a"
  wait_for [ -s "$T/out/finish" ] || fail "finish did not start"
  finish=$(hostpid "$(cat "$T/out/finish")")
  start=$(now_ms)
  sup_stop
  ms=$(($(now_ms) - start))
  assert_eq 0 "$SUP_RC" "supervisor exit code: $(cat "$T/sup.out")"
  ! alive "$finish" || fail "finish outlived the supervisor"
  [ "$ms" -lt 10000 ] || fail "shutdown took $ms ms with KILL_PROCESS_TIMEOUT=1"
  chaos_row "\`finish\` that ignores SIGTERM and never ends, at shutdown" \
    "SIGKILLed after KILL_PROCESS_TIMEOUT (1 s here): shutdown took $((ms / 100 / 10)).$((ms / 100 % 10)) s" \
    "exit 0; nothing left running"
}

test_supervise_read_only_or_full() {
  sup_dirs
  mksvc "$SVC/ro" 'exec sleep 1000'
  mksvc "$SVC/full" 'exec sleep 1000'
  mksvc "$SVC/good" 'exec sleep 1000'
  mkdir -p "$SVC/ro/supervise" "$SVC/full/supervise"
  # supervise/ of one service a read-only tmpfs, of another a tmpfs with no page free.
  in_pidns sh -c 'mount -t tmpfs -o ro tmpfs "$1/ro/supervise" &&
    mount -t tmpfs -o size=4k tmpfs "$1/full/supervise" &&
    { head -c 1000000 /dev/zero >"$1/full/supervise/fill" 2>/dev/null; true; } &&
    exec "$2/supervisor" "$1"' sh "$SVC" "$BIN" >"$T/sup.out" 2>&1 &
  SUP_BG=$!
  wait_for sup_find || fail "supervisor did not start: $(cat "$T/sup.out")"
  wait_for running "$SVC/good" || fail "the good service did not start"
  wait_for grep -q "Read-only file system" "$T/sup.out" || fail "no word on the read-only dir: $(cat "$T/sup.out")"
  wait_for grep -q "No space left on device" "$T/sup.out" || fail "no word on the full dir: $(cat "$T/sup.out")"
  sleep 1 # the window in which a retry would repeat the warnings
  no_zombies
  sup_stop
  assert_eq 0 "$SUP_RC" "supervisor exit code: $(cat "$T/sup.out")"
  assert_eq 2 "$(wc -l <"$T/sup.out")" "lines of output: $(cat "$T/sup.out")"
  chaos_row "\`supervise/\` read-only, or on a full filesystem" \
    "one warning naming the file and the error; the service is retried, not the supervisor" \
    "the other services run; exit 0"
}
