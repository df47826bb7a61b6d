# Helpers for the supervisor's cases: service dirs under $T/svc, the supervisor (the copy
# in $BIN) as PID 1 of a fresh PID namespace, and small probes.
# shellcheck shell=bash

SVC=
SUP_BG=

# own PATH...: in user mode the supervisor runs as the test user: give it the files.
own() {
  if [ "$MODE" = user ] && [ "$(id -u)" -eq 0 ]; then
    chown -R "$TEST_USER:" "$@"
  fi
  return 0
}

# mksvc DIR BODY: a service directory DIR with an executable /bin/sh `run`.
mksvc() {
  mkdir -p "$1"
  printf '#!/bin/sh\n%s\n' "$2" >"$1/run"
  chmod 755 "$1/run"
  own "$1"
}

# mkfile PATH BODY: an executable /bin/sh script (finish, log/run, check).
mkscript() {
  mkdir -p "$(dirname "$1")"
  printf '#!/bin/sh\n%s\n' "$2" >"$1"
  chmod 755 "$1"
  own "$(dirname "$1")"
}

sup_dirs() {
  SVC=${SVC:-$T/svc}
  mkdir -p "$SVC" "$T/out"
  chmod 777 "$T/out"
  own "$SVC" "$T/out"
}

# sup_start [VAR=value...]: starts the supervisor on $SVC as PID 1 of a new PID namespace;
# its stdout and stderr go to $T/sup.out. Sets SUP (its pid as seen from here).
sup_start() {
  sup_dirs
  in_pidns env "$@" "$BIN/supervisor" "$SVC" >"$T/sup.out" 2>&1 &
  SUP_BG=$!
  wait_for sup_find || fail "supervisor did not start: $(cat "$T/sup.out")"
}

sup_find() {
  SUP=$(pgrep -f "^$BIN/supervisor $SVC\$" | head -n1)
  [ -n "$SUP" ]
}

# sup_stop: SIGTERM, then waits for it; SUP_RC is its exit status.
sup_stop() {
  kill -TERM "$SUP"
  wait "$SUP_BG"
  SUP_RC=$?
}

# svpid DIR: the pid in DIR/supervise/pid (empty when down).
svpid() { cat "$1/supervise/pid" 2>/dev/null; }

# running DIR: the service runs, as both its pid file and its status say. The supervisor writes
# pid, stat, then status (runsv's order), so a pid alone may come with the previous status.
running() {
  local pid
  pid=$(svpid "$1")
  [ -n "$pid" ] &&
    [ "$(od -An -tu4 -j12 -N4 "$1/supervise/status" 2>/dev/null | tr -d ' ')" = "$pid" ]
}

alive() { kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

# hostpid NSPID: the pid, as seen here, of process NSPID of the supervisor's PID namespace.
# Builtins only: this scans every process and the machine may be busy.
hostpid() {
  local p key rest
  for p in /proc/[0-9]*; do
    [ "$p/ns/pid" -ef "/proc/$SUP/ns/pid" ] || continue
    while read -r key rest; do
      if [ "$key" = NSpid: ]; then
        [ "${rest##*[[:space:]]}" = "$1" ] && { echo "${p#/proc/}"; return 0; }
        break
      fi
    done <"$p/status" 2>/dev/null
  done
  return 1
}

# zombies_of PID: how many zombie children PID has.
zombies_of() {
  local n=0 p
  for p in /proc/[0-9]*/stat; do
    read -r _ _ state ppid _ <"$p" 2>/dev/null || continue
    [ "$ppid" = "$1" ] && [ "$state" = Z ] && n=$((n + 1))
  done
  echo "$n"
}
