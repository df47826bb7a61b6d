# The env dumps' filesystem full: /etc's upper layer on a tiny tmpfs. Each dump is the old
# file or the new one, never a part; boot goes on with one warning line per failed write.
source tests/integration/cinit/helpers.bash
MODES=root

# check_dump FILE READER: FILE (a path in the namespace, read here through $T/tiny) is whole:
# READER prints NEWVAR's value from it, which is the full value (a new dump) or nothing (the
# old one, then byte for byte what it was before the fault); prints "new" or "old".
check_dump() {
  local file=$1 reader=$2 got
  got=$($reader "$T/tiny/etc/$file") || fail "$file does not parse: $(head -c 300 "$T/tiny/etc/$file")"
  if [ "$got" = "$NEWVAL" ]; then
    echo new
  else
    assert_eq "" "$got" "NEWVAR in $file (a partial value?)"
    cmp -s "$T/tiny/etc/$file" "$T/tmp/old/$file" || fail "$file is neither the old dump nor a new one"
    echo old
  fi
}
sh_reader() { env -i sh -c ". '$1' && printf '%s' \"\${NEWVAR:-}\""; }
json_reader() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("NEWVAR", ""), end="")' "$1"; }

test_env_dumps_filesystem_full() {
  NEWVAL=$(head -c 6000 /dev/zero | tr '\0' x)
  put container_environment/OLD "old"
  # The script saves the boot's dumps, sets NEWVAR, then fills /etc but two pages: the new
  # .sh (two pages) fits, and frees its old page on rename; the new .json does not.
  script my_init.d/10-fill "mkdir -p $T/tmp/old
cp /etc/container_environment.sh /etc/container_environment.json $T/tmp/old/
printf '%s' '$NEWVAL' >/etc/container_environment/NEWVAR
head -c 8192 /dev/zero >/etc/slack
cat /dev/zero >/etc/fill 2>/dev/null
rm /etc/slack
exit 0"
  script my_init.d/20-more 'exit 0'
  # A small, known environment: each variable is a page of the tmpfs.
  OUT=$(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin T="$T" bash -c \
    "source tests/integration/lib.sh; source tests/chaos/lib.sh; in_pidns_tiny_etc 256 \"\$@\"" sh \
    "$BIN/cinit" --quiet -- sh -c 'echo "cmd sees ${#NEWVAR} bytes"
      ls -a /etc/ /etc/container_environment/ | grep -c "\.tmp" ; cp -a /etc/. '"$T/tiny-copy/"'; exit 6' 2>&1)
  RC=$?
  assert_eq 6 "$RC" "exit code: $OUT"
  assert_contains "$OUT" "cmd sees 6000 bytes"
  assert_contains "$OUT" "No space left on device" "cinit's output (was the disk full?)"
  # The filesystem is gone with the namespace: read the dumps from the command's copy.
  mkdir -p "$T/tiny"
  rm -rf "$T/tiny/etc" && mv "$T/tiny-copy" "$T/tiny/etc" || fail "no copy of /etc"
  sh_is=$(check_dump container_environment.sh sh_reader) || exit 1
  json_is=$(check_dump container_environment.json json_reader) || exit 1
  # One line per failed write, and none of them a temp file left behind.
  bad=$(grep -v -e '^\*\*\* ' -e "^cinit: warning: unable to write '/etc/container_environment[^']*': No space left on device$" \
    -e '^cmd sees' -e '^0$' <<<"$OUT")
  assert_eq "" "$bad" "unexpected output"
  grep -qx 0 <<<"$OUT" || fail "temp files left in /etc: $OUT"
  chaos_row "the env dumps' filesystem full (a 256 KiB tmpfs under /etc)" \
    "one warning line per dump that did not fit; boot and the command go on" \
    "each dump old or new, never partial (this run: .sh $sh_is, .json $json_is); no temp file"
}
