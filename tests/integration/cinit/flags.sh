# cinit's command line: my_init's flags, --help, --version, errors.
source tests/integration/cinit/helpers.bash

test_help_goes_to_stdout_exit_0() {
  out=$("$BIN/cinit" --help 2>/dev/null); rc=$?
  assert_eq 0 "$rc" "exit code"
  assert_contains "$out" "--skip-startup-files"
  assert_contains "$out" "--no-kill-all-on-exit"
}

test_version() {
  out=$("$BIN/cinit" --version); rc=$?
  assert_eq 0 "$rc" "exit code"
  [[ $out =~ ^cinit\ [0-9]+\.[0-9]+ ]] || fail "version line: $out"
}

test_unknown_option_exits_2() {
  err=$("$BIN/cinit" --frobnicate 2>&1 >/dev/null); rc=$?
  assert_eq 2 "$rc" "exit code"
  assert_contains "$err" "--frobnicate"
}

test_skip_runit_without_command_exits_1_before_boot() {
  script my_init.d/01_marker "touch /etc/booted"
  cinit_run --skip-runit
  assert_eq 1 "$RC" "exit code"
  assert_contains "$OUT" "When --skip-runit is given, you must also pass a main command."
  [ ! -e "$ETC/booted" ] || fail "boot ran"
}

test_command_without_dashdash() {
  cinit_run --quiet sh -c 'echo plain $0' arg0
  assert_eq 0 "$RC"
  assert_contains "$OUT" "plain arg0"
}

test_dashdash_passes_options_verbatim() {
  cinit_run --quiet -- sh -c 'echo "[$1]"' x --skip-runit
  assert_eq "[--skip-runit]" "$OUT"
}

test_quiet_prints_no_info_lines() {
  script my_init.d/10_a "echo from-script"
  cinit_run --quiet -- true
  assert_eq 0 "$RC"
  assert_eq "from-script" "$OUT"
}

test_not_quiet_logs_like_my_init() {
  script my_init.d/10_a "true"
  cinit_run -- true
  assert_contains "$OUT" "*** Running /etc/my_init.d/10_a..."
  assert_contains "$OUT" "*** Running true..."
  assert_contains "$OUT" "*** true exited with status 0."
}

test_bad_timeout_is_a_clear_error() {
  OUT=$(KILL_PROCESS_TIMEOUT=soon in_pidns "$BIN/cinit" -- true 2>&1); RC=$?
  assert_eq 1 "$RC" "exit code"
  assert_contains "$OUT" "cinit: fatal: invalid KILL_PROCESS_TIMEOUT 'soon'"
  OUT=$(KILL_ALL_PROCESSES_TIMEOUT=-3 in_pidns "$BIN/cinit" -- true 2>&1); RC=$?
  assert_eq 1 "$RC" "exit code"
  assert_contains "$OUT" "KILL_ALL_PROCESSES_TIMEOUT"
}

test_command_not_found_exits_127() {
  cinit_run --quiet -- /no/such/program
  assert_eq 127 "$RC"
  assert_contains "$OUT" "cinit: cannot execute /no/such/program: No such file or directory"
}

test_command_not_executable_exits_126() {
  put notexec "#!/bin/sh" 0644
  cinit_run --quiet -- /etc/notexec
  assert_eq 126 "$RC"
}

test_closed_stderr_and_stdout_do_not_hurt() {
  script my_init.d/10_a "echo to-closed-stdout; echo to-closed-stderr >&2; true"
  in_pidns sh -c "exec \"$BIN/cinit\" -- sh -c 'exit 4' >&- 2>&-"
  assert_eq 4 "$?" "exit code with closed stdio"
}
