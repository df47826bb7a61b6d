# launcher run --gpus / NVIDIA_VISIBLE_DEVICES against a fake host tree ($LAUNCHER_HOST_ROOT):
# fake device files (regular files: a bind of one behaves as a bind of a node for these
# checks), real ELF driver libraries in a real ld.so.cache, a fake nvidia-smi. What is checked
# is what the container sees.
source tests/integration/launcher/common.bash

VER=550.54.14
UUID0=GPU-11111111-2222-3333-4444-555555555555
UUID1=GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee

# fake_host: $H, a host with two GPUs (index 0 = bus 0000:3b = minor 1, index 1 = minor 0).
fake_host() {
  H=$T/host
  local lib=$H/usr/lib/x86_64-linux-gnu d
  mkdir -p "$H/proc/driver/nvidia/gpus" "$H/dev/nvidia-caps" "$lib" "$H/usr/bin" "$H/etc" \
    "$H/lib/firmware/nvidia/$VER"
  echo "NVRM version: NVIDIA UNIX x86_64 Kernel Module  $VER  Thu Feb 22 01:44:30 UTC 2024" \
    >"$H/proc/driver/nvidia/version"
  _gpu 0000:3b:00.0 1 "$UUID0"
  _gpu 0000:af:00.0 0 "$UUID1"
  for d in nvidiactl nvidia0 nvidia1 nvidia-uvm nvidia-uvm-tools nvidia-modeset \
    nvidia-caps/nvidia-cap1; do
    echo "device $d" >"$H/dev/$d"
    chmod 666 "$H/dev/$d"
  done
  echo 'int f(void) { return 1; }' >"$T/f.c"
  gcc -c -fPIC -o "$T/f.o" "$T/f.c" || fail "gcc failed"
  local so
  for so in libcuda.so.1 libnvidia-ml.so.1 libnvidia-ptxjitcompiler.so.1 libnvidia-encode.so.1 \
    libGLX_nvidia.so.0; do
    gcc -shared -o "$lib/${so%.so.*}.so.$VER" "-Wl,-soname,$so" "$T/f.o" || fail "link failed"
  done
  echo "/usr/lib/x86_64-linux-gnu" >"$H/etc/ld.so.conf"
  ldconfig -r "$H" || fail "ldconfig -r failed"
  printf '#!/bin/sh\necho fake nvidia-smi: $(ls /dev/nvidia[0-9]*)\n' >"$H/usr/bin/nvidia-smi"
  chmod 755 "$H/usr/bin/nvidia-smi"
  echo fw >"$H/lib/firmware/nvidia/$VER/gsp.bin"
  own "$H"
  LAUNCHER_ENV="LAUNCHER_HOST_ROOT=$H"
}

_gpu() {
  mkdir -p "$H/proc/driver/nvidia/gpus/$1"
  printf 'Model: \t\t NVIDIA Fake\nGPU UUID: \t %s\nDevice Minor: \t %s\nBus Location: \t %s\n' \
    "$3" "$2" "$1" >"$H/proc/driver/nvidia/gpus/$1/information"
}

# gpu_image: the base image plus Debian's static ldconfig and an ld.so.conf (as "gpu").
gpu_image() {
  base_image
  pytar "$T/ldconfig.tar" '
d("sbin")
f("sbin/ldconfig", open("/sbin/ldconfig", "rb").read(), mode=0o755)
d("etc/ld.so.conf.d")
f("etc/ld.so.conf", b"include /etc/ld.so.conf.d/*.conf\n")'
  add_layer "$T/base" "$T/ldconfig.tar"
  launcher import "$T/base:latest" --name gpu >/dev/null || fail "import failed"
}

devs='cd /dev && echo $(ls -d nvidia* nvidia-caps/* 2>/dev/null)'

test_gpus_all_devices_libraries_binaries() {
  fake_host
  gpu_image
  out=$(launcher run --no-init --gpus all -e PATH=/usr/bin:/sbin:/bin gpu -- sh -c "$devs"'
    ldconfig -p | grep /usr/local/nvidia/ | sed "s/^[[:space:]]*//"
    readlink /usr/local/nvidia/lib64/libcuda.so
    nvidia-smi
    cat /lib/firmware/nvidia/'$VER'/gsp.bin
    touch /usr/local/nvidia/lib64/x 2>/dev/null || echo libs-ro') || fail "run failed: $out"
  assert_contains "$out" "nvidia-caps nvidia-caps/nvidia-cap1 nvidia-uvm nvidia-uvm-tools nvidia0 nvidia1 nvidiactl"
  assert_not_contains "$out" "nvidia-modeset"
  assert_contains "$out" "libcuda.so.1 (libc6,x86-64) => /usr/local/nvidia/lib64/libcuda.so.1"
  assert_contains "$out" "libnvidia-ml.so.1 (libc6,x86-64) => /usr/local/nvidia/lib64/libnvidia-ml.so.1"
  assert_not_contains "$out" "libnvidia-encode"
  assert_contains "$out" "libcuda.so.1
fake nvidia-smi: /dev/nvidia0 /dev/nvidia1
fw
libs-ro"
}

test_gpus_index_and_uuid_select_devices() {
  fake_host
  import_base
  # Index 0 is the first GPU in PCI order, whose node is /dev/nvidia1.
  assert_eq "nvidia-caps nvidia-caps/nvidia-cap1 nvidia-uvm nvidia-uvm-tools nvidia1 nvidiactl" \
    "$(launcher run --no-init --gpus 0 base -- sh -c "$devs")" "--gpus 0"
  assert_eq "nvidia-caps nvidia-caps/nvidia-cap1 nvidia-uvm nvidia-uvm-tools nvidia0 nvidiactl" \
    "$(launcher run --no-init --gpus "$UUID1" base -- sh -c "$devs")" "--gpus UUID"
  assert_eq "nvidia-caps nvidia-caps/nvidia-cap1 nvidia-uvm nvidia-uvm-tools nvidia0 nvidia1 nvidiactl" \
    "$(launcher run --no-init --gpus "1,$UUID0" base -- sh -c "$devs")" "--gpus 1,UUID"
}

test_nvidia_visible_devices_from_env() {
  fake_host
  import_base
  assert_eq "" "$(launcher run --no-init base -- sh -c "$devs")" "unset"
  assert_eq "" "$(launcher run --no-init -e NVIDIA_VISIBLE_DEVICES=void base -- sh -c "$devs")" \
    "void"
  assert_eq "nvidia-caps nvidia-caps/nvidia-cap1 nvidia-uvm nvidia-uvm-tools nvidia0 nvidiactl" \
    "$(launcher run --no-init -e NVIDIA_VISIBLE_DEVICES=1 base -- sh -c "$devs")" "index 1"
  out=$(launcher run --no-init -e NVIDIA_VISIBLE_DEVICES=none base -- sh -c \
    "$devs; ls /usr/local/nvidia/lib64") || fail "none failed: $out"
  assert_eq "
libcuda.so
libcuda.so.1
libcuda.so.$VER
libnvidia-ml.so.1
libnvidia-ml.so.$VER
libnvidia-ptxjitcompiler.so.1
libnvidia-ptxjitcompiler.so.$VER" "$out" "none: libraries, no device"
  # --gpus wins over the env: none means no GPU at all.
  assert_eq "
1" "$(launcher run --no-init --gpus none -e NVIDIA_VISIBLE_DEVICES=all base -- \
    sh -c "$devs; ls /usr/local/nvidia 2>&1 | grep -c 'No such'")" "--gpus none"
}

test_driver_capabilities_from_env() {
  fake_host
  gpu_image
  out=$(launcher run --no-init --gpus 1 -e NVIDIA_DRIVER_CAPABILITIES=display,video \
    -e PATH=/sbin:/bin gpu -- sh -c \
    "$devs; ldconfig -p | grep -c /usr/local/nvidia/; ls /usr/local/nvidia/lib64") ||
    fail "run failed: $out"
  assert_contains "$out" "nvidia-caps nvidia-caps/nvidia-cap1 nvidia-modeset nvidia0 nvidiactl
1
libnvidia-encode.so.1"
  assert_not_contains "$out" "libcuda"
  out=$(launcher run --no-init --gpus 1 -e NVIDIA_DRIVER_CAPABILITIES=all gpu -- sh -c \
    "$devs; ls /usr/local/nvidia/lib64 | grep -c '\.so\.$VER'") || fail "all failed: $out"
  assert_eq "nvidia-caps nvidia-caps/nvidia-cap1 nvidia-modeset nvidia-uvm nvidia-uvm-tools nvidia0 nvidiactl
5" "$out" "capabilities all"
}

test_image_without_ldconfig_gets_ld_library_path() {
  fake_host
  import_base
  out=$(launcher run --no-init --gpus all -e LD_LIBRARY_PATH=/opt/lib base -- sh -c \
    'echo $LD_LIBRARY_PATH; readlink /usr/local/nvidia/lib64/libcuda.so.1') ||
    fail "run failed: $out"
  assert_eq "/usr/local/nvidia/lib64:/opt/lib
libcuda.so.$VER" "$out"
}

# The image's ldconfig is untrusted: it must run only once the host's tree is out of reach,
# also when only the image's environment asks for GPUs. PID 1's root (/proc/1/root) was the
# host's while it ran before pivot_root.
test_image_ldconfig_runs_after_pivot_root() {
  fake_host
  base_image
  echo host-secret >"$T/host-marker"
  pytar "$T/ldconfig.tar" '
d("sbin")
f("sbin/ldconfig", b"""#!/bin/sh
{ test -e /proc/1/root'"$T"'/host-marker && echo host-visible || echo host-hidden
  test -e /proc/1/root/usr/local/nvidia/lib64 && echo pivoted || echo not-pivoted
} >/etc/ldconfig-saw
""", mode=0o755)'
  add_layer "$T/base" "$T/ldconfig.tar"
  launcher import "$T/base:latest" --name evil >/dev/null || fail "import failed"
  out=$(launcher run --no-init -e NVIDIA_VISIBLE_DEVICES=all evil -- sh -c \
    'cat /etc/ldconfig-saw; echo "LDLP=$LD_LIBRARY_PATH"' 2>&1) || fail "run failed: $out"
  assert_eq "host-hidden
pivoted
LDLP=" "$out"
  # A failing ldconfig (after the root change): LD_LIBRARY_PATH instead, with a warning.
  pytar "$T/ldconfig2.tar" 'f("sbin/ldconfig", b"#!/bin/sh\nexit 3\n", mode=0o755)'
  add_layer "$T/base" "$T/ldconfig2.tar"
  launcher import "$T/base:latest" --name failing >/dev/null || fail "import failed"
  out=$(launcher run --no-init --gpus all failing -- sh -c 'echo "LDLP=$LD_LIBRARY_PATH"' 2>&1) ||
    fail "run failed: $out"
  assert_contains "$out" "ldconfig failed (status 3): falling back to LD_LIBRARY_PATH"
  assert_contains "$out" "LDLP=/usr/local/nvidia/lib64"
}

test_gpu_errors_exit_125_before_running() {
  fake_host
  import_base
  out=$(launcher run --no-init --gpus 2 base -- touch /tmp/ran 2>&1)
  assert_eq 125 $? "unknown index"
  assert_contains "$out" "launcher: fatal: --gpus 2: unknown GPU '2' (the host has 0-1)"
  out=$(launcher run --no-init --gpus GPU-nope base -- true 2>&1)
  assert_eq 125 $? "unknown UUID"
  assert_contains "$out" "unknown GPU 'GPU-nope'"
  out=$(launcher run --no-init --gpus all -e NVIDIA_DRIVER_CAPABILITIES=bogus base -- true 2>&1)
  assert_eq 125 $? "unknown capability"
  mkdir -p "$T/empty"
  out=$(LAUNCHER_ENV="LAUNCHER_HOST_ROOT=$T/empty" launcher run --no-init --gpus all base -- true 2>&1)
  assert_eq 125 $? "no driver"
  assert_eq "launcher: fatal: --gpus all: no NVIDIA driver found (no $T/empty/proc/driver/nvidia/version)" \
    "$out"
  # The image alone asking for GPUs on a host without a driver: a warning, and it runs.
  out=$(LAUNCHER_ENV="LAUNCHER_HOST_ROOT=$T/empty" launcher run --no-init \
    -e NVIDIA_VISIBLE_DEVICES=all base -- echo ran 2>&1) || fail "env-only request failed: $out"
  assert_contains "$out" "running without GPU"
  assert_contains "$out" "ran"
}

# A node readable by group video only: usable inside when the user is in video on the host,
# with cinit as PID 1 too (neither the launcher nor cinit may call setgroups()).
test_video_group_node_usable_through_supplementary_groups() {
  [ "$(id -u)" -eq 0 ] || skip "needs root to add the test user to video"
  have_cinit || skip "no cinit next to the launcher"
  fake_host
  import_base
  chown root:video "$H/dev/nvidia0"
  chmod 0660 "$H/dev/nvidia0"
  run_as() { # GROUPS ARGS...
    local g=$1
    shift
    runuser -u "$TEST_USER" -g "$TEST_USER" $g -- env HOME="$T/home" XDG_DATA_HOME="$T/data" \
      XDG_CONFIG_HOME="$T/config" LAUNCHER_HOST_ROOT="$H" "$BIN/launcher" run "$@"
  }
  out=$(run_as "-G video" --gpus 1 base -- cat /dev/nvidia0 2>&1) || fail "with video: $out"
  assert_contains "$out" "device nvidia0"
  out=$(run_as "" --gpus 1 base -- cat /dev/nvidia0 2>&1) && fail "readable without video: $out"
  assert_contains "$out" "Permission denied"
  # Also as a non-root image user: its groups are not set, so the host's video group stays.
  out=$(run_as "-G video" --gpus 1 -u user base -- sh -c 'id -u; cat /dev/nvidia0' 2>&1) ||
    fail "image user with video: $out"
  assert_contains "$out" "1000"
  assert_contains "$out" "device nvidia0"
  assert_contains "$out" "keeping the host's supplementary groups"
}

# `gpus =` in the configuration is the default for --gpus, applied at `launcher run`.
test_config_gpus_default_applies_at_run() {
  fake_host
  import_base
  mkdir -p "$T/config/launcher"
  printf '[launcher]\ngpus = 1\n' >"$T/config/launcher/launcher.ini"
  own "$T/config"
  assert_eq "nvidia-caps nvidia-caps/nvidia-cap1 nvidia-uvm nvidia-uvm-tools nvidia0 nvidiactl" \
    "$(launcher run --no-init base -- sh -c "$devs")" "gpus = 1 from the file"
  assert_eq "" "$(launcher run --no-init --gpus none base -- sh -c "$devs")" "--gpus none wins"
}
