#!/usr/bin/env bash
# The GPU check on real hardware (the CI tests use a fake host tree): imports a small image
# (static busybox, the host's glibc, and a CUDA probe), then checks from inside containers
# that `launcher run --gpus all` lists the host's GPUs with nvidia-smi, that CUDA initialises
# and counts them, and that `--gpus 0` (and a UUID) shows exactly one GPU.
# Exit: 0 pass, 1 fail, 77 skip (no NVIDIA GPU or driver on this machine).
# Usage: tests/gpu/real-gpu.sh   (BUILD=build by default; builds the launcher if missing)
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}

skip() {
  echo "real-gpu: skipped: $*"
  exit 77
}
fail() {
  echo "real-gpu: FAIL: $*" >&2
  exit 1
}
pass() { echo "real-gpu: ok: $*"; }

[ -r /proc/driver/nvidia/version ] || skip "no NVIDIA driver (/proc/driver/nvidia/version)"
[ -e /dev/nvidiactl ] || skip "no /dev/nvidiactl"
command -v nvidia-smi >/dev/null || skip "no nvidia-smi on the host"
host_list=$(nvidia-smi -L 2>&1) || skip "nvidia-smi -L fails on the host: $host_list"
host_count=$(grep -c '^GPU [0-9]' <<<"$host_list")
[ "$host_count" -ge 1 ] || skip "nvidia-smi lists no GPU"
host_names=$(nvidia-smi --query-gpu=name --format=csv,noheader)
host_uuid0=$(nvidia-smi --query-gpu=uuid --format=csv,noheader | head -n 1)
echo "real-gpu: host: $host_count GPU(s), driver $(nvidia-smi --query-gpu=driver_version \
  --format=csv,noheader | head -n 1)"

if [ ! -x "$BUILD/bin/launcher" ]; then
  make --no-print-directory BUILD="$BUILD" -j"$(nproc)" all >/dev/null ||
    fail "unable to build the launcher (make BUILD=$BUILD all)"
fi
LAUNCHER=$(cd "$BUILD/bin" && pwd)/launcher

W=$(mktemp -d /tmp/cinit-real-gpu.XXXXXX)
trap 'rm -rf "$W" 2>/dev/null' EXIT
chmod 755 "$W"
launcher() {
  env HOME="$W/home" XDG_DATA_HOME="$W/data" XDG_CONFIG_HOME="$W/config" "$LAUNCHER" "$@"
}

# --- The image: a rootfs dir (the launcher imports those directly) ----------------------
R=$W/rootfs
mkdir -p "$R/bin" "$R/sbin" "$R/etc/ld.so.conf.d" "$R/tmp" "$R/root" "$R/usr/local/bin"
chmod 1777 "$R/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$R/etc/passwd"
printf 'root:x:0:\n' >"$R/etc/group"
have_sh=0
if busybox=$(command -v busybox) && file -L "$busybox" | grep -q 'statically linked'; then
  cp "$busybox" "$R/bin/busybox"
  for a in sh ls cat grep echo wc head tr; do ln -s busybox "$R/bin/$a"; done
  have_sh=1
else
  echo "real-gpu: note: no static busybox: shell checks inside are skipped"
fi

# The probe: dlopen("libcuda.so.1") + cuInit + cuDeviceGetCount/GetName, and a listing of
# /dev/nvidia*, so that no shell is needed for the essential checks. Built dynamically with
# the host's gcc: libcuda itself needs glibc in the image (so do nvidia-smi and a statically
# linked program's dlopen, which also needs the very glibc it was linked with), so the
# host's glibc goes into the image next to it.
have_probe=0
if command -v gcc >/dev/null; then
  cat >"$W/probe.c" <<'EOF'
#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*init_fn)(unsigned);
typedef int (*count_fn)(int*);
typedef int (*get_fn)(int*, int);
typedef int (*name_fn)(char*, int, int);

static int by_name(const struct dirent** a, const struct dirent** b) {
  return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "devs") == 0) {
    struct dirent** list;
    int n = scandir("/dev", &list, NULL, by_name);
    for (int i = 0; i < n; i++)
      if (strncmp(list[i]->d_name, "nvidia", 6) == 0)
        printf("%s\n", list[i]->d_name);
    return n < 0;
  }
  void* h = dlopen("libcuda.so.1", RTLD_NOW);
  if (h == NULL) {
    printf("dlopen libcuda.so.1 failed: %s\n", dlerror());
    return 2;
  }
  init_fn cu_init = (init_fn)dlsym(h, "cuInit");
  count_fn cu_count = (count_fn)dlsym(h, "cuDeviceGetCount");
  get_fn cu_get = (get_fn)dlsym(h, "cuDeviceGet");
  name_fn cu_name = (name_fn)dlsym(h, "cuDeviceGetName");
  if (!cu_init || !cu_count || !cu_get || !cu_name) {
    printf("libcuda lacks a symbol\n");
    return 3;
  }
  int rc = cu_init(0);
  if (rc != 0) {
    printf("cuInit failed: %d\n", rc);
    return 4;
  }
  int count = -1;
  if (cu_count(&count) != 0)
    return 5;
  printf("cuda devices: %d\n", count);
  for (int i = 0; i < count; i++) {
    int dev;
    char name[256] = "";
    if (cu_get(&dev, i) == 0 && cu_name(name, sizeof name, dev) == 0)
      printf("cuda device %d: %s\n", i, name);
  }
  return 0;
}
EOF
  if gcc -O2 -o "$R/usr/local/bin/cuda-probe" "$W/probe.c" -ldl 2>"$W/gcc.log"; then
    have_probe=1
  else
    echo "real-gpu: note: the probe did not build: $(head -n 3 "$W/gcc.log")"
  fi
else
  echo "real-gpu: note: no gcc: the CUDA probe is skipped"
fi

# The host's glibc (and what nvidia-smi and the probe link against, minus NVIDIA's own
# libraries, which the launcher binds), at the paths the host keeps them.
copy_deps() {
  ldd "$1" 2>/dev/null | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i}' |
    while read -r lib; do
      case $(basename "$lib") in libnvidia* | libcuda*) continue ;; esac
      [ -e "$R$lib" ] && continue
      mkdir -p "$R$(dirname "$lib")"
      cp -L "$lib" "$R$lib"
      dirname "$lib" >>"$W/libdirs"
    done
}
: >"$W/libdirs"
copy_deps "$(command -v nvidia-smi)"
[ "$have_probe" = 1 ] && copy_deps "$R/usr/local/bin/cuda-probe"
# libcuda and libnvidia-ml still name libm, libdl, librt, libpthread as DT_NEEDED.
for so in libcuda.so.1 libnvidia-ml.so.1; do
  lib=$(/sbin/ldconfig -p | awk -v so="$so" '$1 == so && /x86-64|AArch64/ {print $NF; exit}')
  [ -n "$lib" ] && copy_deps "$lib"
done
# The image's ldconfig (Debian's is static; Ubuntu's is a script calling ldconfig.real).
for f in /sbin/ldconfig /sbin/ldconfig.real; do
  [ -f "$f" ] && cp -L "$f" "$R$f" && copy_deps "$f"
done
{
  echo "include /etc/ld.so.conf.d/*.conf"
  sort -u "$W/libdirs"
} >"$R/etc/ld.so.conf"

launcher import "$R" --name realgpu >/dev/null || fail "launcher import of $R failed"

# --- The checks -----------------------------------------------------------------------
PATHS=PATH=/usr/local/bin:/usr/bin:/usr/sbin:/bin:/sbin

out=$(launcher run --no-init --gpus all -e "$PATHS" realgpu -- nvidia-smi -L 2>&1) ||
  fail "--gpus all: nvidia-smi -L failed: $out"
[ "$(grep -c '^GPU [0-9]' <<<"$out")" = "$host_count" ] ||
  fail "--gpus all: expected $host_count GPUs, got: $out"
for uuid in $(grep -o 'GPU-[0-9a-f-]*' <<<"$host_list"); do
  grep -q "$uuid" <<<"$out" || fail "--gpus all: $uuid missing: $out"
done
pass "--gpus all: nvidia-smi -L lists the host's $host_count GPU(s)"

# With cinit as PID 1 this time (when the launcher has one to inject).
out=$(launcher run --gpus all -e "$PATHS" realgpu -- \
  nvidia-smi --query-gpu=name --format=csv,noheader 2>&1) ||
  fail "--gpus all: nvidia-smi --query-gpu failed: $out"
grep -qxF "$(head -n 1 <<<"$host_names")" <<<"$out" ||
  fail "--gpus all: query-gpu gave [$out], host has [$host_names]"
pass "--gpus all: nvidia-smi --query-gpu=name matches the host"

if [ "$have_probe" = 1 ]; then
  out=$(launcher run --no-init --gpus all -e "$PATHS" realgpu -- cuda-probe 2>&1) ||
    fail "--gpus all: CUDA probe failed: $out"
  grep -qx "cuda devices: $host_count" <<<"$out" || fail "--gpus all: CUDA probe: $out"
  pass "--gpus all: cuInit works and cuDeviceGetCount = $host_count"
fi

for sel in 0 "$host_uuid0"; do
  out=$(launcher run --no-init --gpus "$sel" -e "$PATHS" realgpu -- nvidia-smi -L 2>&1) ||
    fail "--gpus $sel: nvidia-smi -L failed: $out"
  [ "$(grep -c '^GPU [0-9]' <<<"$out")" = 1 ] || fail "--gpus $sel: expected one GPU, got: $out"
  grep -q "$host_uuid0" <<<"$out" || fail "--gpus $sel: not the host's GPU 0: $out"
  if [ "$have_probe" = 1 ]; then
    out=$(launcher run --no-init --gpus "$sel" -e "$PATHS" realgpu -- cuda-probe 2>&1) ||
      fail "--gpus $sel: CUDA probe failed: $out"
    grep -qx "cuda devices: 1" <<<"$out" || fail "--gpus $sel: CUDA sees: $out"
    devs=$(launcher run --no-init --gpus "$sel" realgpu -- cuda-probe devs 2>&1)
    [ "$(grep -c '^nvidia[0-9][0-9]*$' <<<"$devs")" = 1 ] ||
      fail "--gpus $sel: device nodes: $devs"
  fi
  if [ "$host_count" -gt 1 ]; then
    pass "--gpus $sel: only GPU 0 of $host_count is visible"
  else
    pass "--gpus $sel: GPU 0 is visible (one GPU here: hiding others is not shown)"
  fi
done

if [ "$have_sh" = 1 ]; then
  out=$(launcher run --no-init --gpus all -e "$PATHS" realgpu -- \
    sh -c 'ldconfig -p 2>/dev/null | grep -c "libcuda.so.1 .*/usr/local/nvidia/lib64"; echo "[$LD_LIBRARY_PATH]"; ls /proc/driver/nvidia/gpus | wc -l' 2>&1) ||
    fail "linker check failed: $out"
  pass "inside: libcuda.so.1 in ldconfig -p: $(sed -n 1p <<<"$out"), LD_LIBRARY_PATH $(sed -n 2p <<<"$out"), /proc/driver/nvidia/gpus entries: $(sed -n 3p <<<"$out")"
  out=$(launcher run --no-init --gpus 0 realgpu -- sh -c 'ls /proc/driver/nvidia/gpus | wc -l')
  [ "$out" = 1 ] || fail "--gpus 0: /proc/driver/nvidia/gpus shows $out entries"
fi

out=$(launcher run --no-init -e NVIDIA_VISIBLE_DEVICES=void realgpu -- cuda-probe devs 2>&1)
[ "$have_probe" = 0 ] || [ -z "$out" ] || fail "NVIDIA_VISIBLE_DEVICES=void: devices inside: $out"
echo "real-gpu: all checks passed"
