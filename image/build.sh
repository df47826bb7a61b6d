#!/usr/bin/env bash
# Builds the cinit base image without Docker: a rootfs from Debian's busybox-static, our
# static binaries ($BUILD/bin) and image/rootfs/, packed as an OCI image layout in
# $BUILD/image/oci (tags "cinit-demo:latest" and "latest"). Reproducible: sorted tar entries,
# numeric owners, mtime 0, gzip -n; the same inputs give the same digests.
# Usage: BUILD=build image/build.sh            (make image calls it)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BIN=$BUILD/bin
OUT=${IMAGE_OUT:-$BUILD/image}
OCI=$OUT/oci
BUSYBOX=${BUSYBOX:-/bin/busybox}
umask 022

die() {
  echo "image/build.sh: fatal: $*" >&2
  exit 1
}

for p in cinit setuser envdir sv supervisor; do
  [ -x "$BIN/$p" ] || die "unable to find '$BIN/$p': build it first (make BUILD=$BUILD)"
done
# Only a static busybox works in an image without a libc: Debian's busybox-static.
file -L "$BUSYBOX" | grep -q 'statically linked' ||
  die "unable to use '$BUSYBOX': not a static busybox (apt-get install busybox-static)"
for tool in tar gzip sha256sum jq; do
  command -v "$tool" >/dev/null || die "unable to find '$tool'"
done

rm -rf "$OUT"
mkdir -p "$OUT/base" "$OUT/app" "$OCI/blobs/sha256"
base=$OUT/base
app=$OUT/app

# --- layer 1: the base system, everything owned by root -------------------------------
mkdir -p "$base"/{bin,sbin,usr/bin,usr/sbin,etc,root,home,tmp,run,var/log,var/tmp}
mkdir -p "$base"/{proc,sys,dev,var/spool/cron/crontabs}
chmod 1777 "$base/tmp" "$base/var/tmp"
chmod 0700 "$base/root"
install -m 0755 "$BUSYBOX" "$base/bin/busybox"
# Every applet at its usual path (bin, sbin, usr/bin, usr/sbin made above), as
# `busybox --install -s` would do; one fork per link, none for the path arithmetic.
while read -r applet; do
  case $applet in
  */busybox | linuxrc | */linuxrc) continue ;;
  esac
  ln -sf /bin/busybox "$base/$applet"
done < <("$BUSYBOX" --list-full)
# Ours, where phusion's baseimage has them; /sbin/my_init for images that call it so.
install -s -m 0755 "$BIN/cinit" "$base/sbin/cinit"
ln -sf cinit "$base/sbin/my_init"
install -s -m 0755 "$BIN/setuser" "$base/sbin/setuser"
for p in envdir sv supervisor; do
  install -s -m 0755 "$BIN/$p" "$base/usr/bin/$p"
done
# The image's own files (passwd, group, services, startup scripts, env examples). The
# repository does not keep modes other than the x bit, so set them here.
cp -R image/rootfs/. "$base/"
chmod 0644 "$base/etc/passwd" "$base/etc/group"
chmod 0600 "$base/etc/shadow" "$base/var/spool/cron/crontabs/root"
# Written by cinit at boot; never world-readable (DESIGN.md).
chmod 0750 "$base/etc/container_environment"
chmod 0640 "$base"/etc/container_environment/*
printf 'cinit-demo\n' >"$base/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$base/etc/hosts"

# --- layer 2: the application user's home, owned by app (1000:1000) ------------------
mkdir -p "$app/home/app"
chmod 0750 "$app/home/app"
printf '# the app user'"'"'s profile\nexport PS1='"'"'app@\\h:\\w\\$ '"'"'\n' >"$app/home/app/.profile"

tar_layer() { # DIR OWNER PATH: a reproducible tar of DIR/PATH, every entry owned by OWNER
  tar --create --sort=name --numeric-owner --owner="$2" --group="$2" --mtime=@0 \
    --format=gnu -C "$1" "$3"
}

# blob FILE MEDIATYPE: stores FILE as a blob, prints its descriptor as JSON.
blob() {
  local digest size
  digest=$(sha256sum "$1" | cut -d' ' -f1)
  size=$(stat -c %s "$1")
  mv "$1" "$OCI/blobs/sha256/$digest"
  jq -n -c --arg m "$2" --arg d "sha256:$digest" --argjson s "$size" \
    '{mediaType: $m, digest: $d, size: $s}'
}

layers=()
diff_ids=()
# The app layer holds ./home/app only, not "." or ./home: their owner would replace root's.
for spec in "base:0:." "app:1000:./home/app"; do
  IFS=: read -r dir owner path <<<"$spec"
  tar_layer "$OUT/$dir" "$owner" "$path" >"$OUT/$dir.tar"
  diff_ids+=("sha256:$(sha256sum "$OUT/$dir.tar" | cut -d' ' -f1)")
  gzip -n -9 "$OUT/$dir.tar"
  layers+=("$(blob "$OUT/$dir.tar.gz" application/vnd.oci.image.layer.v1.tar+gzip)")
done

config=$OUT/config.json
jq -n -S -c --argjson ids "$(printf '%s\n' "${diff_ids[@]}" | jq -R . | jq -s -c .)" '{
  created: "1970-01-01T00:00:00Z",
  architecture: "amd64",
  os: "linux",
  config: {
    Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    Cmd: ["/sbin/cinit"],
    WorkingDir: "/",
    StopSignal: "SIGTERM",
    Labels: {"org.opencontainers.image.title": "cinit-demo",
             "org.opencontainers.image.description": "cinit base image: busybox syslog and cron under cinit"}
  },
  rootfs: {type: "layers", diff_ids: $ids},
  history: [
    {created: "1970-01-01T00:00:00Z", created_by: "image/build.sh: busybox-static, cinit, setuser, envdir, sv, supervisor, image/rootfs"},
    {created: "1970-01-01T00:00:00Z", created_by: "image/build.sh: /home/app"}
  ]
}' >"$config"
config_desc=$(blob "$config" application/vnd.oci.image.config.v1+json)

manifest=$OUT/manifest.json
jq -n -S -c --argjson c "$config_desc" --argjson l "$(printf '%s\n' "${layers[@]}" | jq -s -c .)" \
  '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: $c, layers: $l}' >"$manifest"
manifest_desc=$(blob "$manifest" application/vnd.oci.image.manifest.v1+json)

# Two names for one manifest: the full reference first (what `launcher import` names the
# image by), then "latest" for tools that take LAYOUT:TAG (umoci, skopeo).
jq -n -S -c --argjson m "$manifest_desc" '{schemaVersion: 2,
  mediaType: "application/vnd.oci.image.index.v1+json",
  manifests: [
    ($m + {annotations: {"org.opencontainers.image.ref.name": "cinit-demo:latest"}}),
    ($m + {annotations: {"org.opencontainers.image.ref.name": "latest"}})
  ]}' >"$OCI/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' >"$OCI/oci-layout"

rm -rf "$base" "$app"
echo "image: $OCI ($(jq -r .digest <<<"$manifest_desc"), $(du -sh "$OCI" | cut -f1))"
