#!/usr/bin/env bash
# Installs what building and testing cinit needs on Debian 12, and the unprivileged test
# user with sub-id ranges. Idempotent: a second run only checks. Needs root to install;
# without root it names what is missing and goes on.
set -eu

packages=(
  build-essential file                     # g++ 12, make; `file` checks static linking
  scdoc                                    # man pages
  dpkg-dev debhelper lintian mmdebstrap git # make deb, make test-packages
  libboost-dev libboost-filesystem-dev     # Boost.Process for the launcher's helpers
  nlohmann-json3-dev libinih-dev libarchive-dev catch2
  libcurl4-openssl-dev libssl-dev libnghttp2-dev libssh2-1-dev libbrotli-dev \
  libidn2-dev libpsl-dev                   # launcher pull (HTTPS), linked statically
  docker-registry skopeo apache2-utils openssl python3 # a local registry for the pull tests
  zlib1g-dev libbz2-dev liblzma-dev libzstd-dev libacl1-dev # libarchive, linked statically
  clang libclang-rt-14-dev clang-format    # libFuzzer targets; make format-check
  uidmap util-linux iproute2 procps psmisc # newuidmap/newgidmap, unshare, ip, ps
  strace                                   # make chaos: SIGKILL at a chosen system call
  busybox-static umoci crun jq             # test images, OCI fixtures, OCI runtime
  tini dumb-init catatonit runit bubblewrap charliecloud-runtime hyperfine # peers, bench
  podman                                   # bench: pull peer; import tests: podman save
  mmdebstrap libnss-extrausers             # a Debian 11 root; a user only NSS knows
  slurmctld slurmd slurm-client munge libslurm-dev # a local cluster (tests/slurm/cluster.sh); the SPANK plugin
  inotify-tools                            # counts a store's imports (tests/integration/slurm/)
)
missing=()
for p in "${packages[@]}"; do
  # dpkg-query prints nothing (and fails) for a package it has never heard of.
  dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "deps: warning: missing packages (run as root to install): ${missing[*]}" >&2
  else
    echo "deps: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# The unprivileged user that tests and the demo run as, with sub-id ranges for newuidmap.
if [ "$(id -u)" -eq 0 ]; then
  user=cinit-test
  if ! getent passwd "$user" >/dev/null; then
    useradd --create-home --shell /bin/bash --comment "cinit tests" "$user"
  fi
  for f in /etc/subuid /etc/subgid; do
    touch "$f"
    grep -q "^$user:" "$f" || echo "$user:300000:65536" >>"$f"
  done
fi
