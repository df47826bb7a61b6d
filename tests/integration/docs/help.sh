# --help and --version of setuser, envdir, sv and supervisor count only as the sole argument,
# where phusion's setuser, daemontools' envdir and runit's sv answer with a usage error: every
# invocation those tools accept keeps its meaning.
# shellcheck shell=bash

# run_prog PROG ARGS...: sets OUT (stdout), ERR (stderr) and RC.
run_prog() {
  local errf=$T/stderr
  OUT=$("$BIN/$1" "${@:2}" 2>"$errf")
  RC=$?
  ERR=$(cat "$errf")
}

test_help_and_version_answer_on_stdout() {
  local p
  for p in cinit supervisor sv setuser envdir launcher; do
    run_prog "$p" --help
    assert_eq 0 "$RC" "$p --help exit code"
    assert_eq "" "$ERR" "$p --help stderr"
    assert_contains "$OUT" "$p" "$p --help"
    run_prog "$p" --version
    assert_eq 0 "$RC" "$p --version exit code"
    [[ $OUT =~ ^$p\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "$p --version: [$OUT]"
  done
}

test_setuser_help_with_a_command_is_a_user_name() {
  run_prog setuser --help true
  assert_eq 1 "$RC" "exit code"
  assert_eq "setuser: user --help not found" "$ERR"
  run_prog setuser
  assert_eq 1 "$RC" "exit code without arguments"
  assert_eq "Usage: setuser USERNAME COMMAND [args..]" "$ERR"
}

test_envdir_help_with_a_command_is_a_directory() {
  mkdir -p "$T/work/--help"
  echo yes >"$T/work/--help/FROM_DIR"
  OUT=$(cd "$T/work" && "$BIN/envdir" --help sh -c 'echo "$FROM_DIR"')
  RC=$?
  assert_eq 0 "$RC" "exit code"
  assert_eq yes "$OUT" "variable from the directory named --help"
  run_prog envdir
  assert_eq 100 "$RC" "exit code without arguments"
}

test_sv_and_supervisor_usage_errors_unchanged() {
  run_prog sv --help status
  assert_eq 100 "$RC" "sv --help status"
  assert_contains "$ERR" "usage: sv"
  run_prog sv
  assert_eq 100 "$RC" "sv without arguments"
  run_prog supervisor --help "$T"
  assert_eq 100 "$RC" "supervisor --help DIR"
}

test_help_to_a_full_stdout_fails() {
  "$BIN/envdir" --help >/dev/full 2>"$T/err"
  assert_eq 1 "$?" "exit code"
  assert_contains "$(cat "$T/err")" "envdir: warning: unable to write to stdout"
}
