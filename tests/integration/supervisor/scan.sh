# Finding services: inotify, no periodic scan. New directories start and removed ones stop
# within 100 ms; bad directories are reported once and picked up when fixed; Debian's
# layout (symlinked DIR and services, dangling supervise symlinks, dot-dirs) works.
source tests/integration/supervisor/helpers.bash
MODES="root user"

# first_line_ms FILE: waits for FILE's first line (a millisecond timestamp) and prints it.
first_line_ms() {
  wait_for [ -s "$1" ] || return 1
  head -n1 "$1"
}

# mtime_us FILE: modification time in microseconds.
mtime_us() { stat -c %.6Y "$1" | tr -d .; }

test_new_service_starts_within_100ms() {
  # A service there from the start: once it runs, the supervisor has scanned and watches.
  sup_dirs
  mksvc "$SVC/first" "echo started > $T/out/first; exec sleep 1000"
  sup_start
  wait_for [ -s "$T/out/first" ] || fail "first service never started: $(cat "$T/sup.out")"
  for i in 1 2 3; do
    mksvc "$T/stage/new$i" "echo started > $T/out/new$i; exec sleep 1000"
    # Timed from mv's end: the rename is its last act; its exec on a busy machine is not ours.
    mv "$T/stage/new$i" "$SVC/"
    start=${EPOCHREALTIME/./}
    wait_for [ -s "$T/out/new$i" ] || fail "new$i never started"
    # supervise/status is last written when run was spawned: the supervisor's own latency,
    # without the time a busy machine takes to exec /bin/sh.
    took=$((($(mtime_us "$SVC/new$i/supervise/status") - start) / 1000))
    echo "new$i spawned after ${took} ms"
    [ "$took" -lt 100 ] || fail "new$i took ${took} ms"
  done
  sup_stop
}

# wait_gone PID: spins (builtins only, no sleep granularity) until PID is gone, 2 s at most.
wait_gone() {
  local deadline=$((${EPOCHREALTIME/./} + 2000000))
  while [ -d "/proc/$1" ]; do
    ((${EPOCHREALTIME/./} < deadline)) || return 1
  done
}

test_removed_service_stops_within_100ms() {
  sup_dirs
  mksvc "$SVC/gone" "exec sleep 1000"
  mkscript "$SVC/gone/finish" "echo finished > $T/out/finish"
  mkscript "$SVC/gone/log/run" "exec cat > /dev/null"
  sup_start
  wait_for running "$SVC/gone" && wait_for running "$SVC/gone/log" || fail "not running"
  pid=$(hostpid "$(svpid "$SVC/gone")")
  logpid=$(hostpid "$(svpid "$SVC/gone/log")")
  mkdir -p "$T/removed"
  own "$T/removed"
  mv "$SVC/gone" "$T/removed/"
  start=$(now_ms)
  wait_gone "$pid" || fail "run still alive"
  took=$(($(now_ms) - start))
  echo "stopped after ${took} ms"
  [ "$took" -lt 100 ] || fail "stopping took ${took} ms"
  wait_for [ -e "$T/out/finish" ] || fail "finish did not run"
  wait_for eval '! alive "$logpid"' || fail "logger still alive"
  # The directory is no longer supervised: runit's sv says so (its words, not just its exit
  # code, which a missing sv would give too).
  unsupervised() {
    [ "$(/usr/bin/sv status "$T/removed/gone" 2>&1)" = "fail: $T/removed/gone: runsv not running" ]
  }
  wait_for unsupervised || fail "still supervised: $(/usr/bin/sv status "$T/removed/gone" 2>&1)"
  # And the same name again is a new service.
  mv "$T/removed/gone" "$SVC/"
  wait_for running "$SVC/gone" || fail "not restarted when put back"
  sup_stop
}

test_bad_service_dirs_reported_once_and_skipped() {
  sup_dirs
  mksvc "$SVC/good" "echo good > $T/out/good; exec sleep 1000"
  mkdir -p "$SVC/norun" "$SVC/rundir/run" "$SVC/fifo"
  mkscript "$SVC/noexec/run" "echo noexec > $T/out/noexec; exec sleep 1000"
  chmod 644 "$SVC/noexec/run"
  mkfifo "$SVC/fifo/run"
  echo "not a service" >"$SVC/file"
  own "$SVC"
  sup_start
  wait_for [ -e "$T/out/good" ] || fail "good service not started"
  sleep 1
  out=$(cat "$T/sup.out")
  for d in norun rundir fifo noexec; do
    n=$(grep -c "'$SVC/$d/run'" <<<"$out")
    assert_eq 1 "$n" "reports of $d in [$out]"
  done
  assert_contains "$out" "supervisor: warning: '$SVC/rundir/run' is not a regular file"
  assert_contains "$out" "supervisor: warning: '$SVC/fifo/run' is not a regular file"
  assert_not_contains "$out" "$SVC/file"
  # Fixed: picked up at once (inotify on the bad directory), no new report.
  chmod 755 "$SVC/noexec/run"
  wait_for [ -e "$T/out/noexec" ] || fail "fixed service not picked up"
  mkscript "$SVC/norun/run" "echo norun > $T/out/norun; exec sleep 1000"
  wait_for [ -e "$T/out/norun" ] || fail "added run not picked up"
  assert_eq 1 "$(grep -c "'$SVC/noexec/run'" "$T/sup.out")" "reports after fix"
  # Nothing spins meanwhile: the supervisor sleeps in epoll.
  t1=$(awk '{print $14+$15}' "/proc/$SUP/stat")
  sleep 1
  t2=$(awk '{print $14+$15}' "/proc/$SUP/stat")
  [ $((t2 - t1)) -le 2 ] || fail "supervisor used $((t2 - t1)) ticks while idle"
  sup_stop
}

test_unreadable_service_dir_skipped_then_picked_up() {
  sup_dirs
  mksvc "$SVC/good" "echo good > $T/out/good; exec sleep 1000"
  mksvc "$SVC/locked" "echo locked > $T/out/locked; exec sleep 1000"
  chmod 000 "$SVC/locked"
  # Without DAC override the supervisor meets the permissions as a normal user would.
  SUPCMD=(setpriv --bounding-set=-dac_override,-dac_read_search)
  in_pidns "${SUPCMD[@]}" "$BIN/supervisor" "$SVC" >"$T/sup.out" 2>&1 &
  SUP_BG=$!
  wait_for sup_find || fail "supervisor did not start"
  wait_for [ -e "$T/out/good" ] || fail "good service not started: $(cat "$T/sup.out")"
  wait_for grep -q "'$SVC/locked'" "$T/sup.out" || fail "not reported: $(cat "$T/sup.out")"
  [ ! -e "$T/out/locked" ] || fail "locked service started"
  chmod 755 "$SVC/locked"
  wait_for [ -e "$T/out/locked" ] || fail "not picked up after chmod"
  assert_eq 1 "$(grep -c "'$SVC/locked'" "$T/sup.out")" "reports"
  sup_stop
}

test_debian_layout_symlinks_dangling_supervise_dotdirs() {
  # /etc/service -> runsvdir/default; service dirs are symlinks into /etc/sv; supervise is a
  # symlink into a /run that does not exist yet; .meta/ and dot-names are not services.
  mkdir -p "$T/etc/sv" "$T/etc/runsvdir/default"
  mksvc "$T/etc/sv/ssh" "echo ssh > $T/out/ssh; exec sleep 1000"
  mkdir -p "$T/etc/sv/ssh/.meta"
  ln -s "$T/run/runit/supervise/ssh" "$T/etc/sv/ssh/supervise"
  mkscript "$T/etc/sv/ssh/log/run" "exec cat > /dev/null"
  ln -s "$T/run/runit/supervise/ssh.log" "$T/etc/sv/ssh/log/supervise"
  ln -s "$T/etc/sv/ssh" "$T/etc/runsvdir/default/ssh"
  mksvc "$T/etc/runsvdir/default/.hidden" "echo hidden > $T/out/hidden; exec sleep 1000"
  ln -s "$T/etc/runsvdir/default" "$T/service"
  # Debian's runit-helper style: `#!/usr/bin/env WRAPPER`, the wrapper runs the script (the
  # real /lib/runit/invoke-run consults policy-rc.d and /etc/service, useless in a test).
  mkscript "$T/invoke-run" 'exec /bin/sh "$@"'
  mksvc "$T/etc/sv/helper" "exec sleep 1000"
  printf '#!/usr/bin/env %s\necho helper > %s\nexec sleep 1000\n' "$T/invoke-run" "$T/out/helper" \
    >"$T/etc/sv/helper/run"
  ln -s "$T/etc/sv/helper" "$T/etc/runsvdir/default/helper"
  own "$T/etc" "$T/service"
  mkdir -p "$T/run"
  own "$T/run"
  SVC=$T/service
  sup_start
  wait_for [ -e "$T/out/ssh" ] || fail "ssh not started: $(cat "$T/sup.out")"
  [ -p "$T/run/runit/supervise/ssh/control" ] || fail "supervise target not created"
  assert_eq 700 "$(stat -c %a "$T/run/runit/supervise/ssh")" "mode of created supervise dir"
  wait_for [ -p "$T/run/runit/supervise/ssh.log/control" ] || fail "log supervise not created"
  [[ $(/usr/bin/sv status "$SVC/ssh") =~ ^run:\ .*\;\ run:\ log: ]] || fail "Debian sv status"
  wait_for [ -e "$T/out/helper" ] || fail "env-wrapped service not started: $(cat "$T/sup.out")"
  sleep 0.2
  [ ! -e "$T/out/hidden" ] || fail "dot-named service started"
  [ ! -e "$T/etc/sv/ssh/.meta/supervise" ] || fail ".meta treated as a service"
  assert_not_contains "$(cat "$T/sup.out")" ".meta"
  sup_stop
}

test_second_supervisor_on_same_dir_is_refused_by_lock() {
  sup_dirs
  mksvc "$SVC/a" "echo x >> $T/out/a; exec sleep 1000"
  sup_start
  wait_for running "$SVC/a" && wait_for [ -s "$T/out/a" ] || fail "not running"
  # Debian's runsv on the same directory must be refused by our lock.
  out=$(timeout 2 runsv "$SVC/a" 2>&1)
  assert_contains "$out" "unable to lock supervise/lock"
  assert_eq 1 "$(wc -l <"$T/out/a")" "starts"
  sup_stop
}
