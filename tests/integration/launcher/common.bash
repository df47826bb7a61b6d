# Helpers for the launcher's integration cases (sourced by the *.sh files here; this file has
# no cases of its own). Images are built with umoci from Debian's busybox-static, so the
# fixtures come from an independent OCI producer; hostile tars are made with Python's tarfile.
# shellcheck shell=bash

MODES="user"
# Bump the suffix when _build_base changes: the cache is keyed by it.
FIXTURES=${LAUNCHER_FIXTURES:-/tmp/cinit-launcher-fixtures-$(id -u)-v2}

# launcher ARGS...: the launcher as the test user, with its own home, config and data root.
launcher() {
  as_user env -u LAUNCHER_CONFIG HOME="$T/home" XDG_DATA_HOME="$T/data" \
    XDG_CONFIG_HOME="$T/config" ${LAUNCHER_ENV:-} "$BIN/launcher" "$@"
}

# store_is_clean: no image, no layer, no temp debris in the test's data root.
store_is_clean() {
  local d=$T/data/launcher
  [ -z "$(ls -A "$d/images" 2>/dev/null)" ] || fail "images left: $(ls -A "$d/images")"
  [ -z "$(ls -A "$d/layers" 2>/dev/null)" ] || fail "layers left: $(ls -A "$d/layers")"
  [ -z "$(ls -A "$d/tmp" 2>/dev/null)" ] || fail "temp debris left: $(ls -A "$d/tmp")"
}

# own PATH...: hands files made by the (root) test runner to the test user.
own() {
  if [ "$MODE" = user ] && [ "$(id -u)" -eq 0 ]; then chown -R "$TEST_USER:" "$@"; fi
}

# _build_base DIR: an OCI layout DIR:latest with one layer holding busybox and its applets.
_build_base() {
  local dir=$1 work
  work=$(mktemp -d)
  umoci init --layout "$dir" >/dev/null
  umoci new --image "$dir:latest" >/dev/null
  mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp" "$work/rootfs/root"
  cp /bin/busybox "$work/rootfs/bin/busybox"
  local a
  for a in sh echo cat ls id true false sleep kill ps stat mkdir touch rm env pwd hostname \
    ip ifconfig grep sed wc readlink test mount head tail chown printf seq cut unshare chmod \
    ln setpriv mknod cp; do
    ln -s busybox "$work/rootfs/bin/$a"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n' \
    >"$work/rootfs/etc/passwd"
  chmod 1777 "$work/rootfs/tmp"
  # umoci repack wants the bundle made by unpack: unpack the empty image, then fill it.
  umoci unpack --image "$dir:latest" "$work/bundle" >/dev/null
  cp -a "$work/rootfs/." "$work/bundle/rootfs/"
  umoci repack --image "$dir:latest" "$work/bundle" >/dev/null
  umoci config --image "$dir:latest" --config.cmd /bin/sh --config.env PATH=/bin \
    --config.env FROM_IMAGE=yes >/dev/null
  rm -rf "$work"
}

# base_image: $T/base, a copy of the cached base layout (built once per machine and user).
base_image() {
  if [ ! -f "$FIXTURES/base/index.json" ]; then
    mkdir -p "$FIXTURES"
    local tmp
    tmp=$(mktemp -d "$FIXTURES/.build.XXXXXX")
    _build_base "$tmp/base"
    mv -T "$tmp/base" "$FIXTURES/base" 2>/dev/null || true # a parallel builder won
    rm -rf "$tmp"
  fi
  cp -a "$FIXTURES/base" "$T/base"
  own "$T/base"
}

# import_base [NAME]: imports the base layout as NAME (default: base).
import_base() {
  base_image
  launcher import "$T/base:latest" --name "${1:-base}" >/dev/null || fail "import of base failed"
}

# add_layer LAYOUT TARFILE: appends an uncompressed layer tar to LAYOUT:latest.
add_layer() {
  umoci raw add-layer --image "$1:latest" "$2" >/dev/null || fail "umoci raw add-layer failed"
  own "$1"
}

# pytar OUT 'python statements using t (an open tarfile) and helpers f(name, data, **kw),
# d(name, **kw), l(name, target, **kw), h(name, target)': writes a tar exactly as given.
pytar() {
  python3 - "$1" "$2" <<'PY'
import io, sys, tarfile
out, body = sys.argv[1], sys.argv[2]
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
    def _set(i, kw):
        for k, v in kw.items():
            setattr(i, k, v)
        return i
    def f(name, data=b"", **kw):
        i = _set(tarfile.TarInfo(name), {"mode": 0o644, **kw})
        i.size = len(data)
        t.addfile(i, io.BytesIO(data))
    def d(name, **kw):
        t.addfile(_set(tarfile.TarInfo(name), {"type": tarfile.DIRTYPE, "mode": 0o755, **kw}))
    def l(name, target, **kw):
        t.addfile(_set(tarfile.TarInfo(name), {"type": tarfile.SYMTYPE, "linkname": target, **kw}))
    def h(name, target):
        t.addfile(_set(tarfile.TarInfo(name), dict(type=tarfile.LNKTYPE, linkname=target)))
    def c(name, major, minor):
        t.addfile(_set(tarfile.TarInfo(name), dict(type=tarfile.CHRTYPE, devmajor=major,
                                                   devminor=minor, mode=0o666)))
    exec(body)
PY
  own "$1"
}

# cinit for the container: the lead's static build, copied next to the launcher.
have_cinit() { [ -x "$BIN/cinit" ]; }

# host_ns CMD...: CMD as real root in a mount namespace of its own, where /etc is the case's
# overlay ($ETC is its upper layer: /etc/launcher/launcher.ini can be the case's) and /var/tmp
# a fresh tmpfs (the launcher's local fallback for a data root is the case's own).
host_ns() {
  [ "$(id -u)" -eq 0 ] || skip "needs root for a private /etc and /var/tmp"
  env T="$T" unshare --mount sh -c "mount -t tmpfs tmpfs /var/tmp || exit 99; $_overlay_etc" \
    sh "$@"
}

# launcher_cmd: the command line (one string, for a shell inside host_ns) that runs the
# launcher as the test user (as root in MODE=root) with the case's home, config and data
# root, plus $LAUNCHER_ENV.
launcher_cmd() {
  local as=
  [ "$MODE" = user ] && as="runuser -u $TEST_USER --"
  echo "$as env -u LAUNCHER_CONFIG HOME=$T/home XDG_DATA_HOME=$T/data" \
    "XDG_CONFIG_HOME=$T/config ${LAUNCHER_ENV:-} $BIN/launcher"
}
