# Restarts: back-off grows on a crash loop and resets after a healthy run (>= 1 s), after
# which the restart is immediate.
source tests/integration/supervisor/helpers.bash
MODES="root user"

test_crash_loop_backs_off() {
  sup_dirs
  mksvc "$SVC/crash" "echo x >> $T/out/starts; exit 1"
  sup_start
  wait_for [ -s "$T/out/starts" ] || fail "never started"
  sleep 2
  n=$(wc -l <"$T/out/starts")
  echo "$n starts in about 2 s"
  # 100, 200, 400, 800 ms delays: about 5 starts in 2 s (runsv: 2; without back-off: hundreds).
  [ "$n" -ge 3 ] && [ "$n" -le 8 ] || fail "$n starts in 2 s"
  st=$("$BIN/sv" status "$SVC/crash")
  [[ $st =~ ^down:\ $SVC/crash:\ [0-9]+s,\ normally\ up,\ want\ up$ ||
     $st =~ ^run:\ $SVC/crash: ]] || fail "status during back-off: [$st]"
  sup_stop
}

test_backoff_resets_after_healthy_run_and_restart_is_immediate() {
  sup_dirs
  # Three quick crashes, then a healthy run of 1.2 s, then the next start is timed.
  cat >"$T/run" <<EOF2
#!/bin/bash
echo "start \${EPOCHREALTIME/./}" >> $T/out/log
n=\$(grep -c start $T/out/log)
[ \$n -le 3 ] && exit 1
if [ \$n -eq 4 ]; then sleep 1.2; echo "end \${EPOCHREALTIME/./}" >> $T/out/log; exit 0; fi
exec sleep 1000
EOF2
  mkdir -p "$SVC/h"
  mv "$T/run" "$SVC/h/run"
  chmod 755 "$SVC/h/run"
  own "$SVC/h"
  sup_start
  wait_for eval '[ "$(grep -c start "$T/out/log" 2>/dev/null)" = 5 ]' ||
    fail "no 5th start: $(cat "$T/out/log")"
  end=$(awk '$1 == "end" {print $2}' "$T/out/log")
  fifth=$(awk '$1 == "start" {n++; if (n == 5) print $2}' "$T/out/log")
  spawned=$(stat -c %.6Y "$SVC/h/supervise/status" | tr -d .)
  echo "healthy run's last line to respawn: $(((spawned - end) / 1000)) ms;" \
    "to the new run's first line: $(((fifth - end) / 1000)) ms"
  # The bar is 10 ms; the gap also holds bash's exit, which a busy machine stretches.
  gap=$(((spawned - end) / 1000))
  [ "$gap" -lt 50 ] || fail "restart after a healthy run took ${gap} ms"
  sup_stop
}

test_sv_restart_is_not_delayed_by_backoff() {
  sup_dirs
  mksvc "$SVC/a" "echo x >> $T/out/starts; exec sleep 1000"
  sup_start
  wait_for running "$SVC/a" || fail "not running"
  wait_for [ -s "$T/out/starts" ] || fail "no first start"
  for i in 1 2 3 4; do
    out=$("$BIN/sv" -w 2 restart "$SVC/a") || fail "restart $i: $out"
    # sv returns once run is spawned; its line follows (and must, before the next TERM).
    wait_for eval '[ "$(wc -l <"$T/out/starts")" = $((i + 1)) ]' ||
      fail "restart $i: $(wc -l <"$T/out/starts") starts"
  done
  sup_stop
}
