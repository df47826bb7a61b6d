# envdir as an unprivileged user: a file it may not read is its own failure (111), named.
# shellcheck shell=bash
MODES="user"

test_unreadable_file_exits_111_naming_it() {
  mkdir -p "$T/env"
  echo secret >"$T/env/SECRET"
  chown -R "$TEST_USER:" "$T/env"
  chown root: "$T/env/SECRET"
  chmod 0600 "$T/env/SECRET"
  out=$(as_user "$BIN/envdir" "$T/env" echo ran 2>&1)
  rc=$?
  assert_eq 111 "$rc" "exit status"
  assert_eq "envdir: fatal: unable to read '$T/env/SECRET': Permission denied" "$out"
}

test_unreadable_dir_exits_111() {
  mkdir -p "$T/env"
  chmod 0700 "$T/env"
  out=$(as_user "$BIN/envdir" "$T/env" echo ran 2>&1)
  rc=$?
  assert_eq 111 "$rc" "exit status"
  assert_eq "envdir: fatal: unable to read directory '$T/env': Permission denied" "$out"
}
