# setuser USER CMD: users from the image's /etc/passwd and /etc/group (here an overlay on
# /etc in a fresh mount namespace), groups then gid then uid, USER HOME UID LOGNAME SHELL set.
# shellcheck shell=bash
MODES="root user"

# in_ids CMD...: CMD in a fresh mount namespace with /etc overlaid by $ETC, where many ids
# exist: real root (root mode), or root of a user namespace that maps the test user to 0 and
# its /etc/subuid range to 1..65535 through newuidmap, with setgroups allowed (user mode).
in_ids() {
  if [ "$MODE" = user ]; then
    as_user env T="$T" unshare --user --map-auto --map-root-user --mount \
      sh -c "$_overlay_etc" sh "$@"
  else
    env T="$T" unshare --mount sh -c "$_overlay_etc" sh "$@"
  fi
}

users() {
  put passwd 'root:x:0:0:root:/root:/bin/bash
# a comment line
app:x:1000:1000:App User,,,:/home/app:/bin/bash
plain:x:1001:1001::/srv/plain:
nogroups:x:1002:3000:No Groups:/:/bin/false
'
  put group 'root:x:0:
app:x:1000:
plain:x:1001:
docker_env:x:2001:app,plain
video:x:2002:plain
audio:x:2003:other,app
'
}

# /proc/self/status as `cat` sees it under setuser: the kernel's view of the ids.
test_ids_and_supplementary_groups() {
  users
  out=$(in_ids "$BIN/setuser" app cat /proc/self/status) || fail "setuser failed: $out"
  uid=$(printf '%s\n' "$out" | awk '/^Uid:/ {print $2, $3, $4, $5}')
  gid=$(printf '%s\n' "$out" | awk '/^Gid:/ {print $2, $3, $4, $5}')
  groups=$(printf '%s\n' "$out" | awk '/^Groups:/ {$1=""; print}' | tr ' ' '\n' | sed '/^$/d' |
    sort -n | tr '\n' ' ')
  assert_eq "1000 1000 1000 1000" "$uid" "Uid (real effective saved fs)"
  assert_eq "1000 1000 1000 1000" "$gid" "Gid (real effective saved fs)"
  # initgroups: the primary group plus every group listing app, and none of root's.
  assert_eq "1000 2001 2003 " "$groups" "Groups"
}

test_primary_group_not_in_group_file() {
  users
  out=$(in_ids "$BIN/setuser" nogroups cat /proc/self/status) || fail "setuser failed: $out"
  assert_eq "3000" "$(printf '%s\n' "$out" | awk '/^Gid:/ {print $2}')" "Gid"
  assert_eq "3000" "$(printf '%s\n' "$out" | awk '/^Groups:/ {print $2 $3}')" "Groups"
}

test_environment_set_and_inherited() {
  users
  out=$(in_ids env -i PATH=/usr/bin:/bin FOO='bar baz' HOME=/root USER=root \
    "$BIN/setuser" app env) || fail "setuser failed: $out"
  for kv in USER=app LOGNAME=app HOME=/home/app UID=1000 SHELL=/bin/bash 'FOO=bar baz' \
    PATH=/usr/bin:/bin; do
    printf '%s\n' "$out" | grep -qxF "$kv" || fail "missing [$kv] in: $out"
  done
  assert_eq 7 "$(printf '%s\n' "$out" | wc -l)" "number of variables (nothing else added)"
}

test_empty_shell_means_bin_sh() {
  users
  out=$(in_ids "$BIN/setuser" plain sh -c 'echo "$SHELL $HOME $UID"')
  assert_eq "/bin/sh /srv/plain 1001" "$out"
}

test_process_really_runs_as_the_user() {
  users
  mkdir -p "$T/priv"
  echo secret >"$T/priv/root-only"
  chmod 0600 "$T/priv/root-only"
  [ "$MODE" = user ] && chown -R "$TEST_USER:" "$T/priv"
  # Readable by (namespace) root, denied to app: the kernel, not setuser, decides.
  out=$(in_ids cat "$T/priv/root-only")
  assert_eq secret "$out" "as root"
  out=$(in_ids "$BIN/setuser" app cat "$T/priv/root-only" 2>&1)
  rc=$?
  assert_eq 1 "$rc" "cat's exit status as app"
  assert_contains "$out" "Permission denied"
  # A file made by the user is owned by it.
  chmod 0777 "$T/priv"
  in_ids "$BIN/setuser" app sh -c "echo x >'$T/priv/made-by-app'" || fail "cannot create"
  if [ "$MODE" = user ]; then
    assert_eq $((100000 + 999)) "$(stat -c %u "$T/priv/made-by-app")" "host owner (subuid)"
  else
    assert_eq 1000 "$(stat -c %u "$T/priv/made-by-app")" "owner"
  fi
}

test_unknown_user() {
  users
  out=$(in_ids "$BIN/setuser" nosuchuser true 2>&1)
  rc=$?
  assert_eq 1 "$rc" "exit status"
  assert_eq "setuser: user nosuchuser not found" "$out"
  # Numeric ids are not names (as phusion's getpwnam).
  out=$(in_ids "$BIN/setuser" 1000 true 2>&1)
  assert_eq 1 "$?" "exit status for a numeric id"
  assert_eq "setuser: user 1000 not found" "$out"
}

test_usage() {
  out=$(as_user "$BIN/setuser" app 2>&1)
  assert_eq 1 "$?" "exit status"
  assert_eq "Usage: setuser USERNAME COMMAND [args..]" "$out"
  out=$(as_user "$BIN/setuser" 2>&1)
  assert_eq 1 "$?" "exit status without arguments"
}

test_exec_failure_codes() {
  users
  out=$(in_ids env PATH=/usr/bin:/bin "$BIN/setuser" app no-such-command-xyz 2>&1)
  assert_eq 127 "$?" "exit status for a missing command"
  assert_eq "setuser: fatal: unable to execute 'no-such-command-xyz': No such file or directory" \
    "$out"
  printf 'not executable\n' >"$T/tmp/data"
  chmod 0644 "$T/tmp/data"
  out=$(in_ids "$BIN/setuser" app "$T/tmp/data" 2>&1)
  assert_eq 126 "$?" "exit status for a non-executable file"
  assert_eq "setuser: fatal: unable to execute '$T/tmp/data': Permission denied" "$out"
}

test_args_passed_verbatim() {
  users
  out=$(in_ids "$BIN/setuser" app printf '<%s>' 'a b' '' '-x' '$HOME')
  assert_eq '<a b><><-x><$HOME>' "$out"
}

test_missing_passwd_is_fatal() {
  users
  rm -f "$ETC/passwd"
  mknod "$ETC/passwd" c 0 0 # an overlay whiteout: /etc/passwd is gone inside
  out=$(in_ids "$BIN/setuser" app true 2>&1)
  assert_eq 1 "$?" "exit status"
  assert_eq "setuser: fatal: unable to read '/etc/passwd': No such file or directory" "$out"
}

test_missing_group_file_leaves_primary_group() {
  users
  rm -f "$ETC/group"
  mknod "$ETC/group" c 0 0 # an overlay whiteout: /etc/group is gone inside
  out=$(in_ids "$BIN/setuser" app cat /proc/self/status) || fail "setuser failed: $out"
  assert_eq "1000" "$(printf '%s\n' "$out" | awk '/^Groups:/ {print $2 $3}')" "Groups"
}

test_chained_after_envdir() {
  users
  mkdir -p "$T/env"
  printf 'from envdir\n' >"$T/env/GREETING"
  printf '/overridden\n' >"$T/env/HOME"
  [ "$MODE" = user ] && chown -R "$TEST_USER:" "$T/env"
  out=$(in_ids "$BIN/envdir" "$T/env" "$BIN/setuser" app sh -c 'echo "$GREETING|$HOME|$(id -u)"')
  # envdir sets, then setuser replaces HOME with the user's.
  assert_eq "from envdir|/home/app|1000" "$out"
}

# A single-id user namespace (unshare -r, the launcher's fallback) denies setgroups to
# everyone: setuser warns and goes on for the mapped user, and fails for unmapped ones.
test_single_id_namespace() {
  users
  ns() { as_user env T="$T" unshare --user --map-root-user --mount sh -c "$_overlay_etc" sh "$@"; }
  out=$(ns "$BIN/setuser" root sh -c 'id -u; echo "$USER"' 2>&1) || fail "setuser root: $out"
  assert_contains "$out" "setuser: warning: unable to set supplementary groups of 'root'"
  assert_contains "$out" "0
root"
  out=$(ns "$BIN/setuser" app id -u 2>&1)
  assert_eq 1 "$?" "exit status for an unmapped user"
  assert_contains "$out" "setuser: fatal: unable to set group id 1000: Invalid argument"
}
