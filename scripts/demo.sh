#!/usr/bin/env bash
# make demo: the whole life cycle on this machine, as a newcomer meets it. Builds the demo
# image (no Docker), imports it with the launcher as an unprivileged user, boots it with cinit
# as PID 1 (startup scripts, services, a one-shot command, the environment dumps), then boots
# it in services-only mode and stops it with SIGTERM, as `docker stop` would.
# As root it runs the launcher as the user cinit-test (scripts/deps.sh creates it).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
USER_NAME=${DEMO_USER:-cinit-test}

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Building the demo image (OCI layout, from Debian's busybox-static and our binaries)"
BUILD=$BUILD image/build.sh

# A private work dir the unprivileged user can reach (the checkout may be under /root).
work=$(mktemp -d /tmp/cinit-demo.XXXXXX)
cleanup() {
  [ -n "${bg:-}" ] && kill "$bg" 2>/dev/null
  rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT
chmod 755 "$work"
cp "$BUILD/bin/launcher" "$BUILD/bin/cinit" "$work/"
cp -R "$BUILD/image/oci" "$work/oci"
mkdir -p "$work/home"
# The prefix that runs a command as the unprivileged user. setpriv execs in place (no
# supervising parent, unlike su/runuser), so a signal sent to its pid reaches the launcher.
as_user=(env HOME="$work/home" XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config")
if [ "$(id -u)" -eq 0 ]; then
  chown -R "$USER_NAME:" "$work"
  as_user=(setpriv --reuid="$USER_NAME" --regid="$USER_NAME" --init-groups "${as_user[@]}")
fi
launcher=$work/launcher

step "launcher import (as $(if [ "$(id -u)" -eq 0 ]; then echo "$USER_NAME"; else id -un; fi), no root, no daemon)"
"${as_user[@]}" "$launcher" import "$work/oci" --name cinit-demo
"${as_user[@]}" "$launcher" images

step "launcher run: cinit boots the image, services come up, a one-shot command runs"
"${as_user[@]}" "$launcher" run -e GREETING='hello from the demo' cinit-demo -- sh -c '
  sv -w 5 up /etc/service/syslog /etc/service/cron >/dev/null
  echo "--- sv status"; sv status /etc/service/*
  echo "--- sv status --json syslog"; sv status --json /etc/service/syslog; echo
  echo "--- /etc/container_environment.sh"; cat /etc/container_environment.sh
  echo "--- /etc/container_environment.json"; cat /etc/container_environment.json; echo
  echo "--- id, as root and through setuser"; id; setuser app id
  echo "--- processes"; ps -o pid,user,args'
echo "one-shot exit code: $?"

step "launcher run without a command: services only; then SIGTERM, as docker stop sends"
"${as_user[@]}" "$launcher" run cinit-demo &
bg=$!
sleep 2
echo "--- sending SIGTERM to the launcher (pid $bg)"
kill -TERM "$bg"
rc=0
wait "$bg" || rc=$?
bg=
echo "services-only exit code after SIGTERM: $rc (0 = clean shutdown)"
[ "$rc" -eq 0 ]

step "Done: see README.md for how to use cinit in your own images"
