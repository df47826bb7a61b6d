# `srun launcher run` on a real two-node cluster (tests/slurm/cluster.sh), started once per file
# (file_setup) in the proctrack mode the file sets in $PROCTRACK. Jobs run as the test user,
# with the case's own launcher home and store; the fake GPUs are the cluster's (Slurm's
# positions 0..3 on the GPU node are minors 2..5). Sourced by linuxproc.sh and cgroup.sh.
# shellcheck shell=bash
source tests/integration/launcher/common.bash

MODES="user"

file_setup() {
  [ "$(id -u)" -eq 0 ] || skip "needs root to start a Slurm cluster"
  command -v slurmctld >/dev/null || skip "no slurmctld here (scripts/deps.sh installs Slurm)"
  tests/slurm/cluster.sh start "$FILE_T/cluster" "$PROCTRACK"
}

file_teardown() {
  tests/slurm/cluster.sh stop "$FILE_T/cluster"
}

# job CMD...: CMD (srun, sbatch, scancel, squeue...) as the cluster's user, against the cluster,
# with the case's launcher home, store and fake GPU host; bounded.
job() {
  # shellcheck source=/dev/null
  . "$FILE_T/cluster/cluster.env"
  runuser -u "$CLUSTER_USER" -- env -u LAUNCHER_CONFIG SLURM_CONF="$SLURM_CONF" HOME="$T/home" \
    XDG_DATA_HOME="$T/data" XDG_CONFIG_HOME="$T/config" LAUNCHER_HOST_ROOT="$CLUSTER_HOST_ROOT" \
    PATH="$BIN:/usr/bin:/bin" timeout -k 5 90 "$@"
}

cluster() {
  # shellcheck source=/dev/null
  . "$FILE_T/cluster/cluster.env"
}

# job_id NAME: the id of the case's job called NAME (squeue), once it is running.
job_id() {
  job squeue -h -t R -n "$1" -o %i 2>/dev/null | head -n1
}

# gone PATTERN: no process whose command line matches PATTERN (pgrep -f) is left.
gone() { ! pgrep -f -- "$1" >/dev/null; }

test_tasks_rank_themselves() {
  import_base
  cluster
  out=$(OMPI_MCA_cinit=4 PMI_TEST=p job srun -N2 --ntasks-per-node=2 -l \
    launcher run base -- sh -c 'echo $SLURM_PROCID/$SLURM_NTASKS $SLURMD_NODENAME $OMPI_MCA_cinit$PMI_TEST $FROM_IMAGE') ||
    fail "srun failed: $out"
  ranks=$(echo "$out" | awk '{print $2}' | sort | tr '\n' ' ')
  assert_eq "0/4 1/4 2/4 3/4 " "$ranks" "ranks"
  # srun -l labels each line with the task's rank: stdout stays the task's own.
  for r in 0 1 2 3; do
    assert_contains "$out" "$r: $r/4"
  done
  assert_eq 2 "$(grep -c " $CLUSTER_GPU_NODE 4p yes$" <<<"$out")" "tasks on $CLUSTER_GPU_NODE"
  assert_eq 2 "$(grep -c " $CLUSTER_OTHER_NODE 4p yes$" <<<"$out")" "tasks on $CLUSTER_OTHER_NODE"
}

test_pmi2_socket_reaches_the_command() {
  import_base
  # slurmstepd's PMI-2 socket is an inherited fd named by PMI_FD: open in the command, past
  # the launcher and cinit, so that an MPI library in the image can wire up.
  out=$(job srun --mpi=pmi2 -n2 -l launcher run base -- \
    sh -c 'echo rank=$PMI_RANK/$PMI_SIZE fd=$(readlink /proc/self/fd/$PMI_FD)') ||
    fail "srun failed: $out"
  for r in 0 1; do
    [[ $out =~ $r:\ rank=$r/2\ fd=socket:\[ ]] || fail "task $r has no PMI socket: $out"
  done
}

test_exit_code_reaches_srun() {
  import_base
  job srun launcher run base -- sh -c 'exit 3' 2>/dev/null
  assert_eq 3 $? "srun's status"
  job srun -N2 -n2 launcher run base -- sh -c '[ "$SLURM_PROCID" = 1 ] && exit 5; exit 0' \
    2>/dev/null
  assert_eq 5 $? "srun's status when task 1 fails"
  job srun launcher run base -- true || fail "true failed"
}

test_signals_reach_the_command() {
  import_base
  job srun -J "sig$$" launcher run base -- sh -c '
    for s in INT USR1 USR2 CONT; do trap "echo got $s" $s; done
    trap "echo got TERM; exit 0" TERM
    echo ready
    while :; do sleep 0.1; done' >"$T/out" 2>"$T/err" &
  srun_pid=$!
  wait_for grep -q ready "$T/out" || fail "the command did not start: $(cat "$T/out" "$T/err")"
  id=$(job_id "sig$$")
  [ -n "$id" ] || fail "no running job sig$$"
  for s in INT USR1 USR2 CONT; do
    job scancel -s "$s" "$id" || fail "scancel -s $s failed"
    wait_for grep -q "got $s" "$T/out" || fail "$s did not reach the command: $(cat "$T/out")"
  done
  job scancel -s TERM "$id"
  wait_for grep -q "got TERM" "$T/out" || fail "TERM did not reach the command: $(cat "$T/out")"
  wait "$srun_pid"
  rc=$?
  assert_eq 0 "$rc" "srun's status after the command's TERM trap exited 0"
}

test_scancel_leaves_no_process() {
  import_base
  cluster
  # Durations unique to this case: the sleeps are how its processes are found on the host.
  a=$((70000 + RANDOM)) b=$((70000 + RANDOM)) c=$((70000 + RANDOM))
  job srun -J "kill$$" launcher run base -- sh -c "
    (sleep $a &)
    setsid sh -c 'sleep $b &'
    echo ready
    exec sleep $c" >"$T/out" 2>&1 &
  wait_for grep -q ready "$T/out" || fail "the command did not start: $(cat "$T/out")"
  wait_for bash -c "pgrep -f 'sleep $a' && pgrep -f 'sleep $b' && pgrep -f 'sleep $c'" \
    >/dev/null || fail "the container's processes are not running"
  id=$(job_id "kill$$")
  [ -n "$id" ] || fail "no running job kill$$"
  job scancel "$id" || fail "scancel failed"
  # KillWait, plus slack for a loaded machine.
  local i
  for i in $(seq 1 $(((CLUSTER_KILL_WAIT + 10) * 10))); do
    gone "sleep $a" && gone "sleep $b" && gone "sleep $c" && gone "$BIN/launcher run" && break
    sleep 0.1
  done
  for p in "sleep $a" "sleep $b" "sleep $c" "$BIN/launcher run"; do
    gone "$p" || fail "'$p' survived scancel: $(pgrep -af -- "$p")"
  done
  # cinit's shutdown ended within KillWait: the launcher exited with the command's status
  # (143, TERM), before slurmstepd's SIGKILL would have made it 137.
  wait_for grep -q "exit code 143" "$T/out" || fail "the task did not end by TERM: $(cat "$T/out")"
}

# The GPU node's devices as the command sees them: CUDA_VISIBLE_DEVICES, the nodes in /dev,
# nvidia-smi, and what opening each node gives (ENXIO: granted, no driver behind the fake;
# EPERM: a cgroup denies it).
gpu_probe='echo "cuda=$CUDA_VISIBLE_DEVICES nvidia=$NVIDIA_VISIBLE_DEVICES ordinal=$GPU_DEVICE_ORDINAL"
  echo "devs=$(cd /dev && echo $(ls -d nvidia[0-9]*))"
  /usr/bin/nvidia-smi
  for d in /dev/nvidia[0-9]*; do cat "$d" 2>&1 | head -n1; done'

test_gpus_follow_the_allocation() {
  import_base
  cluster
  out=$(job srun -w "$CLUSTER_GPU_NODE" --gres=gpu:3 launcher run base -- sh -c "$gpu_probe") ||
    fail "srun failed: $out"
  # Slurm's 0,1,2 are the first three File= entries: minors 2, 3, 4, numbered 0.. inside.
  assert_contains "$out" "cuda=0,1,2 nvidia=0,1,2 ordinal=0,1,2"
  assert_contains "$out" "devs=nvidia2 nvidia3 nvidia4"
  assert_contains "$out" "nvidia-smi: nvidia2 nvidia3 nvidia4"
  assert_not_contains "$out" "Operation not permitted"
  assert_eq 3 "$(grep -c 'No such device or address' <<<"$out")" "granted devices opened"
  # No GPU asked for: none, though the image (or the configured default) says all.
  out=$(job srun -w "$CLUSTER_GPU_NODE" launcher run -e NVIDIA_VISIBLE_DEVICES=all base -- \
    sh -c 'echo devs=$(ls /dev | grep -c "^nvidia[0-9]")')
  assert_eq "devs=0" "$out" "GPUs without an allocation"
}

test_batch_script_gets_the_jobs_gpus() {
  import_base
  cluster
  # A batch script has SLURM_JOB_GPUS (no step of its own): the job's second GPU is minor 3.
  printf '#!/bin/sh\nlauncher run base -- sh -c %s\n' "'$gpu_probe'" >"$T/batch.sh"
  own "$T/batch.sh"
  job sbatch --wait -w "$CLUSTER_GPU_NODE" --gres=gpu:2 -o "$T/batch.out" "$T/batch.sh" \
    >/dev/null || fail "the batch job failed: $(cat "$T/batch.out" 2>&1)"
  out=$(cat "$T/batch.out")
  assert_contains "$out" "cuda=0,1 nvidia=0,1 ordinal=0,1"
  assert_contains "$out" "devs=nvidia2 nvidia3"
  assert_not_contains "$out" "Operation not permitted"
}

test_concurrent_gpu_jobs_see_disjoint_gpus() {
  import_base
  cluster
  mkdir -p "$T/sync"
  own "$T/sync"
  # Each job holds its GPUs until both have started, so that Slurm must give them disjoint ones.
  local j pids=()
  for j in a b; do
    job srun -w "$CLUSTER_GPU_NODE" --gres=gpu:2 launcher run -v "$T/sync:/sync" base -- sh -c "
      $gpu_probe
      touch /sync/$j
      while [ ! -e /sync/a ] || [ ! -e /sync/b ]; do sleep 0.05; done" >"$T/$j.out" 2>&1 &
    pids+=($!)
  done
  wait_for test -e "$T/sync/a" || fail "job a did not start: $(cat "$T/a.out")"
  wait_for test -e "$T/sync/b" || fail "job b did not start: $(cat "$T/b.out")"
  wait "${pids[@]}" || fail "a job failed: $(cat "$T/a.out" "$T/b.out")"
  a=$(sed -n 's/^devs=//p' "$T/a.out")
  b=$(sed -n 's/^devs=//p' "$T/b.out")
  assert_eq "nvidia2 nvidia3 nvidia4 nvidia5" "$(echo $a $b | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')" \
    "the two jobs' GPUs together"
  for j in a b; do
    assert_contains "$(cat "$T/$j.out")" "cuda=0,1 nvidia=0,1 ordinal=0,1"
    assert_not_contains "$(cat "$T/$j.out")" "Operation not permitted"
  done
}

test_gpus_per_task_keeps_each_task_on_its_own() {
  import_base
  cluster
  out=$(job srun -w "$CLUSTER_GPU_NODE" -n2 --gpus-per-task=1 -l launcher run base -- \
    sh -c "$gpu_probe") || fail "srun failed: $out"
  t0=$(sed -n 's/^0: devs=//p' <<<"$out")
  t1=$(sed -n 's/^1: devs=//p' <<<"$out")
  [ -n "$t0" ] && [ -n "$t1" ] && [ "$t0" != "$t1" ] || fail "tasks share or lack GPUs: $out"
  for d in "$t0" "$t1"; do
    [[ $d =~ ^nvidia[2-5]$ ]] || fail "a task sees '$d', not one GPU of the node: $out"
  done
  assert_eq 2 "$(grep -c ': cuda=0 nvidia=0 ordinal=0$' <<<"$out")" "each task's GPU is its 0"
  assert_not_contains "$out" "Operation not permitted"
}

# imports_watched FILE: from now on, each image the store records (an import or pull ends by
# renaming its file into images/) is a line in FILE; the watcher's pid is in $watch_pid.
imports_watched() {
  command -v inotifywait >/dev/null || skip "no inotifywait (scripts/deps.sh installs inotify-tools)"
  launcher images >/dev/null || fail "unable to make the store"
  inotifywait -m -e moved_to --format %f "$T/data/launcher/images" >"$1" 2>"$1.err" &
  watch_pid=$!
  wait_for grep -q "Watches established" "$1.err" || fail "inotifywait did not start: $(cat "$1.err")"
}

test_tasks_on_one_node_share_one_store() {
  # The image as a path (an OCI layout, as on a shared filesystem), not imported beforehand:
  # four tasks start at once, one imports it under the store's lock, the others wait and run
  # on the same layers. A large layer makes an import last long enough that tasks importing
  # on their own would overlap: the watcher then sees more than one.
  base_image
  head -c 32M /dev/urandom >"$T/big" && tar -C "$T" -cf "$T/big.tar" big && rm "$T/big"
  add_layer "$T/base" "$T/big.tar"
  cluster
  imports_watched "$T/imports"
  out=$(job srun -w "$CLUSTER_OTHER_NODE" -n4 -l launcher run "$T/base:latest" -- \
    sh -c 'echo task $SLURM_PROCID $FROM_IMAGE; touch /written-by-$SLURM_PROCID; ls / | grep -c written-by') ||
    fail "srun failed: $out"
  for r in 0 1 2 3; do
    assert_contains "$out" "$r: task $r yes"
  done
  # Each task's writes stay its own: every one sees only its file.
  assert_eq 4 "$(grep -c ': 1$' <<<"$out")" "tasks that saw only their own file"
  images=$(launcher images | tail -n +2)
  assert_eq 1 "$(grep -c . <<<"$images")" "images in the store: $images"
  [[ $images == local/*/base:latest$'\t'2 ]] || fail "unexpected store entry: $images"
  assert_eq 2 "$(ls "$T/data/launcher/layers" | wc -l)" "layers in the store"
  [ -z "$(ls -A "$T/data/launcher/tmp" 2>/dev/null)" ] || fail "temp debris left in the store"
  # srun returned after every task had recorded what it imported.
  assert_eq 1 "$(grep -c . "$T/imports")" "imports of the image ($(cat "$T/imports"))"
  # A second run finds it: nothing is imported again (no lock taken, nothing printed).
  out=$(job srun -w "$CLUSTER_OTHER_NODE" launcher run "$T/base:latest" -- echo again 2>&1)
  assert_contains "$out" "again"
  assert_not_contains "$out" "waiting"
  kill "$watch_pid"
  assert_eq 1 "$(grep -c . "$T/imports")" "imports after a second run ($(cat "$T/imports"))"
}
