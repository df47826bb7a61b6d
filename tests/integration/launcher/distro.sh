# The launcher on hosts other than the one it was built on: from inside a Debian 11 root
# (glibc 2.31, older than the 2.36 it is built against), and for a user that only the host's
# name service knows (as LDAP and SSSD users on clusters are).
source tests/integration/launcher/common.bash

# Bump the suffix when _build_bullseye changes: the cache is keyed by it.
BULLSEYE=${LAUNCHER_BULLSEYE:-/tmp/cinit-bullseye-$(id -u)-v1}

# The Debian mirror apt uses here (the machine may reach no other).
_apt_mirror() {
  apt-cache policy | awk '$3 ~ /^[a-z]+\/main$/ && $2 !~ /security/ {print $2; exit}'
}

# _build_bullseye DIR: Debian 11's glibc and the programs a case runs there: setpriv, env,
# umount, and newuidmap/newgidmap (setuid root). Unpacked only (no maintainer scripts), which
# takes a third of the time of an Essential install; the cases supply /etc/passwd and group.
_build_bullseye() {
  local mirror
  mirror=$(_apt_mirror)
  [ -n "$mirror" ] || fail "no Debian mirror in apt's sources"
  mmdebstrap --quiet --variant=extract --include=base-files,coreutils,util-linux,mount,uidmap \
    --mode=root bullseye "$1" "$mirror" >/dev/null || fail "mmdebstrap bullseye from $mirror failed"
  mkdir -p "$1/proc" "$1/sys" "$1/dev" "$1/tmp" "$1/mnt"
  # Mount points for the account files that cases bind over them.
  touch "$1/etc/passwd" "$1/etc/group" "$1/etc/subuid" "$1/etc/subgid"
}

bullseye_root() {
  if [ ! -x "$BULLSEYE/usr/bin/newuidmap" ]; then
    local tmp
    tmp=$(mktemp -d "${BULLSEYE%/*}/.cinit-bullseye.XXXXXX")
    _build_bullseye "$tmp/root"
    mv -T "$tmp/root" "$BULLSEYE" 2>/dev/null || true # a parallel builder won
    rm -rf "$tmp"
  fi
}

# in_bullseye CMD...: CMD as the test user with the Debian 11 root as its root (pivot_root:
# a chrooted process may not create user namespaces, unshare(2) EPERM). The root gets a fresh
# /proc, the host's /dev and /sys, a tmpfs /tmp holding $T at its own path, and the host's
# passwd/group entry of the test user and its sub-id ranges.
in_bullseye() {
  local r=$BULLSEYE
  { echo "root:x:0:0:root:/root:/bin/sh"; grep "^$TEST_USER:" /etc/passwd; } >"$T/passwd"
  { echo "root:x:0:"; grep "^$TEST_USER:" /etc/group; } >"$T/group"
  # shellcheck disable=SC2016
  unshare --mount --propagation private sh -c '
    r=$1 T=$2 uid=$3 gid=$4
    shift 4
    mount --bind "$r" "$r" &&
      mount -t proc proc "$r/proc" &&
      mount --rbind /dev "$r/dev" &&
      mount --rbind /sys "$r/sys" &&
      mount -t tmpfs tmpfs "$r/tmp" &&
      mkdir -p "$r$T" && mount --bind "$T" "$r$T" &&
      for f in passwd group; do mount --bind "$T/$f" "$r/etc/$f" || exit 99; done &&
      for f in subuid subgid; do mount --bind "/etc/$f" "$r/etc/$f" || exit 99; done &&
      cd "$r" && pivot_root . mnt && cd / && umount -l /mnt || exit 99
    exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$T/home" XDG_DATA_HOME="$T/data" \
      XDG_CONFIG_HOME="$T/config" setpriv --reuid="$uid" --regid="$gid" --clear-groups "$@"
  ' sh "$r" "$T" "$(id -u "$TEST_USER")" "$(id -g "$TEST_USER")" "$@"
}

test_run_inside_debian_11() {
  [ "$(id -u)" -eq 0 ] ||
    { echo "building and entering a Debian 11 root needs root: skipped"; return 0; }
  have_cinit || { echo "no cinit next to the launcher: skipped"; return 0; }
  [ -x "$BULLSEYE/usr/bin/newuidmap" ] || command -v mmdebstrap >/dev/null ||
    { echo "no mmdebstrap (scripts/deps.sh installs it): skipped"; return 0; }
  bullseye_root
  base_image
  mkdir -p "$T/home" "$T/data" "$T/config"
  own "$T/home" "$T/data" "$T/config"
  assert_contains "$(in_bullseye cat /etc/debian_version)" "11." "the root's Debian version"
  out=$(in_bullseye "$BIN/launcher" import "$T/base:latest" --name base 2>&1) ||
    fail "import inside Debian 11 failed: $out"
  out=$(in_bullseye "$BIN/launcher" run base -- id 2>&1)
  assert_eq 0 $? "run's status: $out"
  assert_contains "$out" "uid=0(root) gid=0" "id in the container"
  # Bullseye's own newuidmap mapped the sub-ids: the host's account files reached it.
  out=$(in_bullseye "$BIN/launcher" run --no-init base -- cat /proc/self/uid_map)
  sub=$(grep "^$TEST_USER:" /etc/subuid | cut -d: -f2)
  assert_eq "1 $sub" "$(echo "$out" | awk 'NR==2 {print $1, $2}')" "sub-id line of uid_map"
}

# A user that /etc/passwd does not know and the host's name service does, as LDAP and SSSD
# users are: here through libnss-extrausers (a real NSS module with its own passwd file), set
# up in a private mount namespace so that the host's own /etc stays as it is. Its sub-id
# ranges are listed by name only, so the launcher must learn the name from the host's getent
# for newuidmap to map them.
test_user_known_only_to_the_name_service() {
  [ "$(id -u)" -eq 0 ] || { echo "binding over /etc needs root: skipped"; return 0; }
  [ -e /usr/lib/libnss_extrausers.so.2 ] || [ -e /lib/x86_64-linux-gnu/libnss_extrausers.so.2 ] ||
    { echo "no libnss-extrausers: skipped"; return 0; }
  local uid=3999 name=cinit-nss
  while getent passwd "$uid" >/dev/null || getent group "$uid" >/dev/null; do uid=$((uid + 1)); done
  ! getent passwd "$name" >/dev/null || fail "$name exists on this host"
  mkdir -p "$T/nss/extrausers" "$T/nss/home" "$T/nss/data" "$T/nss/config"
  echo "$name:x:$uid:$uid::$T/nss/home:/bin/sh" >"$T/nss/extrausers/passwd"
  echo "$name:x:$uid:" >"$T/nss/extrausers/group"
  sed -E 's/^(passwd|group):.*/\1: files extrausers/' /etc/nsswitch.conf >"$T/nss/nsswitch.conf"
  { cat /etc/subuid; echo "$name:400000:65536"; } >"$T/nss/subuid"
  { cat /etc/subgid; echo "$name:400000:65536"; } >"$T/nss/subgid"
  base_image
  chown -R "$uid:$uid" "$T/nss/home" "$T/nss/data" "$T/nss/config" "$T/base"
  # shellcheck disable=SC2016
  as_nss_user() {
    unshare --mount --propagation private sh -c '
      n=$1 uid=$2
      shift 2
      mount --bind "$n/nsswitch.conf" /etc/nsswitch.conf &&
        mount --bind "$n/extrausers" /var/lib/extrausers &&
        mount --bind "$n/subuid" /etc/subuid && mount --bind "$n/subgid" /etc/subgid || exit 99
      exec setpriv --reuid="$uid" --regid="$uid" --clear-groups env -u LAUNCHER_CONFIG \
        HOME="$n/home" XDG_DATA_HOME="$n/data" XDG_CONFIG_HOME="$n/config" "$@"
    ' sh "$T/nss" "$uid" "$@"
  }
  # shellcheck disable=SC2016
  assert_eq "$name" "$(as_nss_user sh -c 'getent passwd "$(id -u)" | cut -d: -f1')" \
    "the host's getent knows the user"
  out=$(as_nss_user "$BIN/launcher" import "$T/base:latest" --name base 2>&1) ||
    fail "import failed: $out"
  assert_not_contains "$out" "no /etc/subuid" "import's warnings"
  out=$(as_nss_user "$BIN/launcher" run --no-init base -- cat /proc/self/uid_map 2>&1) ||
    fail "run failed: $out"
  assert_eq "0 $uid 1" "$(echo "$out" | awk 'NR==1 {print $1, $2, $3}')" "root maps to the user"
  assert_eq "1 400000 65536" "$(echo "$out" | awk 'NR==2 {print $1, $2, $3}')" \
    "1.. maps to the sub-ids listed under the user's name"
}
