# Many services at once: the supervisor starts every one, stops every one, leaves no zombie.
source tests/integration/supervisor/helpers.bash
MODES=root

# in_ns_count: how many processes live in the supervisor's PID namespace (it included).
in_ns_count() {
  local p n=0
  for p in /proc/[0-9]*; do
    [ "$p/ns/pid" -ef "/proc/$SUP/ns/pid" ] 2>/dev/null && n=$((n + 1))
  done
  echo "$n"
}

test_many_services() {
  n=$(chaos_scale 1000 2000)
  sup_dirs
  for i in $(seq 1 "$n"); do
    mkdir -p "$SVC/s$i"
    printf '#!/bin/sh\nexec sleep 1000\n' >"$SVC/s$i/run"
  done
  chmod 755 "$SVC"/s*/run
  start=$(now_ms)
  sup_start
  all_up() { [ "$(in_ns_count)" = $((n + 1)) ]; }
  for _ in $(seq 1 12); do all_up && break; wait_for all_up; done
  all_up || fail "$(in_ns_count) of $((n + 1)) processes after 2 minutes: $(tail -n 5 "$T/sup.out")"
  up_ms=$(($(now_ms) - start))
  # Every service's status says so (a sample: sv reads them one by one).
  for i in 1 $((n / 2)) "$n"; do
    wait_for running "$SVC/s$i" || fail "s$i not running: $("$BIN/sv" status "$SVC/s$i")"
  done
  start=$(now_ms)
  sup_stop
  down_ms=$(($(now_ms) - start))
  assert_eq 0 "$SUP_RC" "supervisor exit code: $(tail -n 5 "$T/sup.out")"
  assert_eq "" "$(cat "$T/sup.out")" "supervisor output"
  chaos_row "$n services in one directory" \
    "all running in $((up_ms / 100 / 10)).$((up_ms / 100 % 10)) s, all stopped on SIGTERM in $((down_ms / 100 / 10)).$((down_ms / 100 % 10)) s" \
    "one process per service; exit 0; no warning"
}
