# launcher import under faults: SIGKILL at every commit and inside a layer, while waiting for
# the store lock, two imports of one image at once, the disk filling up, and a data root
# that cannot hold overlay layers. After each: `launcher images` lists only complete images,
# and the next import completes, reusing the layers that were whole.
source tests/chaos/launcher/common.bash

# kill_then_import CALL N: kill_then_again for an import of the three-layer $T/img.
kill_then_import() {
  kill_then_again "$1" "$2" import "$T/img:latest" --name img
}

test_sigkill_at_every_commit() {
  layered_image "$T/img"
  # rename(2) is each commit: one per layer, then the image record (written in a temp file,
  # then renamed into images/). One CPU: the layers one after another, in one thread.
  local n=1 TRACE_PIN=1
  while kill_then_import rename "$n"; do
    n=$((n + 1))
  done
  [ "$n" -ge 5 ] || fail "only $((n - 1)) renames: the image was not committed layer by layer"
  launcher_gone
  chaos_row "import SIGKILLed at each of its $((n - 1)) commits (each layer, the record)" \
    "killed import leaves no image; next import completes" \
    "every committed layer reused, debris swept"
}

test_sigkill_inside_a_layer() {
  layered_image "$T/img"
  # Killed half-way through writing a layer: at one of the base layer's busybox applet links
  # (symlinkat); at full, at many, and at the second's whiteout (mknodat) and the third's
  # opaque directory (fsetxattr) too.
  local points n
  # (The base layer has 37 links.)
  points=$(chaos_scale "symlinkat:22" "symlinkat:1 symlinkat:9 symlinkat:18 symlinkat:27
    symlinkat:37 mknodat:1 fsetxattr:1")
  for n in $points; do
    kill_then_import "${n%:*}" "${n#*:}" || fail "no $n while unpacking the layers"
  done
  launcher_gone
  chaos_row "import SIGKILLed half-way through a layer" "no image, no layer of it" \
    "the partial layer swept by the next import"
}

test_sigkill_while_waiting_for_the_store_lock() {
  import_base
  # `rm` holds the store lock exclusive: stand in for one with flock(1).
  as_user flock -x "$T/data/launcher/lock" sh -c "touch '$T/held'
    while [ ! -e '$T/release' ]; do sleep 0.05; done" &
  local holder=$! pid
  wait_for test -e "$T/held" || fail "lock holder did not start"
  launcher import "$T/base:latest" --name waiting >"$T/w.out" 2>&1 &
  wait_for grep -q "waiting for another launcher" "$T/w.out" ||
    fail "import did not wait: $(cat "$T/w.out")"
  pid=$(pgrep -f -- "^$BIN/[l]auncher import") || fail "no launcher waiting"
  kill -KILL "$pid"
  launcher_gone
  touch "$T/release"
  wait "$holder"
  store_consistent base
  no_debris
  local before
  before=$(layer_inodes)
  launcher import "$T/base:latest" --name waiting >/dev/null || fail "next import failed"
  store_consistent base waiting
  kept_whole "$before"
  chaos_row "import SIGKILLed while waiting for the store lock" "nothing written" \
    "store as it was; next import completes"
}

test_two_imports_of_one_image_at_once() {
  layered_image "$T/img"
  local rounds
  rounds=$(chaos_scale 2 10)
  twice_at_once "$rounds" import "$T/img:latest" --name twin
  chaos_row "two imports of one image at once, $rounds times" "both succeed" \
    "one image, each layer once"
}

# The race above, made certain: one import is stopped after writing its image record but
# before renaming it into place, while a second import of the same name runs to its end.
# (Both once wrote images/.NAME.json.tmp, and the second unlinked the first's.)
test_import_stopped_before_its_record_while_another_completes() {
  need_strace # here, not in the background
  import_base
  traced "$T/strace.log" -e trace=fchmod -e inject=fchmod:signal=STOP:when=1 -- \
    import "$T/base:latest" --name twin >"$T/a.out" 2>&1 &
  local a=$!
  wait_for grep -qs "stopped by SIGSTOP" "$T/strace.log" ||
    fail "first import did not stop: $(cat "$T/strace.log")"
  launcher import "$T/base:latest" --name twin >/dev/null || fail "second import failed"
  pkill -CONT -f -- "^$BIN/[l]auncher import"
  wait "$a" || fail "first import failed after the second: $(cat "$T/a.out")"
  store_consistent base twin
  no_debris
  chaos_row "import stopped before its record while another of the same name completes" \
    "both succeed" "one record, no temp file left"
}

# data_root_in_fs: the case's launcher.ini puts the data root in $T/fs/launcher, where a
# case mounts the filesystem under test (in host_ns, so that the mount dies with it).
data_root_in_fs() {
  mkdir -p "$T/fs" "$T/config/launcher"
  printf '[launcher]\ndata_root = %s/fs/launcher\n' "$T" >"$T/config/launcher/launcher.ini"
  own "$T/config" "$T/fs"
}

test_disk_full_during_import() {
  base_image
  data_root_in_fs
  local L out owner=root
  L=$(launcher_cmd)
  [ "$MODE" = user ] && owner=$TEST_USER
  # 1 MiB: the store's directories fit, the base layer's busybox (about 2 MiB) does not.
  out=$(host_ns sh -c "mount -t tmpfs -o size=1m,mode=0755 tmpfs $T/fs && chown $owner $T/fs &&
    used() { df --output=used $T/fs | tail -1; }
    $L images >/dev/null && before=\$(used) &&
    $L import $T/base:latest --name full; echo rc=\$?
    echo debris=\$(find $T/fs/launcher/tmp $T/fs/launcher/layers $T/fs/launcher/images -mindepth 1)
    [ \$(used) -le \$((before + 16)) ] && echo space=given-back || echo space=\$before/\$(used)
    mount -o remount,size=64m $T/fs && $L import $T/base:latest --name full >/dev/null &&
    $L images" 2>&1)
  assert_contains "$out" "rc=125"
  local err
  err=$(grep '^launcher: fatal:' <<<"$out")
  assert_eq 1 "$(wc -l <<<"$err")" "error lines ($out)"
  assert_contains "$err" "No space left on device"
  assert_contains "$out" "debris="$'\n'
  assert_contains "$out" "space=given-back"
  assert_contains "$out" "full"$'\t'"1" "images after the disk grew"
  chaos_row "disk full during an import (1 MiB tmpfs data root)" \
    "one-line error, exit 125" "no image, partial layer's space given back; next import completes"
}

test_data_root_without_user_xattrs_names_data_root() {
  layered_image "$T/img"
  data_root_in_fs
  local L out owner=root
  L=$(launcher_cmd)
  [ "$MODE" = user ] && owner=$TEST_USER
  # ramfs has no xattrs: an opaque directory (user.overlay.opaque) cannot be kept there.
  out=$(host_ns sh -c "mount -t ramfs -o mode=0755 ramfs $T/fs && chown $owner $T/fs &&
    $L import $T/img:latest --name img; echo rc=\$?
    find $T/fs/launcher/tmp $T/fs/launcher/images -mindepth 1" 2>&1)
  assert_contains "$out" "rc=125"
  assert_contains "$out" "has no user xattrs"
  assert_contains "$out" "set data_root in launcher.ini"
  assert_eq 1 "$(grep -c '^launcher: fatal:' <<<"$out")" "error lines ($out)"
  assert_not_contains "$out" "$T/fs/launcher/" "files left"
  chaos_row "data root on a filesystem without user xattrs (ramfs)" \
    "one-line error naming data_root, exit 125" "no image, no temp files"
}
