# envdir DIR CMD: daemontools semantics (first line, trailing blanks trimmed, NUL -> newline,
# empty file unsets), exit 111 on its own failures, 100 on usage errors.
# shellcheck shell=bash
MODES="root user"

# mkenv NAME CONTENT...: writes $T/env/NAME with printf '%b' (so \0, \t, \n are bytes).
mkenv() {
  mkdir -p "$T/env"
  printf '%b' "$2" >"$T/env/$1"
  [ "$MODE" = user ] && chown -R "$TEST_USER:" "$T/env"
  return 0
}

# bytes_of VAR: the value of VAR as envdir's command sees it, bracketed, as od -c chars.
bytes_of() {
  as_user "$BIN/envdir" "$T/env" sh -c "printf '[%s]' \"\$$1\"" | od -An -c | tr -d ' \n'
}

test_first_line_trailing_blanks_trimmed() {
  mkenv A 'hello world \t \nsecond line\n'
  assert_eq '[helloworld]' "$(bytes_of A)" "A (od, spaces dropped)"
  out=$(as_user "$BIN/envdir" "$T/env" sh -c 'printf "[%s]" "$A"')
  assert_eq '[hello world]' "$out" "A"
}

test_leading_blanks_and_cr_kept() {
  mkenv A '  x\r\n'
  assert_eq '[x\r]' "$(bytes_of A)" "A (od, spaces dropped)"
  out=$(as_user "$BIN/envdir" "$T/env" sh -c 'printf "[%s]" "$A"' | tr -d '\r')
  assert_eq '[  x]' "$out" "A without its CR"
}

test_nul_becomes_newline() {
  mkenv M 'a\0b\0\nignored'
  out=$(as_user "$BIN/envdir" "$T/env" sh -c 'printf "[%s]" "$M"')
  assert_eq "[a
b
]" "$out" "M"
}

test_empty_file_unsets_inherited_variable() {
  mkenv GONE ''
  out=$(as_user env GONE=still-here "$BIN/envdir" "$T/env" sh -c 'echo "${GONE-unset}"')
  assert_eq unset "$out" "GONE"
}

test_newline_only_file_sets_empty_value() {
  mkenv EMPTY '\n'
  out=$(as_user env -u EMPTY "$BIN/envdir" "$T/env" sh -c 'echo "[${EMPTY-unset}]"')
  assert_eq "[]" "$out" "EMPTY"
}

test_file_overrides_inherited_and_rest_inherited() {
  mkenv FOO 'from-dir\n'
  out=$(as_user env FOO=old BAR=kept "$BIN/envdir" "$T/env" sh -c 'echo "$FOO $BAR"')
  assert_eq "from-dir kept" "$out"
}

test_dot_files_ignored() {
  mkenv .HIDDEN 'x\n'
  mkenv VISIBLE 'y\n'
  out=$(as_user "$BIN/envdir" "$T/env" env)
  assert_contains "$out" "VISIBLE=y"
  assert_not_contains "$out" "HIDDEN"
}

test_args_passed_verbatim_and_path_searched() {
  mkenv X '1\n'
  out=$(as_user "$BIN/envdir" "$T/env" printf '<%s>' 'a b' '' '-x' '$X')
  assert_eq '<a b><><-x><$X>' "$out"
}

test_usage_exits_100() {
  out=$(as_user "$BIN/envdir" "$T" 2>&1)
  rc=$?
  assert_eq 100 "$rc" "exit status"
  assert_contains "$out" "usage: envdir DIR COMMAND"
}

test_missing_dir_exits_111_naming_it() {
  out=$(as_user "$BIN/envdir" "$T/nope" true 2>&1)
  rc=$?
  assert_eq 111 "$rc" "exit status"
  assert_eq "envdir: fatal: unable to read directory '$T/nope': No such file or directory" "$out"
}

test_subdirectory_exits_111_naming_it() {
  mkenv OK 'x\n'
  mkdir "$T/env/SUB"
  out=$(as_user "$BIN/envdir" "$T/env" echo ran 2>&1)
  rc=$?
  assert_eq 111 "$rc" "exit status"
  assert_eq "envdir: fatal: unable to read '$T/env/SUB': Is a directory" "$out"
}

test_equals_in_name_exits_111() {
  mkenv 'A=B' 'x\n'
  out=$(as_user "$BIN/envdir" "$T/env" echo ran 2>&1)
  rc=$?
  assert_eq 111 "$rc" "exit status"
  assert_contains "$out" "envdir: fatal: unable to use '$T/env/A=B'"
  assert_not_contains "$out" "ran"
}

test_exec_failure_exits_111() {
  mkenv X '1\n'
  # PATH search (runuser keeps root's PATH, whose dirs the test user may not search).
  out=$(as_user env PATH=/usr/bin:/bin "$BIN/envdir" "$T/env" no-such-command-xyz 2>&1)
  rc=$?
  assert_eq 111 "$rc" "exit status"
  assert_eq "envdir: fatal: unable to run 'no-such-command-xyz': No such file or directory" "$out"
  out=$(as_user "$BIN/envdir" "$T/env" "$T/env/X" 2>&1)
  rc=$?
  assert_eq 111 "$rc" "exit status (not executable)"
  assert_eq "envdir: fatal: unable to run '$T/env/X': Permission denied" "$out"
}

test_exit_status_is_the_commands() {
  mkenv X '1\n'
  as_user "$BIN/envdir" "$T/env" sh -c 'exit 42'
  assert_eq 42 "$?" "exit status"
}
