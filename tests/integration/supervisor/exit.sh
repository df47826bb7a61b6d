# `sv exit`: as under runsvdir, the directory is supervised again shortly after its service
# stopped (runsvdir starts a new runsv within its 5 s scan); with a `down` file it is
# supervised but stays down.
source tests/integration/supervisor/helpers.bash
MODES="root user"

starts() { wc -l <"$T/out/starts" 2>/dev/null || echo 0; }

test_sv_exit_stops_then_the_service_comes_back() {
  sup_dirs
  mksvc "$SVC/a" "echo start >> $T/out/starts; exec sleep 1000"
  mkscript "$SVC/a/log/run" "exec cat >> $T/out/a.log"
  sup_start
  wait_for running "$SVC/a" || fail "not running"
  pid1=$(svpid "$SVC/a")
  out=$("$BIN/sv" -v exit "$SVC/a") || fail "exit rc: $out"
  assert_eq "ok: $SVC/a: runsv not running" "$out"
  # Until it is back, the old process is gone and nothing else started it.
  [ "$(starts)" -le 2 ] || fail "started $(starts) times"
  back() { [ "$(starts)" = 2 ] && running "$SVC/a" && [ "$(svpid "$SVC/a")" != "$pid1" ]; }
  wait_for back || fail "not supervised again: $(starts) starts, pid $(svpid "$SVC/a")"
  st=$("$BIN/sv" status "$SVC/a") || fail "status rc after coming back: $st"
  [[ $st =~ ^run:\ $SVC/a:\ \(pid\ [0-9]+\)\ [0-9]+s\;\ run:\ log:\ \(pid\ [0-9]+\) ]] ||
    fail "status: [$st]"
  sup_stop
  assert_eq 0 "$SUP_RC"
}

test_sv_exit_with_a_down_file_is_supervised_again_but_stays_down() {
  sup_dirs
  mksvc "$SVC/a" "echo start >> $T/out/starts; exec sleep 1000"
  touch "$SVC/a/down"
  own "$SVC/a"
  # Supervised (sv reaches it), and down: add_service writes the status only after deciding
  # not to start, so a supervised "down" means it was not started.
  supervised_down() {
    st=$("$BIN/sv" status "$SVC/a") && [[ $st =~ ^down:\ $SVC/a:\ [0-9]+s$ ]]
  }
  sup_start
  wait_for supervised_down || fail "not supervised, or not down at start: [$st]"
  "$BIN/sv" -w 5 up "$SVC/a" >/dev/null || fail "up"
  wait_for eval '[ "$(starts)" = 1 ]' || fail "$(starts) starts after up"
  out=$("$BIN/sv" -v exit "$SVC/a") || fail "exit rc: $out"
  assert_eq "ok: $SVC/a: runsv not running" "$out"
  # Supervised again, and down.
  wait_for supervised_down || fail "not supervised again, or not down: [$st]"
  assert_eq 1 "$(starts)" "starts after exit"
  "$BIN/sv" -w 5 up "$SVC/a" >/dev/null || fail "up after exit"
  wait_for eval '[ "$(starts)" = 2 ]' || fail "$(starts) starts after the second up"
  sup_stop
}
