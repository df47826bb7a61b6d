# cinit on a terminal runs each startup script and CMD as a shell runs a job: in a group of its
# own, in the foreground, so the terminal's Ctrl-C reaches that job and not cinit.
source tests/integration/cinit/helpers.bash
MODES="root" # the pty comes from script(1) on the host side; no user namespace is involved

# A line for the log when the calling shell's group is the terminal's foreground group.
fg_check='[ "$(ps -o tpgid= -p $$)" = "$(ps -o pgid= -p $$)" ]'

# ctrl_c_during_script [PREFIX...]: cinit (run through PREFIX) on a pty from script(1), with a
# startup script that traps INT and exits 0, and a CMD that exits 3. A ^C typed into the pty
# must reach the script, from the terminal, and not cinit: a cinit in the script's group would
# get it too, take it as a stop and abort the boot, so CMD would never run. Both jobs must be
# the foreground in turn (the terminal comes back to cinit in between).
ctrl_c_during_script() {
  mkdir -p "$T/init.d"
  cat >"$T/init.d/10_int" <<SCRIPT
#!/bin/sh
$fg_check && echo script-foreground >> $T/log
trap 'echo INT >> $T/log; exit 0' INT
echo ready >> $T/log
while :; do sleep 0.05; done
SCRIPT
  chmod 755 "$T/init.d/10_int"
  cmd=$(printf '%q ' "$@" env ENV_INIT_DIRECTORY="$T/init.d" \
    "$BIN/cinit" --quiet --skip-runit -- \
    sh -c "$fg_check && echo cmd-foreground >> $T/log; exit 3")
  mkfifo "$T/keys"
  timeout 30 script -qec "$cmd" /dev/null <"$T/keys" >"$T/pty.out" 2>&1 &
  BG=$!
  exec 3>"$T/keys" # script(1) reads the keys from here; held open until the end
  wait_for grep -qx ready "$T/log" 2>/dev/null || fail "script did not start: $(cat "$T/pty.out")"
  printf '\003' >&3
  wait "$BG"
  rc=$?
  exec 3>&-
  assert_eq 3 "$rc" "exit code (CMD's) through the pty: $(cat "$T/pty.out")"
  assert_eq "script-foreground ready INT cmd-foreground" "$(tr '\n' ' ' <"$T/log" | sed 's/ $//')" \
    "log"
}

test_ctrl_c_during_a_startup_script_reaches_the_script_only_as_pid1() {
  ctrl_c_during_script unshare --pid --fork --mount-proc
}

test_ctrl_c_during_a_startup_script_reaches_the_script_only_when_not_pid1() {
  ctrl_c_during_script
}
