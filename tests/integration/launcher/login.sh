# launcher login / logout against the real registries of registry.bash (htpasswd Basic, and
# Bearer tokens): credentials checked before they are stored, stored 0600 in podman's auth
# file, other entries kept, and used by pull.
source tests/integration/launcher/common.bash
source tests/integration/launcher/registry.bash

# auth_file: where login writes without REGISTRY_AUTH_FILE or XDG_RUNTIME_DIR (podman's
# persistent fallback, under the case's XDG_CONFIG_HOME).
auth_file() { echo "$T/config/containers/auth.json"; }

# login_stdin PASSWORD ARGS...: launcher login ARGS... --password-stdin, PASSWORD on stdin.
login_stdin() {
  printf '%s\n' "$1" | launcher login "${@:2}" --password-stdin
}

# stored_auth HOST [FILE]: USER:PASSWORD of HOST's entry in FILE (default: auth_file).
stored_auth() {
  python3 -c 'import base64, json, sys
print(base64.b64decode(json.load(open(sys.argv[1]))["auths"][sys.argv[2]]["auth"]).decode())' \
    "${2:-$(auth_file)}" "$1"
}

test_login_on_a_terminal_then_pull() {
  NO_CREDS=1 start_registry
  reg=127.0.0.1:$REG_PORT
  out=$(launcher pull -q "$reg/busybox" 2>&1)
  assert_eq 125 $? "pull before login"
  out=$(on_pty "Username: =$REG_USER" "Password: =$REG_PASS" -- login "$reg") ||
    fail "login on a terminal failed: $out"
  assert_contains "$out" "Login Succeeded"
  # The user name is echoed as typed; the password never shows.
  assert_contains "$out" "Username: $REG_USER"
  assert_not_contains "$out" "$REG_PASS"
  assert_eq "$REG_USER:$REG_PASS" "$(stored_auth "$reg")" "stored credentials"
  assert_eq 600 "$(stat -c %a "$(auth_file)")" "mode of the auth file"
  assert_eq "$TEST_USER" "$(stat -c %U "$(auth_file)")" "owner of the auth file"
  launcher pull -q "$reg/busybox" >/dev/null 2>"$T/err" ||
    fail "pull after login failed: $(cat "$T/err")"
}

test_wrong_password_stores_nothing() {
  NO_CREDS=1 start_registry
  reg=127.0.0.1:$REG_PORT
  out=$(login_stdin wrong "$reg" -u "$REG_USER" 2>&1)
  assert_eq 125 $? "exit status"
  assert_contains "$out" "401"
  assert_contains "$out" "were refused"
  assert_eq 1 "$(printf '%s\n' "$out" | wc -l)" "lines of the error"
  [ ! -e "$(auth_file)" ] || fail "an auth file was written: $(cat "$(auth_file)")"
  # An existing file is left byte for byte.
  mkdir -p "$(dirname "$(auth_file)")"
  printf '{"auths": {"example.org": {"auth": "%s"}}}\n' "$(printf 'a:b' | base64)" >"$(auth_file)"
  own "$T/config"
  cp "$(auth_file)" "$T/before"
  out=$(on_pty "Password: =wrong" -- login -u "$REG_USER" "$reg")
  assert_eq 125 $? "exit status on a terminal"
  assert_contains "$out" "401"
  cmp -s "$T/before" "$(auth_file)" || fail "the auth file changed: $(cat "$(auth_file)")"
}

test_login_keeps_other_entries_and_logout_removes_only_its_own() {
  NO_CREDS=1 start_registry
  reg=127.0.0.1:$REG_PORT
  mkdir -p "$T/run/containers"
  # Another registry, an older spelling of this one, and a key login knows nothing of.
  printf '{"auths": {"example.org": {"auth": "%s"}, "https://%s/v2/": {"auth": "%s"}},
    "credHelpers": {"quay.io": "secretservice"}}\n' "$(printf 'a:b' | base64)" "$reg" \
    "$(printf 'old:stale' | base64)" >"$T/run/containers/auth.json"
  chmod 644 "$T/run/containers/auth.json"
  own "$T/run"
  export LAUNCHER_ENV="XDG_RUNTIME_DIR=$T/run"
  file=$T/run/containers/auth.json
  out=$(login_stdin "$REG_PASS" "$reg" -u "$REG_USER" 2>&1) || fail "login failed: $out"
  assert_eq "$REG_USER:$REG_PASS" "$(stored_auth "$reg" "$file")" "new entry"
  assert_eq "a:b" "$(stored_auth example.org "$file")" "other registry's entry"
  assert_contains "$(cat "$file")" '"quay.io": "secretservice"'
  assert_not_contains "$(cat "$file")" "https://$reg/v2/"
  assert_eq 600 "$(stat -c %a "$file")" "mode of the rewritten file"
  [ ! -e "$(auth_file)" ] || fail "login wrote $(auth_file) although XDG_RUNTIME_DIR is set"
  launcher pull -q "$reg/busybox" >/dev/null 2>"$T/err" ||
    fail "pull after login failed: $(cat "$T/err")"
  out=$(launcher logout "$reg" 2>&1) || fail "logout failed: $out"
  assert_not_contains "$(cat "$file")" "$reg"
  assert_eq "a:b" "$(stored_auth example.org "$file")" "other registry's entry after logout"
  assert_contains "$(cat "$file")" '"quay.io": "secretservice"'
  out=$(launcher pull "$reg/busybox" --name again 2>&1)
  assert_eq 125 $? "pull after logout"
  assert_contains "$out" "401"
  out=$(launcher logout "$reg" 2>&1)
  assert_eq 125 $? "second logout"
  assert_contains "$out" "not logged in"
  assert_eq 1 "$(printf '%s\n' "$out" | wc -l)" "lines of the error"
}

test_login_to_registry_auth_file() {
  NO_CREDS=1 start_registry
  reg=127.0.0.1:$REG_PORT
  mkdir -p "$T/auth"
  own "$T/auth"
  export LAUNCHER_ENV="REGISTRY_AUTH_FILE=$T/auth/mine.json XDG_RUNTIME_DIR=$T"
  out=$(login_stdin "$REG_PASS" "$reg" -u "$REG_USER" 2>&1) || fail "login failed: $out"
  assert_eq "$REG_USER:$REG_PASS" "$(stored_auth "$reg" "$T/auth/mine.json")" "entry"
  assert_eq 600 "$(stat -c %a "$T/auth/mine.json")" "mode"
  launcher pull -q "$reg/busybox" >/dev/null 2>"$T/err" ||
    fail "pull with REGISTRY_AUTH_FILE failed: $(cat "$T/err")"
}

test_login_with_bearer_tokens() {
  start_token_server
  NO_CREDS=1 start_registry
  reg=127.0.0.1:$REG_PORT
  out=$(login_stdin wrong "$reg" -u "$REG_USER" 2>&1)
  assert_eq 125 $? "exit status with a wrong password"
  assert_contains "$out" "get a token from 'https://127.0.0.1:$TOKEN_PORT/token'"
  assert_contains "$out" "401"
  [ ! -e "$(auth_file)" ] || fail "an auth file was written: $(cat "$(auth_file)")"
  out=$(login_stdin "$REG_PASS" "$reg" -u "$REG_USER" 2>&1) || fail "login failed: $out"
  # docker login's check: a token for the registry itself, no repository in its scope.
  assert_contains "$(cat "$T/token.log")" "service=cinit-test-registry scope= auth=yes"
  launcher pull -q "$reg/busybox" >/dev/null 2>"$T/err" ||
    fail "pull after login failed: $(cat "$T/err")"
  assert_contains "$(cat "$T/token.log")" "scope=repository:busybox:pull auth=yes"
}

test_password_never_from_argv_nor_without_a_terminal() {
  for args in "-p $REG_PASS" "--password=$REG_PASS" "--password $REG_PASS"; do
    # shellcheck disable=SC2086 # one option and its value
    out=$(launcher login -u "$REG_USER" $args 127.0.0.1:5000 2>&1)
    assert_eq 125 $? "exit status for [$args]"
    assert_contains "$out" "password on the command line is refused"
  done
  # No terminal to ask on (setsid: no controlling one), no --password-stdin.
  out=$(as_user setsid -w env -u LAUNCHER_CONFIG HOME="$T/home" XDG_CONFIG_HOME="$T/config" \
    "$BIN/launcher" login -u "$REG_USER" 127.0.0.1:5000 </dev/null 2>&1)
  assert_eq 125 $? "exit status without a terminal"
  assert_contains "$out" "no terminal"
  out=$(launcher login 127.0.0.1:5000 --password-stdin </dev/null 2>&1)
  assert_eq 125 $? "exit status of --password-stdin without --username"
  out=$(launcher login "no registry" -u x --password-stdin </dev/null 2>&1)
  assert_eq 125 $? "exit status for a bad registry"
  assert_contains "$out" "invalid registry 'no registry'"
}

test_interrupted_prompt_gives_the_echo_back() {
  # ^C at the password prompt kills the launcher; the terminal must have its echo back
  # (stty, run next on the same terminal, says). bash's trap keeps the shell alive.
  user=()
  if [ "$MODE" = user ] && [ "$(id -u)" -eq 0 ]; then user=(runuser -u "$TEST_USER" --); fi
  out=$(python3 "$REPO/tests/integration/launcher/on_pty.py" "Password: "=$'\x03' -- \
    "${user[@]}" env HOME="$T/home" XDG_CONFIG_HOME="$T/config" bash -c \
    "trap : INT; '$BIN/launcher' login -u $REG_USER 127.0.0.1:5000; echo status=\$?; stty -a")
  assert_contains "$out" "status=130" "the launcher's end"
  [[ $out =~ [[:space:]]echo[[:space:]] ]] || fail "the terminal's echo is off after ^C: $out"
}
