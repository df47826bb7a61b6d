# image/build.sh: a reproducible OCI layout that an independent reader (umoci) and our
# launcher both take, holding cinit, the tools, busybox and the example services.
# shellcheck shell=bash
source tests/integration/image/common.bash
MODES="root"

test_layout_is_valid_and_tagged() {
  build_image
  assert_eq '{"imageLayoutVersion":"1.0.0"}' "$(cat "$OCI/oci-layout")" "oci-layout"
  m=$(manifest_of "$OCI" cinit-demo:latest)
  assert_eq "$m" "$(manifest_of "$OCI" latest)" "both tags name one manifest"
  # Every blob is stored under its own digest.
  for b in "$OCI"/blobs/sha256/*; do
    assert_eq "$(basename "$b")" "$(sha256sum "$b" | cut -d' ' -f1)" "digest of $b"
  done
  cfg=$(cat "$OCI/blobs/sha256/$(jq -r '.config.digest | ltrimstr("sha256:")' <<<"$m")")
  assert_eq '["/sbin/cinit"]' "$(jq -c .config.Cmd <<<"$cfg")" "Cmd"
  # diff_ids are the digests of the uncompressed layers.
  for i in 0 1; do
    l=$(jq -r ".layers[$i].digest | ltrimstr(\"sha256:\")" <<<"$m")
    assert_eq "$(jq -r ".rootfs.diff_ids[$i]" <<<"$cfg")" \
      "sha256:$(gzip -dc "$OCI/blobs/sha256/$l" | sha256sum | cut -d' ' -f1)" "diff_id $i"
  done
}

test_build_is_reproducible() {
  build_image >/dev/null
  first=$(cat "$OCI/index.json")
  build_image >/dev/null
  assert_eq "$first" "$(cat "$OCI/index.json")" "index.json of a second build"
}

test_umoci_unpacks_expected_rootfs() {
  cached_image
  umoci unpack --image "$OCI:cinit-demo:latest" "$T/bundle" >/dev/null || fail "umoci unpack"
  r=$T/bundle/rootfs
  for f in sbin/cinit sbin/setuser usr/bin/envdir usr/bin/sv usr/bin/supervisor bin/busybox; do
    [ -x "$r/$f" ] || fail "missing executable /$f"
    file -L "$r/$f" | grep -q 'statically linked' || fail "/$f is not static"
  done
  assert_eq cinit "$(readlink "$r/sbin/my_init")" "/sbin/my_init"
  assert_eq /bin/busybox "$(readlink "$r/bin/sh")" "/bin/sh"
  for f in etc/service/syslog/run etc/service/syslog/log/run etc/service/syslog/finish \
    etc/service/cron/run etc/service/cron/log/run etc/service/cron/finish \
    etc/my_init.d/10_log_dirs etc/my_init.d/20_boot_env; do
    [ -x "$r/$f" ] || fail "missing executable /$f"
  done
  grep -qx 'app:x:1000:1000:Application user:/home/app:/bin/sh' "$r/etc/passwd" ||
    fail "no app user"
  grep -q '^docker_env:x:[0-9]*:app$' "$r/etc/group" || fail "no docker_env group"
  assert_eq "1777 0:0" "$(stat -c '%a %u:%g' "$r/tmp")" "/tmp"
  assert_eq "750 0:0" "$(stat -c '%a %u:%g' "$r/etc/container_environment")" "env dir"
  assert_eq "750 1000:1000" "$(stat -c '%a %u:%g' "$r/home/app")" "/home/app"
  assert_eq "755 0:0" "$(stat -c '%a %u:%g' "$r/home")" "/home (not taken by the app layer)"
  assert_eq "755 0:0" "$(stat -c '%a %u:%g' "$r")" "/ (not taken by the app layer)"
}

# L ARGS...: the launcher as the unprivileged test user, with its own home and data root.
L() {
  runuser -u "$TEST_USER" -- env -u LAUNCHER_CONFIG HOME="$T/home" XDG_DATA_HOME="$T/data" \
    XDG_CONFIG_HOME="$T/config" "$BIN/launcher" "$@"
}

test_launcher_imports_it() {
  [ -x "$BIN/launcher" ] || fail "no launcher in $BIN"
  cached_image
  chown -R "$TEST_USER:" "$T"
  out=$(L import "$OCI" 2>&1) || fail "launcher import: $out"
  assert_eq "cinit-demo:latest" "$(tail -n 1 <<<"$out")" "imported name"
  assert_contains "$(L images 2>&1)" "cinit-demo:latest"
}

# The whole chain rootless: the launcher runs the image's own cinit, which boots the
# services, runs the command through setuser, shuts down and passes the exit code on.
test_runs_rootless_under_launcher() {
  [ -x "$BIN/launcher" ] || fail "no launcher in $BIN"
  cached_image
  chown -R "$TEST_USER:" "$T"
  L import "$OCI" >/dev/null 2>&1 || fail "launcher import"
  L run cinit-demo:latest -- /sbin/setuser app sh -c 'echo "ids $(id -u) $(id -G)"; exit 3' \
    >"$T/out" 2>"$T/err"
  rc=$?
  assert_eq 3 "$rc" "exit status"
  assert_contains "$(cat "$T/out")" "ids 1000 1000 100 8377"
  assert_contains "$(cat "$T/out")" "20_boot_env: booted at"
  assert_contains "$(cat "$T/err")" "syslog: finished"
  assert_contains "$(cat "$T/err")" "post_shutdown: services stopped, goodbye"
}
