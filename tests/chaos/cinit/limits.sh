# Resource limits: 16 open files, and fork failing (a pids cgroup, or RLIMIT_NPROC for the
# test user). PID 1 reports what it could not start, reaps, and exits with the right code.
source tests/integration/cinit/helpers.bash
MODES=root

test_rlimit_nofile_16() {
  script my_init.d/10-ok 'exit 0'
  mkdir -p "$ETC/service/a" "$ETC/service/b"
  printf '#!/bin/sh\nexec sleep 1000\n' >"$ETC/service/a/run"
  printf '#!/bin/sh\nexec sleep 1000\n' >"$ETC/service/b/run"
  chmod 755 "$ETC/service/a/run" "$ETC/service/b/run"
  # Soft and hard: the supervisor cannot raise it either. The command waits (bounded) for both
  # services' run, then checks that the supervisor is still there.
  OUT=$(prlimit --nofile=16:16 bash -c 'source tests/integration/lib.sh; in_pidns "$@"' sh \
    "$BIN/cinit" --quiet -- sh -c "for i in \$(seq 1 200); do
        [ \"\$(pgrep -c -f '^sleep 1000')\" = 2 ] && break; sleep 0.05
      done; echo runs=\$(pgrep -c -f '^sleep 1000') supervisor=\$(pgrep -c -f '^supervisor ')
      $BIN/orphans 100; exit 9" 2>&1)
  RC=$?
  assert_eq 9 "$RC" "exit code: $OUT"
  assert_contains "$OUT" "runs=2 supervisor=1"
  # What could not be opened is said, one line each, and nothing else went wrong.
  bad=$(grep -v -e '^runs=' -e 'Too many open files' <<<"$OUT")
  assert_eq "" "$bad" "output besides EMFILE warnings"
  chaos_row "RLIMIT_NOFILE 16 (soft and hard)" \
    "boot, both services, the command and shutdown run; each file the supervisor cannot open (EMFILE) is one warning" \
    "the command's exit code (9)"
}

# pids_cgroup: makes a v1 or v2 pids cgroup of our own under $T's name, or skips; sets CG.
pids_cgroup() {
  local base
  for base in /sys/fs/cgroup/pids /sys/fs/cgroup; do
    [ -e "$base/cgroup.procs" ] || continue
    CG=$base/cinit-chaos-${T##*.}
    # Usable only if a process can join it (cgroup v2 may refuse: no controller delegated).
    if mkdir "$CG" 2>/dev/null && [ -e "$CG/pids.max" ] &&
      sh -c 'echo $$ >"$1/cgroup.procs"' sh "$CG" 2>/dev/null; then
      # However the case ends, the cgroup goes (it is empty once the namespace is gone).
      trap 'rc=$?; rmdir "$CG" 2>/dev/null; (exit $rc); lib_teardown' EXIT
      return 0
    fi
    rmdir "$CG" 2>/dev/null
  done
  skip "no writable pids cgroup"
}

# hog_scripts: the first startup script starts two daemons and waits on $T/tmp/go; the case
# then lowers the limit to one below what is used, so that once the script exits, cinit's next
# spawn (the second script) fails with EAGAIN.
hog_scripts() {
  mkfifo "$T/tmp/go"
  [ "$MODE" = user ] && [ "$(id -u)" -eq 0 ] && chown "$TEST_USER:" "$T/tmp/go" "$T/tmp"
  script my_init.d/10-hog "sleep 1000 & sleep 1000 & echo hogged >$T/tmp/hog; read x <$T/tmp/go; exit 0"
  script my_init.d/20-next "echo ran >$T/tmp/next; exit 0"
}

# boot_stopped_by_fork_failure: what a case sees once the hog script is gone.
boot_stopped_by_fork_failure() {
  assert_contains "$OUT" "*** /etc/my_init.d/20-next could not be started: Resource temporarily unavailable"
  [ ! -e "$T/tmp/next" ] || fail "20-next ran: the limit did not hold"
  assert_not_contains "$OUT" "cmd-ran"
  assert_eq 1 "$RC" "exit code when boot cannot go on: $OUT"
}

test_fork_failing_in_a_pids_cgroup() {
  [ "$(id -u)" = 0 ] || skip "not root"
  pids_cgroup
  hog_scripts
  KILL_ALL_PROCESSES_TIMEOUT=2 bash -c 'echo $$ >"$1/cgroup.procs" && shift &&
    source tests/integration/lib.sh && in_pidns "$@"' sh "$CG" \
    "$BIN/cinit" -- sh -c "echo cmd-ran; exit 0" >"$T/out" 2>&1 &
  bg=$!
  wait_for [ -s "$T/tmp/hog" ] || fail "the hog script did not start: $(cat "$T/out")"
  echo $(($(cat "$CG/pids.current") - 1)) >"$CG/pids.max"
  echo go >"$T/tmp/go"
  wait "$bg"
  RC=$?
  OUT=$(cat "$T/out")
  fork_failures=$(awk '{print $2}' "$CG/pids.events" 2>/dev/null)
  left=$(cat "$CG/cgroup.procs")
  rmdir "$CG" || fail "the cgroup still holds processes: $left $(cat "$T/out")"
  [ "${fork_failures:-1}" -gt 0 ] || fail "no fork failed in the cgroup"
  boot_stopped_by_fork_failure
  assert_eq "" "$left" "processes left in the cgroup"
  chaos_row "fork failing (a pids cgroup; a startup script leaves it full)" \
    "the next script cannot start: one line, boot stops, shutdown kills and reaps the rest" \
    "exit code 1; nothing left in the cgroup"
}

# In a user namespace, RLIMIT_NPROC counts the processes of the namespace's root, that is,
# this container's, and binds it (no CAP_SYS_RESOURCE in the initial namespace).
MODES_test_fork_failing_under_rlimit_nproc=user
test_fork_failing_under_rlimit_nproc() {
  hog_scripts
  KILL_ALL_PROCESSES_TIMEOUT=2 in_pidns "$BIN/cinit" -- sh -c "echo cmd-ran; exit 0" >"$T/out" 2>&1 &
  bg=$!
  wait_for [ -s "$T/tmp/hog" ] || fail "the hog script did not start: $(cat "$T/out")"
  CINIT=$(pgrep -f -n "^$BIN/cinit") || fail "no cinit process"
  used=0
  for p in /proc/[0-9]*; do
    [ "$p/ns/pid" -ef "/proc/$CINIT/ns/pid" ] 2>/dev/null && used=$((used + 1))
  done
  as_user prlimit --pid "$CINIT" --nproc=$((used - 1)):$((used - 1)) || fail "prlimit on cinit"
  echo go >"$T/tmp/go"
  wait "$bg"
  RC=$?
  OUT=$(cat "$T/out")
  boot_stopped_by_fork_failure
  chaos_row "fork failing (RLIMIT_NPROC in a user namespace; a startup script uses it up)" \
    "the next script cannot start: one line, boot stops, shutdown kills and reaps the rest" \
    "exit code 1"
}
