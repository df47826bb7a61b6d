# Shared by the cinit cases: run cinit as PID 1 with the overlaid /etc, capture its output.
# shellcheck shell=bash
MODES="root user"

# cinit_run ARGS...: runs "$BIN/cinit ARGS" as PID 1; sets OUT (stdout+stderr) and RC.
cinit_run() {
  OUT=$(in_pidns "$BIN/cinit" "$@" 2>&1)
  RC=$?
}

# A probe script that records its PID, waits for signals and logs each one it gets.
# probe_cmd FILE: prints a command line for sh that writes signal names to FILE.
probe_script() {
  cat >"$T/probe.sh" <<PROBE
#!/bin/sh
for s in HUP INT QUIT USR1 USR2 WINCH ALRM VTALRM PWR CONT; do trap "echo \$s >> $1" \$s; done
trap "echo TERM >> $1; exit 0" TERM
echo ready >> $1
while :; do sleep 0.05; done
PROBE
  chmod 755 "$T/probe.sh"
  [ "$MODE" = user ] && [ "$(id -u)" -eq 0 ] && chown "$TEST_USER:" "$T/probe.sh"
  return 0
}

# start_probe_in HOW [CINIT_ARGS...]: cinit in the background, started through HOW (in_pidns:
# as PID 1; in_mntns: as a subreaper), with the probe as CMD; sets CINIT (host pid) and BG.
start_probe_in() {
  local how=$1
  shift
  probe_script "$T/log"
  "$how" "$BIN/cinit" --quiet "$@" -- "$T/probe.sh" >"$T/out" 2>&1 &
  BG=$!
  wait_for grep -q ready "$T/log" 2>/dev/null || fail "probe did not start: $(cat "$T/out")"
  CINIT=$(pgrep -f -n "^$BIN/cinit") || fail "no cinit process"
}

# check_each_signal_forwarded HOW [CINIT_ARGS...]: the six signals my_init users know reach
# CMD as themselves, once, in order; TERM ends it with 0.
check_each_signal_forwarded() {
  start_probe_in "$@"
  for s in HUP INT QUIT USR1 USR2 WINCH; do
    kill -s "$s" "$CINIT"
    wait_for grep -qx "$s" "$T/log" || fail "$s not forwarded; log: $(cat "$T/log")"
  done
  kill -s TERM "$CINIT"
  wait "$BG"
  assert_eq 0 "$?" "exit code after TERM"
  assert_eq "ready HUP INT QUIT USR1 USR2 WINCH TERM" "$(tr '\n' ' ' <"$T/log" | sed 's/ $//')"
}

# The pid of the cinit (as seen from the host) that runs with marker argument $1.
cinit_pid() {
  pgrep -f -n -- "$BIN/cinit.*$1"
}
