# cinit on a terminal: CMD gets the foreground process group and cinit its exit code.
source tests/integration/cinit/helpers.bash
MODES="root" # the pty comes from script(1) on the host side; no user namespace is involved

test_command_on_a_terminal_gets_the_foreground() {
  # script(1) gives cinit a pty on stdin: CMD must run in its own foreground process group
  # (a child that stopped on SIGTTOU would hang PID 1) and cinit must exit with its code.
  cmd=$(printf '%q ' unshare --pid --fork --mount-proc "$BIN/cinit" --quiet --skip-runit -- \
    sh -c '[ "$(ps -o tpgid= -p $$)" = "$(ps -o pgid= -p $$)" ] && echo foreground; exit 3')
  out=$(timeout 20 script -qec "$cmd" /dev/null 2>&1)
  assert_eq 3 "$?" "exit code through the pty: $out"
  assert_contains "$out" "foreground"
}
