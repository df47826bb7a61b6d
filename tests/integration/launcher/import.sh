# launcher import / images / rm: OCI layouts and archives, docker-save and rootfs tars,
# digest checks, shared layers, and hostile archives refused with nothing written outside.
source tests/integration/launcher/common.bash

test_import_oci_layout_and_list() {
  base_image
  out=$(launcher import "$T/base:latest") || fail "import failed"
  assert_eq "base:latest" "$out" "printed name"
  out=$(launcher images)
  assert_contains "$out" "base:latest"
  launcher import "$T/base" --name other >/dev/null || fail "import without tag failed"
  assert_contains "$(launcher images)" "other"
}

test_layers_are_shared_and_collected() {
  import_base one
  import_base two
  layers=$(ls "$T/data/launcher/layers" | wc -l)
  assert_eq 1 "$layers" "layer count after two imports of one image"
  launcher rm one || fail "rm one failed"
  assert_eq 1 "$(ls "$T/data/launcher/layers" | wc -l)" "layer kept while 'two' uses it"
  launcher rm two || fail "rm two failed"
  assert_eq 0 "$(ls "$T/data/launcher/layers" | wc -l)" "layer removed with its last image"
  assert_not_contains "$(launcher images)" "two"
}

test_rm_waits_for_a_running_import() {
  import_base one
  # An import holds the store lock shared while it works: stand in for one with flock(1),
  # which lets go when the test says so.
  as_user flock -s "$T/data/launcher/lock" sh -c "touch '$T/held'
    while [ ! -e '$T/release' ]; do sleep 0.05; done" &
  holder=$!
  wait_for test -e "$T/held" || fail "lock holder did not start"
  launcher rm one >"$T/rm.out" 2>&1 &
  rm_pid=$!
  wait_for grep -q "waiting for another launcher" "$T/rm.out" || fail "rm did not wait: $(cat "$T/rm.out")"
  kill -0 "$rm_pid" 2>/dev/null || fail "rm returned while the lock was held: $(cat "$T/rm.out")"
  assert_contains "$(launcher images)" "one"
  touch "$T/release"
  wait "$rm_pid" || fail "rm failed: $(cat "$T/rm.out")"
  wait "$holder"
  assert_not_contains "$(launcher images)" "one"
}

test_rm_unknown_image_fails() {
  out=$(launcher rm nosuch 2>&1)
  assert_eq 125 $? "exit status"
  assert_contains "$out" "no such image"
}

test_corrupt_layer_refused() {
  base_image
  layer=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["layers"][0]["digest"].split(":")[1])' \
    "$T/base/blobs/sha256/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"].split(":")[1])' "$T/base/index.json")")
  blob=$T/base/blobs/sha256/$layer
  chmod u+w "$blob"
  # Same bytes, one changed near the end: still a valid gzip stream start, wrong digest.
  python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[-1]^=1; open(p,"wb").write(b)' "$blob"
  out=$(launcher import "$T/base:latest" 2>&1)
  assert_eq 125 $? "exit status"
  assert_contains "$out" "unable to"
  store_is_clean
}

test_import_oci_archive() {
  base_image
  tar -C "$T/base" -cf "$T/base.tar" .
  own "$T/base.tar"
  out=$(launcher import "$T/base.tar" --name arch) || fail "import failed: $out"
  out=$(launcher run --no-init arch -- echo from-archive) || fail "run failed: $out"
  assert_eq "from-archive" "$out"
  [ -z "$(ls -A "$T/data/launcher/tmp")" ] || fail "archive temp dir left behind"
}

# An image archive's symlinks and FIFOs are never created, so blob reads cannot follow them
# out of the archive (here: manifest.json -> a file of the host) or block on them.
test_archive_symlink_and_fifo_not_followed() {
  echo '[{"Config": "HOSTSECRET", "Layers": []}]' >"$T/host.json"
  pytar "$T/evil.tar" 'l("manifest.json", "'"$T"'/host.json")
d("blobs")
t.addfile(_set(tarfile.TarInfo("blobs/fifo"), {"type": tarfile.FIFOTYPE}))'
  own "$T/evil.tar"
  out=$(launcher import "$T/evil.tar" --name evil 2>&1)
  assert_eq 125 $? "symlinked manifest.json"
  assert_not_contains "$out" "HOSTSECRET"
  assert_contains "$out" "manifest.json"
}

test_import_docker_save_tar() {
  base_image
  # A docker-save archive (manifest.json, <hex>.json config, <id>/layer.tar) made from the
  # base image's layer, as `docker save` writes it.
  python3 - "$T/base" "$T/docker.tar" <<'PY'
import gzip, hashlib, io, json, sys, tarfile
layout, out = sys.argv[1], sys.argv[2]
blob = lambda d: open(f"{layout}/blobs/sha256/{d.split(':')[1]}", "rb").read()
idx = json.load(open(f"{layout}/index.json"))
man = json.loads(blob(idx["manifests"][0]["digest"]))
layer = gzip.decompress(blob(man["layers"][0]["digest"]))
diff = hashlib.sha256(layer).hexdigest()
cfg = json.dumps({"architecture": "amd64", "os": "linux",
                  "config": {"Cmd": ["/bin/echo", "docker-cmd"], "Env": ["PATH=/bin"]},
                  "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff]}}).encode()
cfg_hex = hashlib.sha256(cfg).hexdigest()
layer_dir = hashlib.sha256(b"legacy id").hexdigest()
manifest = json.dumps([{"Config": cfg_hex + ".json", "RepoTags": ["dockerimg:1.0"],
                        "Layers": [layer_dir + "/layer.tar"]}]).encode()
with tarfile.open(out, "w") as t:
    for name, data in [(layer_dir + "/layer.tar", layer), (cfg_hex + ".json", cfg),
                       ("manifest.json", manifest)]:
        i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
PY
  own "$T/docker.tar"
  out=$(launcher import "$T/docker.tar") || fail "import failed: $out"
  assert_eq "dockerimg:1.0" "$out" "name from RepoTags"
  out=$(launcher run --no-init dockerimg:1.0) || fail "run failed: $out"
  assert_eq "docker-cmd" "$out" "image Cmd"
}

# two_layer_image: $T/base with a second layer (a marker file, and a whiteout of /bin/ps), so
# that the archives below carry two layers whose order matters.
two_layer_image() {
  base_image
  pytar "$T/top.tar" 'd("etc"); f("etc/marker", b"top-layer\n"); f("bin/.wh.ps")'
  add_layer "$T/base" "$T/top.tar"
}

# check_two_layer IMAGE: the image's files from both layers, its config, and a clean tmp/.
check_two_layer() {
  out=$(launcher run --no-init "$1" -- cat /etc/marker) || fail "run $1 failed: $out"
  assert_eq "top-layer" "$out" "file of the upper layer"
  launcher run --no-init "$1" -- test -e /bin/ps && fail "the whiteout of /bin/ps did not apply"
  out=$(launcher run --no-init "$1" -- sh -c 'echo $FROM_IMAGE') || fail "env of $1: $out"
  assert_eq "yes" "$out" "Env from the image config"
  out=$(launcher run --no-init "$1") || fail "default command of $1 failed"
  assert_eq 2 "$(ls "$T/data/launcher/layers" | wc -l)" "layers in the store"
  [ -z "$(ls -A "$T/data/launcher/tmp")" ] || fail "temp debris left: $(ls -A "$T/data/launcher/tmp")"
}

# skopeo writes a docker-archive as podman save does: <digest>.tar layers at the top,
# <id>/layer.tar symlinks to them, the config and manifest.json after the layers.
test_import_skopeo_docker_archive() {
  two_layer_image
  skopeo copy -q "oci:$T/base:latest" "docker-archive:$T/skopeo.tar:example/app:2.0" ||
    fail "skopeo copy failed"
  tar -tf "$T/skopeo.tar" | grep -q '^[0-9a-f]\{64\}\.tar$' || fail "no <digest>.tar layer in the archive"
  own "$T/skopeo.tar"
  out=$(launcher import "$T/skopeo.tar" 2>&1) || fail "import failed: $out"
  assert_eq "docker.io/example/app:2.0" "$out" "name from RepoTags"
  check_two_layer docker.io/example/app:2.0
}

# The same archive compressed as a whole (docker save | gzip).
test_import_gzipped_docker_archive() {
  two_layer_image
  skopeo copy -q "oci:$T/base:latest" "docker-archive:$T/app.tar" || fail "skopeo copy failed"
  gzip "$T/app.tar"
  own "$T/app.tar.gz"
  out=$(launcher import "$T/app.tar.gz" --name gz 2>&1) || fail "import failed: $out"
  check_two_layer gz
}

test_import_podman_save() {
  two_layer_image
  # Root with a private storage root (filled by skopeo): nothing of the host's podman is used.
  local p=(podman --root "$T/podman" --runroot "$T/podman-run" --storage-driver vfs
    --cgroup-manager cgroupfs --events-backend none)
  skopeo copy -q "oci:$T/base:latest" "containers-storage:[vfs@$T/podman+$T/podman-run]localhost/app:1" ||
    fail "skopeo could not fill the podman store"
  "${p[@]}" save -o "$T/podman.tar" localhost/app:1 >"$T/podman.out" 2>&1 ||
    skip "podman save does not work here: $(tail -n1 "$T/podman.out")"
  "${p[@]}" save --format oci-archive -o "$T/podman-oci.tar" localhost/app:1 >"$T/podman.out" 2>&1 ||
    fail "podman save --format oci-archive failed: $(tail -n1 "$T/podman.out")"
  own "$T/podman.tar" "$T/podman-oci.tar"
  out=$(launcher import "$T/podman.tar" 2>&1) || fail "import failed: $out"
  assert_eq "localhost/app:1" "$out" "name from RepoTags"
  check_two_layer localhost/app:1
  launcher rm localhost/app:1 || fail "rm failed" # its layers go: the next import counts its own
  out=$(launcher import "$T/podman-oci.tar" --name podoci 2>&1) || fail "oci-archive import failed: $out"
  check_two_layer podoci
}

# skopeo's oci-archive lists blobs/ before index.json: the layers stream by before the index
# that names them.
test_import_skopeo_oci_archive() {
  two_layer_image
  skopeo copy -q "oci:$T/base:latest" "oci-archive:$T/oci.tar:v1" || fail "skopeo copy failed"
  [ "$(tar -tf "$T/oci.tar" | grep -n 'index.json' | cut -d: -f1)" -gt \
    "$(tar -tf "$T/oci.tar" | grep -n 'blobs/sha256/.' | head -n1 | cut -d: -f1)" ] ||
    fail "index.json before the blobs: not the order this case is about"
  own "$T/oci.tar"
  out=$(launcher import "$T/oci.tar" 2>&1) || fail "import failed: $out"
  assert_eq "oci:v1" "$out" "name from the file and the ref name"
  check_two_layer oci:v1
}

# refused_archive TAR-BODY TEXT: an image archive that cannot be read as one: exit 125, one
# line naming the file and TEXT, nothing stored (never imported as a root filesystem).
refused_archive() {
  pytar "$T/bad.tar" "$1"
  out=$(launcher import "$T/bad.tar" --name bad 2>&1)
  assert_eq 125 $? "exit status (output: $out)"
  assert_eq 1 "$(echo "$out" | wc -l)" "one line: $out"
  assert_contains "$out" "$T/bad.tar"
  assert_contains "$out" "$2"
  store_is_clean
}

test_broken_image_archives_refused() {
  refused_archive 'f("manifest.json", b"not json")' "not a JSON array"
  refused_archive 'f("manifest.json", b"[{\"Config\": \"c.json\", \"Layers\": []}]")' "c.json"
  refused_archive 'f("index.json", b"{\"schemaVersion\": 2, \"manifests\": []}"); f("oci-layout", b"{}")' \
    "lists no manifests"
  refused_archive 'f("oci-layout", b"{\"imageLayoutVersion\": \"1.0.0\"}"); f("blobs/sha256/x", b"")' \
    "no index.json"
  # A root filesystem's entries first, manifest.json after them.
  refused_archive 'd("bin"); f("bin/tool", b"x"); f("manifest.json", b"[]")' "manifest.json"
}

# A layer the manifest lists that is missing, or whose bytes do not match the digest it is
# listed under, fails the import naming it.
test_archive_missing_or_corrupt_layer_refused() {
  base_image
  skopeo copy -q "oci:$T/base:latest" "docker-archive:$T/d.tar" || fail "skopeo copy failed"
  mkdir "$T/x" && tar -C "$T/x" -xf "$T/d.tar"
  layer=$(cd "$T/x" && ls [0-9a-f]*.tar)
  mv "$T/x/$layer" "$T/layer.keep"
  (cd "$T/x" && tar -cf "$T/missing.tar" ./*)
  own "$T/missing.tar"
  out=$(launcher import "$T/missing.tar" --name m 2>&1)
  assert_eq 125 $? "missing layer: $out"
  assert_contains "$out" "not in the archive"
  store_is_clean
  # Same size, one byte changed: the diff_id check catches it.
  python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[len(b)//2]^=1; open(sys.argv[2],"wb").write(b)' \
    "$T/layer.keep" "$T/x/$layer"
  (cd "$T/x" && tar -cf "$T/corrupt.tar" ./*)
  own "$T/corrupt.tar"
  out=$(launcher import "$T/corrupt.tar" --name c 2>&1)
  assert_eq 125 $? "corrupt layer: $out"
  assert_contains "$out" "diff_id"
  store_is_clean
}

test_import_rootfs_tar_and_dir() {
  mkdir -p "$T/rootfs/bin"
  cp /bin/busybox "$T/rootfs/bin/"
  ln -s busybox "$T/rootfs/bin/sh"
  ln -s busybox "$T/rootfs/bin/cat"
  echo rootfs-content >"$T/rootfs/marker"
  tar -C "$T/rootfs" -czf "$T/rootfs.tar.gz" .
  own "$T/rootfs" "$T/rootfs.tar.gz"
  out=$(launcher import "$T/rootfs.tar.gz") || fail "tar import failed: $out"
  assert_eq "rootfs" "$out" "name from the file name"
  assert_eq "rootfs-content" "$(launcher run --no-init rootfs -- cat /marker)"
  out=$(launcher import "$T/rootfs" --name fromdir) || fail "dir import failed: $out"
  assert_eq "rootfs-content" "$(launcher run --no-init fromdir -- /bin/cat /marker)"
  # A trailing slash names the same directory: every top-level name keeps its first letter.
  local layers
  layers=$(ls "$T/data/launcher/layers" | wc -l)
  out=$(launcher import "$T/rootfs//" --name slash) || fail "dir/ import failed: $out"
  assert_eq "rootfs-content" "$(launcher run --no-init slash -- /bin/cat /marker)"
  assert_eq "$layers" "$(ls "$T/data/launcher/layers" | wc -l)" "same layer as without the slash"
}

# refused NAME TAR-BODY: a rootfs tar that must be refused, leaving the store clean.
refused() {
  mkdir -p "$T/outside"
  own "$T/outside"
  pytar "$T/evil.tar" "$1"
  out=$(launcher import "$T/evil.tar" --name evil 2>&1)
  rc=$?
  assert_eq 125 $rc "exit status (output: $out)"
  assert_contains "$out" "unable to unpack"
  [ -z "$(ls -A "$T/outside")" ] || fail "written outside: $(ls -A "$T/outside")"
  [ ! -e "$T/escaped" ] || fail "written next to the store"
  store_is_clean
}

test_hostile_dotdot_refused() {
  refused 'f("ok", b"x"); f("../../../../escaped", b"evil")'
}

test_hostile_absolute_refused() {
  refused "f('ok', b'x'); f('$T/outside/abs', b'evil')"
}

test_hostile_symlink_write_through_refused() {
  refused "l('link', '$T/outside'); f('link/through', b'evil')"
}

test_hostile_relative_symlink_refused() {
  refused "d('a'); l('a/up', '../../../../../../../../$T/outside'); f('a/up/through', b'evil')"
}

test_hostile_hardlink_out_refused() {
  refused 'h("hard", "../../../../../../etc/passwd")'
}

test_device_nodes_skipped() {
  pytar "$T/dev.tar" 'f("file", b"x"); c("null", 1, 3)'
  out=$(launcher import "$T/dev.tar" --name dev 2>&1) || fail "import failed: $out"
  assert_contains "$out" "device"
  layer=$(ls "$T/data/launcher/layers")
  [ -f "$T/data/launcher/layers/$layer/file" ] || fail "regular file missing"
  [ ! -e "$T/data/launcher/layers/$layer/null" ] || fail "device node created"
}

test_whiteouts_converted_in_layer() {
  pytar "$T/wh.tar" 'd("dir"); f("dir/.wh..wh..opq"); f(".wh.gone"); f("kept", b"k")'
  launcher import "$T/wh.tar" --name wh >/dev/null || fail "import failed"
  l=$T/data/launcher/layers/$(ls "$T/data/launcher/layers")
  [ "$(stat -c %F:%t:%T "$l/gone")" = "character special file:0:0" ] ||
    fail "whiteout is $(stat -c %F:%t:%T "$l/gone")"
  assert_eq "y" "$(getfattr --only-values -n user.overlay.opaque "$l/dir" 2>/dev/null ||
    python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.overlay.opaque").decode())' "$l/dir")" \
    "opaque xattr"
}

test_debris_of_dead_import_swept() {
  import_base
  # What an import killed mid-way leaves: a temp dir named after a pid that is gone.
  mkdir -p "$T/data/launcher/tmp/layer-999999999-abcdef/x"
  own "$T/data"
  assert_not_contains "$(launcher images)" "abcdef"
  import_base again
  [ ! -e "$T/data/launcher/tmp/layer-999999999-abcdef" ] || fail "debris not swept"
}

test_help_and_version() {
  out=$(launcher --help) || fail "--help failed"
  assert_contains "$out" "Usage: launcher"
  for c in import images rm run; do
    out=$(launcher "$c" --help) || fail "$c --help failed"
    assert_contains "$out" "Usage: launcher $c"
  done
  out=$(launcher --version) || fail "--version failed"
  assert_contains "$out" "launcher "
  out=$(launcher frobnicate 2>&1)
  assert_eq 125 $? "unknown command status"
  assert_contains "$out" "unknown command"
}

test_bad_ini_names_file_line_key() {
  mkdir -p "$T/config/launcher"
  printf '# comment\ndata_root = %s/alt\nbogus_key = 1\ngpus = all\nother_bad = 2\n' "$T" \
    >"$T/config/launcher/launcher.ini"
  own "$T/config"
  out=$(launcher images 2>&1)
  assert_eq 125 $? "exit status"
  assert_contains "$out" "$T/config/launcher/launcher.ini"
  # The first error's line and key, not the last line parsed (inih goes on after an error).
  assert_eq "launcher: fatal: unable to parse '$T/config/launcher/launcher.ini': line 3: key 'bogus_key': unknown key" "$out"
}

test_ini_data_root() {
  mkdir -p "$T/config/launcher"
  printf '[launcher]\ndata_root = %s/alt\n' "$T" >"$T/config/launcher/launcher.ini"
  own "$T/config"
  import_base
  [ -f "$T/alt/images/base.json" ] || fail "image not stored under data_root"
  [ ! -e "$T/data/launcher/images" ] || fail "default data root used"
}

# A data root another local user could have made or can write into (/var/tmp/launcher-UID
# made first by someone else) is refused with one line naming it, before anything is used.
test_data_root_not_ours_refused() {
  [ "$(id -u)" -eq 0 ] || skip "needs root to make a directory of another user"
  mkdir -m 1777 "$T/shared"
  mkdir -m 0755 "$T/shared/launcher"
  data() { as_user env -u LAUNCHER_CONFIG HOME="$T/home" XDG_DATA_HOME="$T/shared" \
    XDG_CONFIG_HOME="$T/config" "$BIN/launcher" images 2>&1; }
  out=$(data)
  assert_eq 125 $? "owned by root"
  assert_eq "launcher: fatal: unable to use data root '$T/shared/launcher': owned by uid 0, not by uid $(id -u "$TEST_USER")" "$out"
  [ ! -e "$T/shared/launcher/layers" ] || fail "used before the check"
  chown "$TEST_USER:" "$T/shared/launcher"
  chmod 0777 "$T/shared/launcher"
  out=$(data)
  assert_eq 125 $? "open to others"
  assert_contains "$out" "unable to use data root '$T/shared/launcher': mode 0777"
  rmdir "$T/shared/launcher"
  ln -s "$T/home" "$T/shared/launcher"
  out=$(data)
  assert_eq 125 $? "symlink"
  assert_contains "$out" "unable to open data root '$T/shared/launcher'"
  rm "$T/shared/launcher"
  out=$(data) || fail "a fresh one (made 0700) refused: $out"
  assert_eq "700" "$(stat -c %a "$T/shared/launcher")"
}
