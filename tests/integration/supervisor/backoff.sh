# Crash loops: the restart delay doubles from 100 ms up to a minute (at most 10 restarts in
# the first minute; runsv restarts once a second forever), and `sv up` is never delayed by it.
source tests/integration/supervisor/helpers.bash
MODES="root user"

# start_ms N: the wall-clock time (ms) of the Nth start logged in $T/out/starts.
start_ms() { local us; us=$(sed -n "$1p" "$T/out/starts"); echo "${us%???}"; }
starts() { wc -l <"$T/out/starts" 2>/dev/null || echo 0; }

test_crash_loop_delay_grows_past_the_old_three_second_cap() {
  sup_dirs
  mksvc "$SVC/crash" "echo \${EPOCHREALTIME/./} >> $T/out/starts; exit 1"
  sed -i '1s|.*|#!/bin/bash|' "$SVC/crash/run"
  sup_start
  # Delays 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4 s: the 8th start comes ~12.7 s after the 1st.
  wait_for_starts() {
    local i
    for i in $(seq 1 400); do
      [ "$(starts)" -ge "$1" ] && return 0
      sleep 0.05
    done
    return 1
  }
  wait_for_starts 8 || fail "only $(starts) starts in 20 s"
  gap7=$(($(start_ms 8) - $(start_ms 7)))
  gap6=$(($(start_ms 7) - $(start_ms 6)))
  echo "delays before the 7th and 8th starts: $gap6 ms, $gap7 ms"
  # Load only makes gaps longer; a cap at 3 s (the old one) or runit's 1 s fails these.
  [ "$gap6" -ge 3000 ] || fail "7th start only $gap6 ms after the 6th"
  [ "$gap7" -ge 6000 ] || fail "8th start only $gap7 ms after the 7th"
  # Within its back-off, `sv up` starts it at once (the existing crash resets nothing).
  n=$(starts)
  "$BIN/sv" up "$SVC/crash" >/dev/null
  wait_for eval '[ "$(starts)" -gt "$n" ]' || fail "sv up waited for the back-off"
  sup_stop
}
