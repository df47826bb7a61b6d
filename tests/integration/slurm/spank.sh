# The SPANK plugin on a real two-node cluster (tests/slurm/cluster.sh): `srun
# --container-image=IMG cmd` and `sbatch` run the task as `launcher run IMG -- cmd`, as the
# unprivileged test user. Each case starts a cluster of its own that loads the plugin.
# shellcheck shell=bash

source tests/integration/launcher/common.bash

MODES="user"

# spank_cluster [linuxproc|cgroup [PLUGIN ARGS...]]: the plugin and spank-run under $T/lib (the
# test user cannot reach the build tree), loaded by a fresh cluster in $T/cluster; the plugin
# runs $T/bin/launcher (../../bin/launcher from its own directory, as after `make install`).
# An image "base" whose /etc/os-release says ID=cinit-spank-test.
spank_cluster() {
  [ "$(id -u)" -eq 0 ] || skip "needs root to start a Slurm cluster"
  command -v slurmctld >/dev/null || skip "no slurmctld here (scripts/deps.sh installs Slurm)"
  [ -f "$BUILD/lib/cinit/spank_launcher.so" ] || skip "no SPANK plugin built (libslurm-dev)"
  mkdir -p "$T/lib" "$T/out" "$T/layer/etc"
  cp -a "$BUILD/lib/cinit" "$T/lib/"
  base_image
  printf 'ID=cinit-spank-test\n' >"$T/layer/etc/os-release"
  tar -C "$T/layer" -cf "$T/layer.tar" etc
  add_layer "$T/base" "$T/layer.tar"
  own "$T/out"
  launcher import "$T/base:latest" --name base >/dev/null || fail "import of base failed"
  printf 'required %s %s\n' "$T/lib/cinit/spank_launcher.so" "${*:2}" >"$T/plugstack.conf"
  # Whatever started is stopped, however the case ends; lib_teardown exits with the status it
  # finds in $?: the case's, not the stop's.
  trap '_rc=$?; tests/slurm/cluster.sh stop "$T/cluster"; (exit $_rc); lib_teardown' EXIT
  CLUSTER_PLUGSTACK=$T/plugstack.conf tests/slurm/cluster.sh start "$T/cluster" \
    "${1:-linuxproc}" || fail "the cluster did not start"
  # shellcheck source=/dev/null
  . "$T/cluster/cluster.env"
}

# job CMD ARGS...: a Slurm command as the cluster's user, with the launcher's store of this
# case, from $T/out; bounded.
job() {
  (cd "$T/out" && runuser -u "$CLUSTER_USER" -- env -u LAUNCHER_CONFIG SLURM_CONF="$SLURM_CONF" \
    HOME="$T/home" XDG_DATA_HOME="$T/data" XDG_CONFIG_HOME="$T/config" timeout -k 5 90 "$@")
}

test_spank_options_show_in_srun_and_sbatch_help() {
  spank_cluster
  local cmd out
  for cmd in srun sbatch; do
    out=$(job "$cmd" --help 2>&1)
    assert_contains "$out" "--container-image=IMAGE [launcher] run the task" "$cmd --help"
    assert_contains "$out" "--container-mounts=" "$cmd --help"
    assert_contains "$out" "--container-workdir=DIR" "$cmd --help"
  done
}

check_runs_inside_image() {
  spank_cluster "$1"
  local out rc
  out=$(job srun -N2 -n2 -l --container-image=base cat /etc/os-release 2>&1)
  rc=$?
  assert_eq 0 "$rc" "srun exit ($out)"
  assert_contains "$out" "0: ID=cinit-spank-test"
  assert_contains "$out" "1: ID=cinit-spank-test"
  # Without the option the same command reads the host's file.
  out=$(job srun -N1 -n1 cat /etc/os-release 2>&1)
  assert_not_contains "$out" "cinit-spank-test" "srun without --container-image"
  out=$(job srun -N1 -n1 --container-image=base sh -c 'exit 3' 2>&1)
  assert_eq 3 "$?" "exit status of the container's command ($out)"
}

test_spank_task_runs_inside_image_linuxproc() { check_runs_inside_image linuxproc; }
test_spank_task_runs_inside_image_cgroup() { check_runs_inside_image cgroup; }

test_spank_mounts_and_workdir_apply() {
  spank_cluster
  mkdir -p "$T/share/data" "$T/share/rw"
  echo from-host >"$T/share/data/file"
  own "$T/share"
  local out
  out=$(job srun -N1 -n1 --container-image=base \
    --container-mounts="$T/share/data:/data:ro,$T/share/rw:/rw" --container-workdir=/data \
    sh -c 'pwd; cat file; touch /data/new 2>/dev/null && echo wrote-ro; touch /rw/new && echo wrote-rw' \
    2>&1)
  assert_eq 0 "$?" "srun exit ($out)"
  assert_contains "$out" "/data
from-host"
  # Whole lines: cinit's "*** Running ..." line names both words too.
  ! grep -qx wrote-ro <<<"$out" || fail "wrote into a read-only mount: $out"
  grep -qx wrote-rw <<<"$out" || fail "could not write into a writable mount: $out"
  [ -e "$T/share/rw/new" ] || fail "the writable mount's file is not on the host"
}

test_spank_bad_values_fail_with_one_line() {
  spank_cluster
  local out rc
  # A name that is no registry reference (capitals): nothing is pulled, the launcher says why.
  out=$(job srun -N1 -n1 --container-image=No-Such-Image true 2>&1)
  rc=$?
  assert_eq 125 "$rc" "srun exit of a missing image ($out)"
  assert_eq 1 "$(grep -c 'No-Such-Image' <<<"$out")" "lines naming the image ($out)"
  assert_contains "$out" "launcher: fatal:"
  # A bad option stops srun before any job, with our line naming the option.
  out=$(job srun -N1 -n1 --container-image=base --container-mounts=relative:/x true 2>&1)
  rc=$?
  [ "$rc" -ne 0 ] || fail "srun accepted a relative mount: $out"
  assert_eq 1 "$(grep -c 'launcher: --container-mounts:' <<<"$out")" "our lines ($out)"
  out=$(job srun -N1 -n1 --container-image=base --container-workdir=tmp true 2>&1)
  [ $? -ne 0 ] || fail "srun accepted a relative workdir: $out"
  assert_contains "$out" "launcher: --container-workdir: 'tmp' is not an absolute path"
  # A path that is not there fails the task on the node with the launcher's line.
  out=$(job srun -N1 -n1 --container-image=./missing.tar true 2>&1)
  assert_eq 125 "$?" "srun exit of a missing archive ($out)"
  assert_contains "$out" "launcher: fatal: unable to find image './missing.tar'"
}

test_spank_sbatch_runs_script_inside_image() {
  # The launcher named in plugstack.conf, here the same one.
  spank_cluster linuxproc "launcher=$BIN/launcher"
  printf '#!/bin/sh\n#SBATCH --container-image=base\ncat /etc/os-release\nexit 4\n' \
    >"$T/out/job.sh"
  own "$T/out"
  local out
  out=$(job sbatch --wait -o "$T/out/job.out" "$T/out/job.sh" 2>&1)
  assert_eq 4 "$?" "sbatch --wait exit ($out)"
  assert_contains "$(cat "$T/out/job.out")" "ID=cinit-spank-test" "the job's output"
}

test_spank_archive_is_imported_once_per_node() {
  spank_cluster
  tar -C "$T/base" -cf "$T/out/base.tar" .
  own "$T/out"
  local out
  out=$(job srun -N2 -n4 -l --container-image=./base.tar cat /etc/os-release 2>&1)
  assert_eq 0 "$?" "srun exit ($out)"
  assert_eq 4 "$(grep -c ': ID=cinit-spank-test' <<<"$out")" "tasks inside the image ($out)"
  # The path went to `launcher run` as it is: both nodes share this host's store here, so
  # one image under the launcher's name for it (beside "base"), and a second job naming the
  # same file by its full path finds it there without reading the archive again, which the
  # job user no longer can.
  local images
  images=$(launcher images | grep -v '^NAME' | grep -vx "base$(printf '\t')[0-9]*")
  [[ $images == local/*/base$'\t'* ]] || fail "not the launcher's name for the archive: $images"
  assert_eq 1 "$(grep -c . <<<"$images")" "images from the archive: $images"
  chown root: "$T/out/base.tar" && chmod 600 "$T/out/base.tar"
  out=$(job srun -N1 -n1 --container-image="$T/out/base.tar" cat /etc/os-release 2>&1)
  assert_contains "$out" "ID=cinit-spank-test" "a second job"
  assert_eq "$images" "$(launcher images | grep '^local/')" "images after a second job"
}

# scancel: the task is the launcher, so the container dies with it, a double-forked process
# in it included, in the proctrack mode that tracks processes by their parents alone.
test_spank_scancel_leaves_no_process() {
  spank_cluster linuxproc
  local n=$((3000000 + RANDOM))
  job srun -N1 -n1 -J spank-cancel --container-image=base \
    sh -c "(sleep $n &); sleep $n" >"$T/out/srun.log" 2>&1 &
  sleeping() { [ "$(pgrep -c -f "^sleep $n\$")" = 2 ]; }
  wait_for sleeping || wait_for sleeping ||
    fail "the job's sleeps did not start: $(cat "$T/out/srun.log")"
  job scancel -n spank-cancel || fail "scancel failed"
  gone() { ! pgrep -f "^sleep $n\$" >/dev/null; }
  if ! wait_for gone && ! wait_for gone; then
    local left
    left=$(pgrep -f "^sleep $n\$")
    # shellcheck disable=SC2086 # the escaped processes, by pid
    kill -KILL $left 2>/dev/null
    fail "left after scancel: $left"
  fi
}
