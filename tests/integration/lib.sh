# Helpers for integration cases: real binaries, real namespaces, a private temp tree.
# Sourced by tests/run.sh with MODE=root|user. The host's /etc is never written: the
# init's /etc is an overlay whose upper layer is $ETC (a temp dir the test fills and reads).
# shellcheck shell=bash

: "${BUILD:=build}"
: "${MODE:=root}"
TEST_USER=${TEST_USER:-cinit-test}
SRC_BIN=$(cd "$BUILD/bin" && pwd)
REPO=$(pwd)

lib_setup() {
  # tests/run.sh makes $T (and kills what names it afterwards); standalone use makes its own.
  [ -n "${T:-}" ] && [ -d "$T" ] || T=$(mktemp -d /tmp/cinit-test.XXXXXX)
  chmod 755 "$T"
  mkdir -p "$T/bin" "$T/etc" "$T/.work" "$T/tmp"
  # The test user cannot reach a checkout under /root: give every case its own copy.
  cp "$SRC_BIN"/* "$T/bin/" 2>/dev/null
  cp "$SRC_BIN"/../test-helpers/* "$T/bin/" 2>/dev/null
  BIN=$T/bin
  ETC=$T/etc
  # An empty service dir shadows the host's /etc/service (a symlink into runit's dirs on
  # Debian), so that no case depends on what the host supervises.
  mkdir -p "$ETC/service"
  if [ "$MODE" = user ] && [ "$(id -u)" -eq 0 ]; then
    chown -R "$TEST_USER:" "$T"
  fi
  trap lib_teardown EXIT
}

lib_teardown() {
  local rc=$?
  # Processes a case started are in namespaces that die with their init; the tree may hold
  # files owned by mapped sub-ids, which root can remove and the test user owns otherwise.
  rm -rf "$T" 2>/dev/null || true
  exit $rc
}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# skip REASON: this case cannot run on this machine (a missing tool, not root). It ends the
# case with code 77 and the reason in $CINIT_SKIP_FILE; tests/run.sh counts it as skipped,
# never as passed, and CINIT_REQUIRE_ALL=1 makes any skip fail the run.
skip() {
  [ -n "${CINIT_SKIP_FILE:-}" ] && printf '%s\n' "$*" >"$CINIT_SKIP_FILE"
  echo "SKIP: $*" >&2
  exit 77
}

assert_eq() { # expected actual [what]
  [ "$1" = "$2" ] || fail "${3:-value}: expected [$1], got [$2]"
}

assert_contains() { # haystack needle [what]
  [[ $1 == *"$2"* ]] || fail "${3:-output} does not contain [$2]: [$1]"
}

assert_not_contains() {
  [[ $1 != *"$2"* ]] || fail "${3:-output} contains [$2]: [$1]"
}

# as_user CMD...: runs CMD as the unprivileged test user in user mode (as is otherwise).
as_user() {
  if [ "$MODE" = user ] && [ "$(id -u)" -eq 0 ]; then
    runuser -u "$TEST_USER" -- "$@"
  else
    "$@"
  fi
}

# The overlay over /etc that every namespace helper mounts before exec'ing its command.
_overlay_etc='mount -t overlay overlay -o "lowerdir=/etc,upperdir=$T/etc,workdir=$T/.work" /etc || exit 99; exec "$@"'

# in_pidns CMD...: CMD as PID 1 of a fresh PID namespace (with its own /proc) and mount
# namespace with the overlaid /etc. Root: real root; user: the test user, root in a userns.
in_pidns() {
  if [ "$MODE" = user ]; then
    as_user env T="$T" unshare --user --map-root-user --pid --fork --mount --mount-proc \
      sh -c "$_overlay_etc" sh "$@"
  else
    env T="$T" unshare --pid --fork --mount --mount-proc sh -c "$_overlay_etc" sh "$@"
  fi
}

# in_mntns CMD...: same /etc overlay, no PID namespace: CMD is not PID 1 (the subreaper path).
in_mntns() {
  if [ "$MODE" = user ]; then
    as_user env T="$T" unshare --user --map-root-user --mount sh -c "$_overlay_etc" sh "$@"
  else
    env T="$T" unshare --mount sh -c "$_overlay_etc" sh "$@"
  fi
}

# put FILE CONTENT [MODE]: writes a file under the overlay's upper /etc.
put() {
  mkdir -p "$(dirname "$ETC/$1")"
  printf '%s' "$2" >"$ETC/$1"
  chmod "${3:-0644}" "$ETC/$1"
  [ "$MODE" = user ] && [ "$(id -u)" -eq 0 ] && chown -R "$TEST_USER:" "$ETC"
  return 0
}

# script FILE BODY: an executable /bin/sh script under the upper /etc.
script() {
  put "$1" "#!/bin/sh
$2
" 0755
}

# wait_for CMD...: polls CMD (up to 10 s) until it succeeds. For tests only; never in init.
wait_for() {
  local i
  for i in $(seq 1 200); do
    "$@" && return 0
    sleep 0.05
  done
  return 1
}

# now_ms: wall clock in milliseconds.
now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }

# etc_dir DIR...: makes directories under the upper /etc, owned by whoever runs the case.
etc_dir() {
  local d
  for d in "$@"; do
    mkdir -p "$ETC/$d"
    [ "$MODE" = user ] && [ "$(id -u)" -eq 0 ] && chown -R "$TEST_USER:" "$ETC/$d"
  done
  return 0
}
