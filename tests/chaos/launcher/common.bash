# Helpers for the launcher's fault cases (sourced by the *.sh files here; no cases of its
# own), on top of the integration helpers: the real static launcher, killed or stopped at a
# chosen system call by strace's fault injection (`-e inject=SYSCALL:signal=SIG:when=N`, the
# Nth call of SYSCALL by one process or thread), so that every phase is hit deterministically
# without a test hook in the binary.
# shellcheck shell=bash

source tests/integration/launcher/common.bash

MODES="root user"

need_strace() {
  command -v strace >/dev/null || skip "no strace (scripts/deps.sh installs it)"
}

# traced LOG STRACE-OPTION... -- LAUNCHER-ARG...: the launcher under `strace -f` (its first
# process alone with NOFOLLOW=1), with the environment `launcher` gives it. strace runs as
# root and starts the launcher as the test user (-u), so that the set-uid newuidmap still
# works under it. Its log goes to LOG.
traced() {
  local log=$1 opts=() as=()
  shift
  while [ "$1" != -- ]; do
    opts+=("$1")
    shift
  done
  shift
  [ "$MODE" = user ] && as=(-u "$TEST_USER")
  need_strace
  [ "${NOFOLLOW:-0}" = 1 ] || opts+=(-f)
  # TRACE_PIN=1: on one CPU, so that the launcher unpacks one layer at a time in one thread
  # (unpack_parallelism follows the affinity): strace counts a call's Nth time per thread.
  ${TRACE_PIN:+taskset -c 0} strace -qq -o "$log" "${as[@]}" -E LAUNCHER_CONFIG -E HOME="$T/home" \
    -E XDG_DATA_HOME="$T/data" -E XDG_CONFIG_HOME="$T/config" "${opts[@]}" \
    "$BIN/launcher" "$@"
}

# kill_at SYSCALL N LAUNCHER-ARG...: runs the launcher with SIGKILL delivered at the Nth call
# of SYSCALL (by whichever of its processes or threads first makes N of them); its output goes
# to $T/killed.out, its status to $KILLED_RC. Succeeds if something was killed there, fails
# if no process got that far (the launcher then ran to its end).
kill_at() {
  local call=$1 n=$2
  shift 2
  traced "$T/strace.log" -e trace="$call" -e inject="$call:signal=KILL:when=$n" -- "$@" \
    >"$T/killed.out" 2>&1
  local rc=$?
  KILLED_RC=$rc
  if grep -q "+++ killed by SIGKILL +++" "$T/strace.log"; then
    [ "$rc" -ne 0 ] || fail "killed at $call #$n, yet the launcher exited 0"
    return 0
  fi
  [ "$rc" -eq 0 ] || fail "not killed at $call #$n, yet failed (rc $rc): $(cat "$T/killed.out")"
  return 1
}

# store_consistent NAME...: `launcher images` lists exactly NAME... (none: no image), each
# with every layer its record names in layers/ (a layer appears there only whole), and
# images/ holds nothing but records.
store_consistent() {
  local d=$T/data/launcher out want got l
  out=$(launcher images 2>&1) || fail "launcher images failed: $out"
  want=$(printf '%s\n' "$@" | sort)
  got=$(printf '%s\n' "$out" | tail -n +2 | cut -f1 | sort)
  assert_eq "$want" "$got" "images listed"
  for l in $(cat /dev/null "$d"/images/*.json 2>/dev/null | jq -r '.layers[]'); do
    [ -d "$d/layers/${l#sha256:}" ] || fail "an image lists $l, which is not in the store"
  done
  [ -z "$(find "$d/images" -mindepth 1 ! -name '*.json')" ] ||
    fail "debris in images/: $(ls -A "$d/images")"
}

# no_debris: nothing of a finished or dead launcher left under tmp/ and mnt/.
no_debris() {
  local d=$T/data/launcher
  [ -z "$(ls -A "$d/tmp" 2>/dev/null)" ] || fail "temp debris left: $(ls -A "$d/tmp")"
  [ -z "$(ls -A "$d/mnt" 2>/dev/null)" ] || fail "left in mnt/: $(ls -A "$d/mnt")"
}

# layer_inodes: "hex inode" of every layer in the store, one a line (a layer that is
# unpacked again gets a new directory, and so a new inode).
layer_inodes() {
  local l
  for l in "$T"/data/launcher/layers/*; do
    [ -e "$l" ] && echo "$(basename "$l") $(stat -c %i "$l")"
  done
  return 0
}

# kept_whole BEFORE: every "hex inode" line of BEFORE (layer_inodes) is still in the store,
# the same directory: the import or pull after a kill reused it.
kept_whole() {
  local now line
  now=$(layer_inodes)
  while read -r line; do
    [ -n "$line" ] || continue
    grep -qxF "$line" <<<"$now" || fail "layer ${line%% *} was not reused (now: $now)"
  done <<<"$1"
}

# chaos_marker: an argument for a container's command, so that its processes can be told
# (and found) from the host; it names $T, so that tests/run.sh ends them whatever happens.
chaos_marker() { echo "$T/chaos"; }

# launcher_gone: no launcher of this case is left running, nor strace, nor a container
# (its command line has chaos_marker), nor a mount under $T. (The bracket keeps the
# pattern from matching the shell that runs pgrep.)
launcher_gone() {
  local m
  m=$(chaos_marker)
  wait_for sh -c "! pgrep -f -- '$BIN/[l]auncher|[${m:0:1}]${m:1}' >/dev/null" ||
    fail "left running: $(pgrep -af -- "$BIN/launcher|$m")"
  ! grep -qF "$T/" /proc/self/mountinfo || fail "left mounted: $(grep -F "$T/" /proc/self/mountinfo)"
}

# kill_then_again CALL N LAUNCHER-ARG...: the launcher command (an import or pull that
# stores image "img") killed at the Nth CALL, then run again plainly: it completes, keeps
# every layer the killed one committed and leaves no debris; then the store is removed.
# Fails (returns 1) if CALL #N never came.
kill_then_again() {
  local call=$1 n=$2 before
  shift 2
  if ! kill_at "$call" "$n" "$@"; then
    rm -rf "$T/data" # it ran to its end: the next one starts from an empty store too
    return 1
  fi
  store_consistent
  before=$(layer_inodes)
  launcher "$@" >/dev/null 2>"$T/err" ||
    fail "$1 after a kill at $call #$n failed: $(cat "$T/err")"
  store_consistent img
  kept_whole "$before"
  no_debris
  rm -rf "$T/data"
}

# twice_at_once ROUNDS LAUNCHER-ARG...: ROUNDS times, from an empty store, the same launcher
# command (storing the three-layer image "twin") twice at once: both must succeed, leaving
# one image, each layer once and no debris.
twice_at_once() {
  local rounds=$1 i a b
  shift
  for i in $(seq "$rounds"); do
    launcher "$@" >"$T/a.out" 2>&1 &
    a=$!
    launcher "$@" >"$T/b.out" 2>&1 &
    b=$!
    wait "$a" || fail "round $i: the first failed: $(cat "$T/a.out")"
    wait "$b" || fail "round $i: the second failed: $(cat "$T/b.out")"
    store_consistent twin
    assert_eq 3 "$(find "$T/data/launcher/layers" -mindepth 1 -maxdepth 1 | wc -l)" \
      "layers after round $i"
    no_debris
    rm -rf "$T/data"
  done
}

# layered_image DIR: DIR:latest, the base layer plus a layer with a file and a whiteout and
# one with an opaque directory: three layer commits and every kind of layer entry. Built
# once per machine and user, next to the base layout.
layered_image() {
  local cache=$FIXTURES/chaos-layered-v1
  if [ ! -f "$cache/index.json" ]; then
    base_image # builds the cached base if needed
    local tmp
    tmp=$(mktemp -d "$FIXTURES/.chaos.XXXXXX")
    cp -a "$FIXTURES/base" "$tmp/img"
    pytar "$tmp/l2.tar" 'f("two", b"2"); f(".wh.gone")'
    pytar "$tmp/l3.tar" 'd("dir"); f("dir/.wh..wh..opq"); f("dir/three", b"3")'
    umoci raw add-layer --image "$tmp/img:latest" "$tmp/l2.tar" >/dev/null &&
      umoci raw add-layer --image "$tmp/img:latest" "$tmp/l3.tar" >/dev/null ||
      fail "umoci raw add-layer failed"
    mv -T "$tmp/img" "$cache" 2>/dev/null || true # a parallel builder won
    rm -rf "$tmp"
  fi
  cp -a "$cache" "$1"
  own "$1"
}
