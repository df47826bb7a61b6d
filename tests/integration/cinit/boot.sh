# Startup: /etc/my_init.d in byte order, rc.local last, abort on failure, env re-import.
source tests/integration/cinit/helpers.bash

test_scripts_run_in_byte_order_then_rc_local() {
  for n in 02_a 10_b 12 1_x B a .dot; do
    script "my_init.d/$n" "echo $n >> /etc/order"
  done
  put my_init.d/zz_not_executable "echo no >> /etc/order" 0644
  mkdir -p "$ETC/my_init.d/subdir"
  script rc.local "echo rc.local >> /etc/order"
  cinit_run --skip-runit -- true
  assert_eq 0 "$RC" "exit code"
  assert_eq ".dot 02_a 10_b 12 1_x B a rc.local" "$(tr '\n' ' ' <"$ETC/order" | sed 's/ $//')" "order"
}

test_symlinked_script_runs() {
  script scripts/real "echo linked >> /etc/out"
  mkdir -p "$ETC/my_init.d"
  ln -s /etc/scripts/real "$ETC/my_init.d/50_link"
  cinit_run --skip-runit -- true
  assert_eq "linked" "$(cat "$ETC/out")"
}

test_failing_script_aborts_boot_naming_it() {
  script my_init.d/10_ok "echo ok >> /etc/ran"
  script my_init.d/20_bad "exit 7"
  script my_init.d/30_never "echo never >> /etc/ran"
  cinit_run --skip-runit -- sh -c 'echo cmd >> /etc/ran'
  assert_eq 1 "$RC" "exit code"
  assert_contains "$OUT" "*** /etc/my_init.d/20_bad failed with status 7"
  assert_contains "$OUT" "*** Init system aborted."
  assert_eq "ok" "$(cat "$ETC/ran")" "what ran"
}

test_signal_killed_script_aborts_boot() {
  script my_init.d/10_killed 'kill -KILL $$'
  cinit_run --skip-runit -- true
  assert_eq 1 "$RC" "exit code"
  assert_contains "$OUT" "/etc/my_init.d/10_killed failed with status 137 (killed by signal 9)"
}

test_skip_startup_files() {
  script my_init.d/10_a "echo a >> /etc/ran"
  script rc.local "echo rc >> /etc/ran"
  cinit_run --skip-startup-files --skip-runit -- true
  assert_eq 0 "$RC"
  [ ! -e "$ETC/ran" ] || fail "startup files ran"
}

test_env_init_directory() {
  script other.d/10_x "echo other >> /etc/ran"
  script my_init.d/10_y "echo default >> /etc/ran"
  OUT=$(ENV_INIT_DIRECTORY=/etc/other.d in_pidns "$BIN/cinit" --skip-runit -- true 2>&1)
  assert_eq "other" "$(cat "$ETC/ran")"
}

test_script_env_changes_reach_later_scripts_and_command() {
  etc_dir container_environment
  script my_init.d/10_set 'printf "from script" > /etc/container_environment/SET_BY_10; rm -f /etc/container_environment/GONE'
  script my_init.d/20_see 'echo "20 sees [$SET_BY_10]" >> /etc/seen'
  put container_environment/GONE "bye"
  cinit_run --quiet --skip-runit -- sh -c 'echo "cmd sees [$SET_BY_10] [${GONE-unset}] [$HOME]" >> /etc/seen'
  assert_eq 0 "$RC"
  assert_eq "20 sees [from script]
cmd sees [from script] [unset] [$(as_user sh -c 'echo $HOME')]" "$(cat "$ETC/seen")"
}

# /usr/sbin/enable_insecure_key is a fixed path (my_init's): each case mounts a tmpfs over
# /usr/sbin inside its namespace, with or without the file.
test_enable_insecure_key_runs_before_startup_scripts() {
  script my_init.d/10_a "echo script >> /etc/ran"
  OUT=$(in_pidns sh -c 'mount -t tmpfs tmpfs /usr/sbin &&
    printf "#!/bin/sh\necho key >> /etc/ran\n" > /usr/sbin/enable_insecure_key &&
    chmod 755 /usr/sbin/enable_insecure_key && exec "$0" "$@"' \
    "$BIN/cinit" --enable-insecure-key --skip-runit -- true 2>&1)
  assert_eq 0 "$?" "exit code: $OUT"
  assert_eq "key script" "$(tr '\n' ' ' <"$ETC/ran" | sed 's/ $//')"
}

test_enable_insecure_key_missing_is_a_one_line_error() {
  script my_init.d/10_a "echo script >> /etc/ran"
  OUT=$(in_pidns sh -c 'mount -t tmpfs tmpfs /usr/sbin && exec "$0" "$@"' \
    "$BIN/cinit" --enable-insecure-key --skip-runit -- true 2>&1)
  assert_eq 1 "$?" "exit code"
  assert_contains "$OUT" "unable to run '/usr/sbin/enable_insecure_key': No such file or directory"
  [ ! -e "$ETC/ran" ] || fail "startup scripts ran after the error"
}
