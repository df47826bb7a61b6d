#!/usr/bin/env bash
# make test-packages: installs build/deb/*.deb (make deb) with dpkg into a clean Debian 12
# root and runs the installed programs there: cinit boots with a startup script, a service
# and the installed sv; an unprivileged user imports an image and runs it with the
# installed launcher, through newuidmap from the uidmap it depends on. Also checks the layout
# of `make install`.
# The root is a pivot_root, not a chroot: the kernel refuses new user namespaces in a chroot.
# The base root (mmdebstrap minbase + uidmap + busybox-static) is made once, from the host's
# apt sources, and cached as a tar in /tmp; each case unpacks a fresh copy.
# Needs root. Usage: tests/packages/run.sh [FILTER]. Last line: "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
DEB_DIR=$BUILD/deb
# Bump the suffix when the base's recipe changes.
BASE_TAR=${PACKAGES_BASE:-/tmp/cinit-packages-base-bookworm-v1.tar}
passed=0
failed=0

die() {
  echo "test-packages: fatal: $*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || die "needs root (dpkg into a root tree, pivot_root)"
debs=("$DEB_DIR"/cinit_*.deb "$DEB_DIR"/launcher_*.deb)
for d in "${debs[@]}"; do
  [ -f "$d" ] || die "no $d: run 'make deb' first"
done

if [ ! -f "$BASE_TAR" ]; then
  echo "test-packages: building the base root $BASE_TAR (once; a few minutes)" >&2
  # mmdebstrap picks the output format from the name: the partial file must end in .tar.
  partial=${BASE_TAR%.tar}.partial.tar
  mmdebstrap --quiet --variant=minbase --include=uidmap,busybox-static bookworm \
    "$partial" /etc/apt/sources.list.d/debian.sources ||
    { rm -f "$partial"; die "unable to build the base root with mmdebstrap"; }
  mv "$partial" "$BASE_TAR"
fi

# in_root CMD...: CMD as root in $R, pivoted into (own mount namespace; host pid/net).
in_root() {
  unshare --mount --propagation private sh -euc '
    R=$1; shift
    mount --bind "$R" "$R"
    mount -t proc proc "$R/proc"
    mount -t sysfs sysfs "$R/sys"
    mount --rbind /dev "$R/dev"
    mount -t tmpfs -o mode=1777 tmpfs "$R/dev/shm"
    mkdir -p "$R/.old"
    cd "$R"
    pivot_root . .old
    umount -l /.old
    rmdir /.old
    cd /
    exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
  ' sh "$R" "$@"
}

# fresh_root: $R, a new copy of the base with the packages installed by dpkg.
fresh_root() {
  R=$(mktemp -d /tmp/cinit-packages.XXXXXX)
  tar -xf "$BASE_TAR" -C "$R" || return 1
  mkdir -p "$R/tmp/debs"
  cp "${debs[@]}" "$R/tmp/debs/"
  local d inside=()
  for d in "${debs[@]}"; do inside+=("/tmp/debs/${d##*/}"); done
  # dpkg, not apt: the root must already hold every dependency (uidmap) or this fails.
  chroot "$R" dpkg -i "${inside[@]}" >"$R/tmp/dpkg.log" 2>&1 ||
    { cat "$R/tmp/dpkg.log"; return 1; }
}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

assert_eq() { [ "$1" = "$2" ] || fail "${3:-value}: expected [$1], got [$2]"; }
assert_contains() { [[ $1 == *"$2"* ]] || fail "${3:-output} does not contain [$2]: [$1]"; }

case_layout() {
  local f
  for f in /usr/sbin/cinit /usr/sbin/supervisor /usr/sbin/setuser /usr/sbin/envdir \
    /usr/bin/sv.cinit /usr/bin/launcher /etc/launcher/launcher.ini \
    /usr/share/man/man8/cinit.8.gz /usr/share/man/man8/supervisor.8.gz \
    /usr/share/man/man8/setuser.8.gz /usr/share/man/man8/envdir.8.gz \
    /usr/share/man/man8/sv.cinit.8.gz /usr/share/man/man1/launcher.1.gz; do
    [ -e "$R$f" ] || fail "$f is not installed"
  done
  # Images expect /sbin/cinit (as /sbin/my_init): merged /usr makes it the same file.
  in_root test -x /sbin/cinit || fail "/sbin/cinit is not there"
  # No runit in the root: our sv is the alternative for /usr/bin/sv, man page included.
  assert_eq /usr/bin/sv.cinit "$(in_root readlink -f /usr/bin/sv)" "/usr/bin/sv"
  assert_eq /usr/share/man/man8/sv.cinit.8.gz "$(in_root readlink -f /usr/share/man/man8/sv.8.gz)" \
    "sv.8.gz"
  local size info
  size=$(stat -c %s "$R/usr/sbin/cinit")
  [ "$size" -le 1000000 ] || fail "installed cinit is $size bytes, over 1 MB"
  info=$(file -L "$R/usr/sbin/cinit")
  assert_contains "$info" "statically linked" "file cinit"
  assert_contains "$info" ", stripped" "file cinit"
  assert_contains "$(dpkg-deb -f "$DEB_DIR"/launcher_*.deb Depends)" uidmap "launcher's Depends"
  assert_eq "cinit $(dpkg-deb -f "$DEB_DIR"/cinit_*.deb Version)" \
    "$(in_root cinit --version)" "cinit --version vs package version"
  grep -qx /etc/launcher/launcher.ini "$R/var/lib/dpkg/info/launcher.conffiles" ||
    fail "/etc/launcher/launcher.ini is not a conffile"
}

case_cinit_boots_from_the_packages() {
  mkdir -p "$R/etc/my_init.d" "$R/etc/service/hello"
  printf '#!/bin/sh\necho booted >/tmp/booted\n' >"$R/etc/my_init.d/10_mark"
  printf '#!/bin/sh\nexec sleep 1000\n' >"$R/etc/service/hello/run"
  chmod +x "$R/etc/my_init.d/10_mark" "$R/etc/service/hello/run"
  # cinit as PID 1 of its own pid namespace; the command waits (bounded: 30 s) until the
  # installed sv reports the service running, and its exit code comes back through cinit.
  local out rc
  out=$(in_root unshare --pid --fork --mount-proc /sbin/cinit --quiet -- sh -c '
    i=0
    until sv status hello | grep -q "^run:"; do
      i=$((i + 1)); [ $i -le 300 ] || { sv status hello; exit 3; }; sleep 0.1
    done
    sv status hello && cat /tmp/booted && exit 7' 2>&1)
  rc=$?
  assert_eq 7 "$rc" "cinit's exit code"
  assert_contains "$out" "run: hello: (pid"
  assert_contains "$out" "booted"
}

case_launcher_runs_an_image_from_the_packages() {
  # An unprivileged user with a sub-id range (newuidmap) and an image: busybox as a rootfs tar.
  chroot "$R" useradd --create-home tester || fail "useradd"
  echo "tester:200000:65536" >>"$R/etc/subuid"
  echo "tester:200000:65536" >>"$R/etc/subgid"
  mkdir -p "$R/tmp/img/bin"
  cp "$R/bin/busybox" "$R/tmp/img/bin/busybox"
  ln -s busybox "$R/tmp/img/bin/sh"
  ln -s busybox "$R/tmp/img/bin/cat"
  tar -C "$R/tmp/img" -cf "$R/tmp/img.tar" .
  local out rc
  out=$(in_root runuser -u tester -- env HOME=/home/tester \
    sh -c 'launcher import /tmp/img.tar --name img &&
      launcher run img -- sh -c "cat /proc/1/cmdline | tr \"\\0\" \" \"; echo; exit 9"' 2>&1)
  rc=$?
  assert_eq 9 "$rc" "launcher run's exit code (the command's)"
  # The image has no cinit: the launcher bound in the installed /usr/sbin/cinit as PID 1.
  assert_contains "$out" "/sbin/cinit --"
}

# Not a package, but the same layout: make install into an empty DESTDIR (no root needed).
case_make_install() {
  local d=$R/inst id
  make -s install BUILD="$BUILD" DESTDIR="$d" PREFIX=/usr/local >/dev/null || fail "make install"
  for f in sbin/cinit sbin/supervisor sbin/sv sbin/setuser sbin/envdir bin/launcher \
    share/man/man8/cinit.8 share/man/man8/sv.8 share/man/man1/launcher.1 \
    share/doc/cinit/launcher.ini.example; do
    [ -f "$d/usr/local/$f" ] || fail "make install: no PREFIX/$f"
  done
  assert_contains "$(file "$d/usr/local/sbin/cinit")" ", stripped" "installed cinit"
  [ "$(stat -c %s "$d/usr/local/sbin/cinit")" -le 1000000 ] || fail "installed cinit over 1 MB"
  id=$(readelf -n "$d/usr/local/sbin/cinit" | sed -n 's/.*Build ID: *//p')
  [ -f "$d/usr/local/lib/debug/.build-id/${id:0:2}/${id:2}.debug" ] ||
    fail "no debug file for build id $id"
  # A second install keeps the configuration an admin edited.
  echo "; edited" >>"$d/etc/launcher/launcher.ini"
  make -s install BUILD="$BUILD" DESTDIR="$d" PREFIX=/usr/local >/dev/null || fail "make install"
  assert_contains "$(cat "$d/etc/launcher/launcher.ini")" "; edited" "launcher.ini after reinstall"
}

for c in case_layout case_cinit_boots_from_the_packages case_launcher_runs_an_image_from_the_packages \
  case_make_install; do
  [ -n "${1:-}" ] && [[ $c != *"$1"* ]] && continue
  start=$SECONDS
  if [ "$c" = case_make_install ]; then
    R=$(mktemp -d /tmp/cinit-packages.XXXXXX)
  elif ! fresh_root; then
    echo "FAIL ${c#case_}: unable to install the packages into a fresh root"
    failed=$((failed + 1))
    rm -rf "$R"
    continue
  fi
  log=$(mktemp)
  (set -u; "$c") >"$log" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then
    passed=$((passed + 1))
    echo "ok   ${c#case_} ($((SECONDS - start))s)"
  else
    failed=$((failed + 1))
    echo "FAIL ${c#case_} ($((SECONDS - start))s)"
    sed 's/^/    | /' "$log" | tail -n 30
  fi
  rm -f "$log"
  rm -rf "$R"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
