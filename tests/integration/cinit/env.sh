# The container environment: import, precedence, dumps (.sh round trip, .json), modes, bad entries.
source tests/integration/cinit/helpers.bash

# Values no quoting may lose: quotes, $, backticks, newlines, backslashes, UTF-8, empty.
hostile_values() {
  put container_environment/SQ "it's a 'quote'"
  put container_environment/DQ 'say "hi" $HOME `id` $(id) \n \\'
  put container_environment/NL "line1
line2
"
  put container_environment/NL2 "ends with two

"
  put container_environment/UTF "héllo wörld ✓"
  put container_environment/EMPTY ""
  put container_environment/PLAIN "/usr/bin:a@b%c+d=e,f.g-h"
  put container_environment/CRLF $'dos\r\nline\r\n'
}

test_import_strips_exactly_one_newline() {
  hostile_values
  cinit_run --quiet --skip-runit -- sh -c 'printf "[%s]" "$NL" "$NL2" "$CRLF" "$EMPTY"'
  assert_eq 0 "$RC"
  assert_eq "[line1
line2][ends with two
][dos
line][]" "$OUT"
}

test_inherited_variables_win_over_the_dir() {
  put container_environment/WHO "from-dir"
  put container_environment/ONLY_DIR "dir"
  OUT=$(WHO=from-docker in_pidns "$BIN/cinit" --quiet --skip-runit -- sh -c 'echo "$WHO $ONLY_DIR"' 2>&1)
  assert_eq "from-docker dir" "$OUT"
}

test_sh_dump_round_trips_through_sh() {
  hostile_values
  cinit_run --quiet --skip-runit -- true
  assert_eq 0 "$RC"
  [ -f "$ETC/container_environment.sh" ] || fail "no .sh dump"
  # Source the dump in a clean shell and compare each value with the file cinit imported.
  for v in SQ DQ UTF EMPTY PLAIN; do
    got=$(env -i sh -c ". '$ETC/container_environment.sh'; printf '%s' \"\$$v\"")
    assert_eq "$(cat "$ETC/container_environment/$v")" "$got" "$v"
  done
  got=$(env -i sh -c ". '$ETC/container_environment.sh'; printf '%s' \"\$NL\"")
  assert_eq "line1
line2" "$got" "NL"
  grep -q '^export HOME=' "$ETC/container_environment.sh" && fail "HOME must not be dumped to .sh"
  return 0
}

test_json_dump_has_every_variable() {
  hostile_values
  OUT=$(FROM_ENV=yes in_pidns "$BIN/cinit" --quiet --skip-runit -- true 2>&1)
  j="$ETC/container_environment.json"
  [ -f "$j" ] || fail "no .json dump"
  assert_eq "it's a 'quote'" "$(jq -r .SQ "$j")" "SQ"
  assert_eq "héllo wörld ✓" "$(jq -r .UTF "$j")" "UTF"
  assert_eq "yes" "$(jq -r .FROM_ENV "$j")" "FROM_ENV"
  assert_eq "$(as_user sh -c 'echo $HOME')" "$(jq -r .HOME "$j")" "HOME (my_init keeps it in .json)"
}

test_env_dir_is_written_back() {
  etc_dir container_environment
  OUT=$(DOCKER_E='x y' in_pidns "$BIN/cinit" --quiet --skip-runit -- true 2>&1)
  assert_eq "x y" "$(cat "$ETC/container_environment/DOCKER_E")"
  [ ! -e "$ETC/container_environment/HOME" ] || fail "HOME must not be written to the dir"
}

test_dumps_are_never_world_readable() {
  put container_environment/A "a" 0644
  chmod 0755 "$ETC/container_environment"
  cinit_run --quiet --skip-runit -- true
  assert_eq 750 "$(stat -c %a "$ETC/container_environment")" "dir mode"
  assert_eq 640 "$(stat -c %a "$ETC/container_environment/A")" "file mode"
  assert_eq 640 "$(stat -c %a "$ETC/container_environment.sh")" ".sh mode"
  assert_eq 640 "$(stat -c %a "$ETC/container_environment.json")" ".json mode"
}

test_files_written_by_startup_scripts_are_secured() {
  etc_dir container_environment
  script my_init.d/10_set 'umask 022; echo secret > /etc/container_environment/TOKEN'
  cinit_run --quiet --skip-runit -- true
  assert_eq 0 "$RC" "exit code: $OUT"
  assert_eq 640 "$(stat -c %a "$ETC/container_environment/TOKEN")" "mode of a script's file"
}

# Root only: a single-id user namespace cannot chown to another group (the user-mode
# counterpart is test_unwritable_group_keeps_the_environment).
MODES_test_dumps_group_is_docker_env_when_it_exists=root
test_dumps_group_is_docker_env_when_it_exists() {
  { cat /etc/group; echo "docker_env:x:8377:"; } >"$T/group"
  put group "$(cat "$T/group")
"
  put container_environment/A "a"
  cinit_run --quiet --skip-runit -- true
  assert_eq "0:8377" "$(stat -c %u:%g "$ETC/container_environment.sh")" ".sh owner"
  assert_eq "0:8377" "$(stat -c %u:%g "$ETC/container_environment/A")" "file owner"
}

test_no_temp_files_left_behind() {
  hostile_values
  cinit_run --quiet --skip-runit -- true
  left=$(find "$ETC" -name '*.tmp')
  assert_eq "" "$left" "temp files"
}

test_bad_entries_are_reported_and_skipped() {
  put container_environment/GOOD "fine"
  etc_dir container_environment/SUBDIR
  put container_environment/HAS_NUL "$(printf 'a')"
  printf 'a\0b' >"$ETC/container_environment/HAS_NUL"
  cinit_run --quiet --skip-runit -- sh -c 'echo "[$GOOD] [${SUBDIR-unset}] [${HAS_NUL-unset}]"'
  assert_eq 0 "$RC" "exit code: $OUT"
  assert_contains "$OUT" "[fine] [unset] [unset]"
  assert_contains "$OUT" "cinit: warning: skipping '/etc/container_environment/SUBDIR': is a directory"
  assert_contains "$OUT" "cinit: warning: skipping '/etc/container_environment/HAS_NUL': value contains a NUL byte"
}

test_missing_env_dir_writes_no_dumps() {
  cinit_run --quiet --skip-runit -- true
  [ ! -e "$ETC/container_environment.sh" ] || fail ".sh written without the dir"
  [ ! -e "$ETC/container_environment.json" ] || fail ".json written without the dir"
}

test_services_and_command_get_the_same_environment() {
  put container_environment/SHARED "v1"
  mkdir -p "$ETC/sv/envprobe"
  printf '#!/bin/sh\necho "svc [$SHARED]" >> /etc/seen\nexec sleep 1000\n' >"$ETC/sv/envprobe/run"
  chmod 755 "$ETC/sv/envprobe/run"
  rmdir "$ETC/service"; ln -s /etc/sv "$ETC/service"
  [ "$MODE" = user ] && chown -R "$TEST_USER:" "$ETC"
  [ -x "$BIN/supervisor" ] || [ -x /usr/bin/runsvdir ] || skip "neither our supervisor nor runsvdir"
  cinit_run --quiet -- sh -c 'i=0; while [ ! -s /etc/seen ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done; echo "cmd [$SHARED]" >> /etc/seen'
  assert_eq 0 "$RC" "exit code: $OUT"
  assert_eq "svc [v1]
cmd [v1]" "$(cat "$ETC/seen")"
}

test_symlinked_entry_target_is_not_chmodded() {
  etc_dir container_environment
  put target_file "public" 0644
  script my_init.d/10_link 'ln -s /etc/target_file /etc/container_environment/LINKED; ln -s /dev/null /etc/container_environment/NULL'
  cinit_run --quiet --skip-runit -- true
  assert_eq 0 "$RC" "exit code: $OUT"
  assert_eq 644 "$(stat -c %a "$ETC/target_file")" "mode of a symlink's target"
}

test_fifo_in_env_dir_does_not_hang_boot() {
  etc_dir container_environment
  mkfifo "$ETC/container_environment/PIPE"
  [ "$MODE" = user ] && chown "$TEST_USER:" "$ETC/container_environment/PIPE"
  put container_environment/GOOD "yes"
  OUT=$(in_pidns "$BIN/cinit" --quiet --skip-runit -- sh -c 'echo "[$GOOD]"' 2>&1)
  assert_eq 0 "$?" "exit code: $OUT"
  assert_contains "$OUT" "[yes]"
  assert_contains "$OUT" "'/etc/container_environment/PIPE': is not a regular file"
}

test_unwritable_group_keeps_the_environment() {
  # docker_env exists but cannot be chowned to (unmapped in a single-id user namespace): the
  # dumps stay root's and no variable is lost after a startup script.
  { cat /etc/group; echo "docker_env:x:8377:"; } >"$T/group"
  put group "$(cat "$T/group")
"
  etc_dir container_environment
  script my_init.d/10_noop 'true'
  OUT=$(FROM_DOCKER=kept in_pidns "$BIN/cinit" --quiet --skip-runit -- sh -c 'echo "[$FROM_DOCKER] [$PATH]"' 2>&1)
  assert_eq 0 "$?" "exit code: $OUT"
  assert_contains "$OUT" "[kept] [$PATH]"
  assert_eq "kept" "$(cat "$ETC/container_environment/FROM_DOCKER")" "dumped value"
}
