# Helpers for the image's integration cases (sourced by the *.sh files here; no cases of its
# own): build the image from this case's binaries, unpack it with umoci, run it with crun.
# shellcheck shell=bash

# build_image: runs image/build.sh on $BIN into $T/image (prints the image line).
build_image() {
  BUILD=$T IMAGE_OUT=$T/image "$REPO/image/build.sh" || fail "image/build.sh failed"
  OCI=$T/image/oci
}

# cached_image: $OCI, a copy of the image built from this case's binaries and image/,
# built once per set of inputs (a build costs seconds on a loaded machine).
cached_image() {
  local key cache tmp
  key=$(cat "$BIN"/{cinit,setuser,envdir,sv,supervisor} "$REPO/image/build.sh" \
    <(cd "$REPO/image" && find rootfs -print0 | sort -z | xargs -0 ls -ld --time-style=+) \
    <(cd "$REPO/image" && find rootfs -type f -print0 | sort -z | xargs -0 cat) |
    sha256sum | cut -c1-16)
  cache=/tmp/cinit-image-fixture-$key
  if [ ! -f "$cache/oci/index.json" ]; then
    tmp=$(mktemp -d /tmp/cinit-image-fixture.XXXXXX)
    BUILD=$T IMAGE_OUT=$tmp "$REPO/image/build.sh" >/dev/null || fail "image/build.sh failed"
    mv -T "$tmp" "$cache" 2>/dev/null || rm -rf "$tmp" # a parallel builder won
  fi
  mkdir -p "$T/image"
  cp -a "$cache/oci" "$T/image/oci"
  OCI=$T/image/oci
}

# manifest_of LAYOUT TAG: the manifest JSON the tag names.
manifest_of() {
  local d
  d=$(jq -r --arg t "$2" '.manifests[] | select(.annotations."org.opencontainers.image.ref.name" == $t) | .digest' \
    "$1/index.json")
  [ -n "$d" ] || fail "no tag $2 in $1"
  cat "$1/blobs/sha256/${d#sha256:}"
}

# Docker's default capability set: what an image made for `docker run` may expect.
docker_caps='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD",
  "CAP_NET_RAW","CAP_SETGID","CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT","CAP_KILL","CAP_AUDIT_WRITE"]'

# make_bundle ARGS_JSON: $T/bundle, the image unpacked by umoci (an independent OCI reader),
# running ARGS_JSON without a terminal, with Docker's capabilities.
make_bundle() {
  umoci unpack --image "$OCI:latest" "$T/bundle" >/dev/null || fail "umoci unpack failed"
  jq --argjson a "$1" --argjson c "$docker_caps" \
    '.process.args = $a | .process.terminal = false | .hostname = "cinit-demo" |
     .process.capabilities = {bounding: $c, effective: $c, permitted: $c}' \
    "$T/bundle/config.json" >"$T/bundle/config.json.new" &&
    mv "$T/bundle/config.json.new" "$T/bundle/config.json"
}

# crun_ CMD...: crun with this case's own state dir. crun 1.8 refuses hybrid cgroup hosts
# (v1 controllers plus a v2 mount at /sys/fs/cgroup/unified): hide that mount in a private
# mount namespace; the container then gets no cgroup of its own, which these cases do not need.
crun_() {
  unshare --mount sh -c '
    if mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then umount /sys/fs/cgroup/unified; fi
    exec crun --root "$0" "$@"' "$T/crun-state" "$@"
}

# start_container ID: `crun run` in the background, stdout/stderr in $T/out and $T/err;
# sets CRUN_PID and deletes the container when the case ends.
start_container() {
  CID=$1
  mkdir -p "$T/crun-state"
  crun_ run --bundle "$T/bundle" "$CID" >"$T/out" 2>"$T/err" </dev/null &
  CRUN_PID=$!
  trap 'rc=$?; crun_ delete --force "$CID" >/dev/null 2>&1; (exit $rc); lib_teardown' EXIT
}

# wait_exit: waits (up to 60 s) for `crun run`; its exit status goes to $RC.
wait_exit() {
  local i
  for i in $(seq 1 600); do
    kill -0 "$CRUN_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$CRUN_PID" 2>/dev/null && fail "crun run still running after 60 s"
  wait "$CRUN_PID"
  RC=$?
}

# service_up NAME: `sv status` inside the container says NAME and its logger run.
service_up() {
  local s
  s=$(crun_ exec "$CID" sv status "/etc/service/$1" 2>&1) || return 1
  [[ $s == run:* && $s == *"run: log:"* ]]
}
