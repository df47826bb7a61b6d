# The control protocol under load: 50 `sv` callers at once on one service, and the control
# FIFO flooded with commands and junk. One instance of the service, the supervisor responsive.
source tests/integration/supervisor/helpers.bash
MODES=root

# instances: how many of the service's run processes are alive (each one logs its pid).
instances() {
  local n=0 p
  while read -r p; do
    h=$(hostpid "$p") && alive "$h" && n=$((n + 1))
  done <"$T/out/pids"
  echo "$n"
}

test_fifty_sv_callers_at_once() {
  sup_dirs
  mksvc "$SVC/a" "echo \$\$ >>$T/out/pids; exec sleep 1000"
  sup_start
  wait_for running "$SVC/a" || fail "not running"
  # Each caller's output and exit status in its own file. No `once` or `down` among them: one
  # of those landing between another caller's TERM and its `u` leaves the service down, as
  # runsv would, and a caller waiting for it up then rightly times out.
  caller() {
    local i=$1
    shift
    "$BIN/sv" "$@" "$SVC/a" >"$T/out/sv.$i" 2>&1
    echo "rc=$? sv $*" >>"$T/out/sv.$i"
  }
  callers=()
  for i in $(seq 1 50); do
    case $((i % 5)) in
    0) caller "$i" -w 30 restart & ;;
    1) caller "$i" -w 30 up & ;;
    2) caller "$i" status & ;;
    3) caller "$i" hup & ;;
    4) caller "$i" -w 30 check & ;;
    esac
    callers+=($!)
  done
  wait "${callers[@]}" # not the supervisor's job
  failed=$(grep -L '^rc=0 ' "$T"/out/sv.*)
  assert_eq "" "$failed" "sv callers that failed: $(cat $failed 2>/dev/null)"
  # Then up, once.
  "$BIN/sv" -w 30 up "$SVC/a" >/dev/null || fail "sv up after the storm"
  wait_for running "$SVC/a" || fail "not running after the storm"
  wait_for eval '[ "$(instances)" = 1 ]' || fail "$(instances) instances of the service"
  restarts=$(($(wc -l <"$T/out/pids") - 1))
  sup_stop
  assert_eq 0 "$SUP_RC" "supervisor exit code: $(cat "$T/sup.out")"
  assert_eq "" "$(cat "$T/sup.out")" "supervisor output"
  chaos_row "50 \`sv\` callers at once on one service (restart, up, check, hup, status)" \
    "every caller gets its answer (exit 0); $restarts restarts in all" \
    "exactly one instance of the service at any end; exit 0"
}

test_control_fifo_flooded() {
  n=$(chaos_scale 1000000 10000000)
  sup_dirs
  mksvc "$SVC/a" "echo \$\$ >>$T/out/pids; trap 'echo hup >>$T/out/hups' HUP; while :; do sleep 0.05; done"
  mksvc "$SVC/b" 'exec sleep 1000'
  sup_start
  wait_for running "$SVC/a" && wait_for running "$SVC/b" || fail "not running"
  first=$(svpid "$SVC/a")
  # Commands that keep it up (u, h, c), and bytes that are no command at all.
  yes 'uhc Z!' | head -c "$n" >"$T/flood"
  size=$(stat -c %s "$T/flood")
  start=$(now_ms)
  timeout 60 cat "$T/flood" >"$SVC/a/supervise/control" || fail "the flood was not read (supervisor stuck?)"
  ms=$(($(now_ms) - start))
  # Still answering: status, then down and up, each waited for.
  "$BIN/sv" status "$SVC/b" | grep -q '^run:' || fail "sv status after the flood"
  out=$("$BIN/sv" -v -w 10 down "$SVC/a" 2>&1); [[ $out == "ok: down:"* ]] || fail "sv down after the flood: $out $(cat "$T/sup.out")"
  "$BIN/sv" -v -w 10 up "$SVC/a" | grep -q '^ok: run:' || fail "sv up after the flood"
  [ "$(sed -n 1p "$T/out/pids")" = "$first" ] || fail "pids file"
  assert_eq 2 "$(wc -l <"$T/out/pids")" "starts of the service (the first, and after sv up)"
  wait_for [ -s "$T/out/hups" ] || fail "no HUP reached the service: $(cat "$T/out/pids")"
  sup_stop
  assert_eq 0 "$SUP_RC" "supervisor exit code: $(cat "$T/sup.out")"
  chaos_row "the control FIFO flooded: $((size / 1000)) kB of u h c and junk bytes" \
    "read in $((ms / 100 / 10)).$((ms / 100 % 10)) s; junk ignored; sv status, down and up answer at once after" \
    "one instance of the service; the other service untouched; exit 0"
}
