#!/usr/bin/env bash
# A private Slurm cluster on this host, from Debian's packages (slurmctld, slurmd, munge), for
# tests and benchmarks. Nothing listens beyond 127.0.0.1; nothing of the host's /etc is used.
#
#   tests/slurm/cluster.sh start DIR [linuxproc|cgroup]   (default: linuxproc)
#   tests/slurm/cluster.sh stop DIR
#
# start (as root) makes DIR (it must not exist or be empty; every parent must be searchable by
# the job user) and starts in it: a munged with its own key and socket, a slurmctld, and two
# slurmd on their own ports, spools, pid and log files. It returns once both nodes are idle
# (bounded: 30 s), or fails with the logs' last lines and leaves nothing running.
#   linuxproc  ProctrackType=proctrack/linuxproc, TaskPlugin=task/none
#   cgroup     ProctrackType=proctrack/cgroup, TaskPlugin=task/cgroup with ConstrainDevices=yes
#              (cgroup v1 controllers must be mounted under /sys/fs/cgroup)
# stop kills what start started (by the pids it recorded), removes the cgroups the cluster
# made and DIR itself. It is safe to run after a failed or partial start.
#
# Nodes (names unique to this cluster, so that concurrent clusters never share a cgroup):
#   $CLUSTER_GPU_NODE    4 CPUs, 4 fake GPUs: gres.conf File=DIR/host/dev/nvidia[2-5], so Slurm's
#                        positions 0..3 are device minors 2..5
#   $CLUSTER_OTHER_NODE  4 CPUs, no GPU
# The fake GPUs are character devices (c 195 N) under DIR/host, a fake NVIDIA host tree (a
# driver version, /proc/driver/nvidia/gpus/*/information with minors 0..5, a fake nvidia-smi
# that lists the /dev/nvidiaN it sees, libcuda and libnvidia-ml in a linker cache) for the
# launcher's $LAUNCHER_HOST_ROOT.
#
# After start, DIR/cluster.env (sourceable; read it, do not parse the config) holds:
#   SLURM_CONF           DIR/etc/slurm.conf: export it before srun/sbatch/scancel/squeue
#   CLUSTER_NODES        both node names, GPU node first
#   CLUSTER_GPU_NODE, CLUSTER_OTHER_NODE
#   CLUSTER_HOST_ROOT    the fake NVIDIA host tree (DIR/host)
#   CLUSTER_USER         the user to submit jobs as (runuser -u "$CLUSTER_USER" -- srun ...)
#   CLUSTER_PROCTRACK    linuxproc | cgroup
#   CLUSTER_CONSTRAIN_DEVICES  yes | no
#   CLUSTER_KILL_WAIT    KillWait in seconds
# Knobs (environment of `start`):
#   CLUSTER_USER         default cinit-test (tests/integration/lib.sh's test user)
#   CLUSTER_PLUGSTACK    a plugstack.conf to use (SPANK plugins); default: an empty one
#   CLUSTER_CONF_EXTRA   lines appended to slurm.conf
set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin

die() {
  echo "cluster: fatal: $*" >&2
  exit 1
}

# wait_until SECONDS CMD...: polls CMD every 0.1 s until it succeeds or time runs out.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

port_free() { ! ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }

# pick_ports: a base port with BASE..BASE+2 (slurmctld, two slurmd) and the srun range
# BASE+10..BASE+29 all free.
pick_ports() {
  local base p ok
  for _ in $(seq 1 50); do
    base=$((20000 + (RANDOM % 400) * 100))
    ok=1
    for p in $(seq "$base" $((base + 29))); do
      port_free "$p" || {
        ok=0
        break
      }
    done
    [ "$ok" = 1 ] && {
      echo "$base"
      return 0
    }
  done
  return 1
}

# The fake NVIDIA host: six GPUs, minors 0..5, in bus order.
make_fake_host() {
  local h=$1 i bus
  mkdir -p "$h/dev" "$h/proc/driver/nvidia/gpus" "$h/usr/bin" "$h/etc"
  echo "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 01:44:30 UTC 2024" \
    >"$h/proc/driver/nvidia/version"
  for i in 0 1 2 3 4 5; do
    bus=0000:0$i:00.0
    mkdir -p "$h/proc/driver/nvidia/gpus/$bus"
    printf 'Model: \t\t NVIDIA Fake\nGPU UUID: \t GPU-00000000-0000-0000-0000-00000000000%s\nDevice Minor: \t %s\nBus Location: \t %s\n' \
      "$i" "$i" "$bus" >"$h/proc/driver/nvidia/gpus/$bus/information"
    mknod -m 666 "$h/dev/nvidia$i" c 195 "$i" || return 1
  done
  mknod -m 666 "$h/dev/nvidiactl" c 195 255 || return 1
  printf '#!/bin/sh\necho nvidia-smi: $(cd /dev && ls -d nvidia[0-9]*)\n' >"$h/usr/bin/nvidia-smi"
  chmod 755 "$h/usr/bin/nvidia-smi"
  # Driver libraries (empty ELF objects with the right sonames) in a real linker cache.
  local lib=$h/usr/lib/x86_64-linux-gnu so
  mkdir -p "$lib"
  echo 'int cinit_fake_driver(void) { return 0; }' >"$h/fake.c"
  for so in libcuda.so.1 libnvidia-ml.so.1; do
    gcc -shared -fPIC -o "$lib/${so%.so.*}.so.550.54.14" "-Wl,-soname,$so" "$h/fake.c" ||
      return 1
  done
  rm -f "$h/fake.c"
  echo /usr/lib/x86_64-linux-gnu >"$h/etc/ld.so.conf"
  ldconfig -r "$h"
}

write_config() {
  local d=$1 mode=$2 base=$3
  local ctld=$base p1=$((base + 1)) p2=$((base + 2))
  local proctrack=proctrack/linuxproc task=task/none
  if [ "$mode" = cgroup ]; then
    proctrack=proctrack/cgroup
    task=task/cgroup
  fi
  cat >"$d/etc/slurm.conf" <<EOF
ClusterName=$CLUSTER_NAME
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$d/munge/munge.socket
CommunicationParameters=NoInAddrAny,NoCtldInAddrAny
SrunPortRange=$((base + 10))-$((base + 29))
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool/%n
SlurmctldPidFile=$d/run/slurmctld.pid
SlurmdPidFile=$d/run/slurmd-%n.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd-%n.log
PlugStackConfig=$d/etc/plugstack.conf
ProctrackType=$proctrack
TaskPlugin=$task
SlurmdParameters=config_overrides
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
GresTypes=gpu
MpiDefault=none
ReturnToService=2
FirstJobId=$((base * 10))
KillWait=$KILL_WAIT
InactiveLimit=0
MinJobAge=5
SlurmdTimeout=30
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$NODE1 NodeAddr=127.0.0.1 NodeHostname=$(hostname) Port=$p1 CPUs=4 Gres=gpu:4 State=UNKNOWN
NodeName=$NODE2 NodeAddr=127.0.0.1 NodeHostname=$(hostname) Port=$p2 CPUs=4 State=UNKNOWN
PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP
${CLUSTER_CONF_EXTRA:-}
EOF
  # Positions 0..3 on the GPU node are minors 2..5: a launcher that takes Slurm's numbers
  # for minors gives the wrong devices.
  cat >"$d/etc/gres.conf" <<EOF
AutoDetect=off
NodeName=$NODE1 Name=gpu File=$d/host/dev/nvidia[2-5]
EOF
  if [ "$mode" = cgroup ]; then
    cat >"$d/etc/cgroup.conf" <<EOF
CgroupPlugin=cgroup/v1
CgroupMountpoint=/sys/fs/cgroup
ConstrainDevices=yes
EOF
  else
    # Without one, slurmd looks for cgroup controllers even with linuxproc (NOTES §6).
    echo "CgroupPlugin=cgroup/v1" >"$d/etc/cgroup.conf"
  fi
  if [ -n "${CLUSTER_PLUGSTACK:-}" ]; then
    cp "$CLUSTER_PLUGSTACK" "$d/etc/plugstack.conf" || return 1
  else
    : >"$d/etc/plugstack.conf"
  fi
  cat >"$d/cluster.env" <<EOF
SLURM_CONF=$d/etc/slurm.conf
CLUSTER_NODES="$NODE1 $NODE2"
CLUSTER_GPU_NODE=$NODE1
CLUSTER_OTHER_NODE=$NODE2
CLUSTER_HOST_ROOT=$d/host
CLUSTER_USER=$CLUSTER_USER
CLUSTER_PROCTRACK=$mode
CLUSTER_CONSTRAIN_DEVICES=$([ "$mode" = cgroup ] && echo yes || echo no)
CLUSTER_KILL_WAIT=$KILL_WAIT
EOF
}

nodes_idle() {
  local out
  out=$(SLURM_CONF=$1/etc/slurm.conf sinfo -h -N -o '%N %t' 2>/dev/null) || return 1
  [ "$(grep -c ' idle$' <<<"$out")" = 2 ]
}

show_logs() {
  local f
  for f in "$1"/log/*; do
    [ -f "$f" ] || continue
    echo "--- $f" >&2
    tail -n 8 "$f" >&2
  done
}

start() {
  local d=$1 mode=${2:-linuxproc} base
  [ "$(id -u)" = 0 ] || die "unable to start a cluster: needs root"
  case $mode in linuxproc | cgroup) ;; *) die "unknown mode '$mode' (linuxproc or cgroup)" ;; esac
  for p in munged slurmctld slurmd sinfo srun gcc ldconfig; do
    command -v "$p" >/dev/null || die "unable to find '$p' (scripts/deps.sh installs it)"
  done
  if [ "$mode" = cgroup ]; then
    [ -d /sys/fs/cgroup/freezer ] && [ -d /sys/fs/cgroup/devices ] ||
      die "unable to use proctrack/cgroup: no cgroup v1 freezer and devices controllers"
  fi
  id "$CLUSTER_USER" >/dev/null 2>&1 || die "unable to find user '$CLUSTER_USER'"
  [ -z "$(ls -A "$d" 2>/dev/null)" ] || die "unable to use '$d': not empty"
  mkdir -p "$d" && d=$(cd "$d" && pwd) || die "unable to create '$d'"
  chmod 755 "$d"
  mkdir -p "$d"/{etc,munge,state,spool,run,log,host} || die "unable to fill '$d'"
  chmod 700 "$d/state"
  # One lock over picking ports and binding them: two clusters starting at once must not
  # pick the same ones.
  exec {lock}>/tmp/cinit-slurm-ports.lock
  flock -w 60 "$lock" || die "unable to lock /tmp/cinit-slurm-ports.lock"
  base=$(pick_ports) || die "unable to find 30 free ports"
  CLUSTER_NAME=c$base
  NODE1=c${base}g
  NODE2=c${base}n
  make_fake_host "$d/host" || die "unable to make the fake GPU tree in '$d/host'"
  write_config "$d" "$mode" "$base" || die "unable to write the configuration in '$d/etc'"

  # munged insists on a key only its user reads and on directories others cannot write.
  dd if=/dev/urandom of="$d/munge/munge.key" bs=1024 count=1 status=none
  chmod 600 "$d/munge/munge.key"
  munged --force --key-file="$d/munge/munge.key" --socket="$d/munge/munge.socket" \
    --pid-file="$d/run/munged.pid" --log-file="$d/log/munged.log" \
    --seed-file="$d/munge/munged.seed" --num-threads=2 {lock}>&- ||
    {
      show_logs "$d"
      stop "$d"
      die "unable to start munged"
    }
  export SLURM_CONF=$d/etc/slurm.conf
  slurmctld -f "$SLURM_CONF" -i 2>>"$d/log/start.err" {lock}>&- || {
    show_logs "$d"
    stop "$d"
    die "unable to start slurmctld"
  }
  local n
  for n in "$NODE1" "$NODE2"; do
    mkdir -p "$d/spool/$n"
    slurmd -f "$SLURM_CONF" -N "$n" 2>>"$d/log/start.err" {lock}>&- || {
      show_logs "$d"
      stop "$d"
      die "unable to start slurmd $n"
    }
  done
  if ! wait_until 30 nodes_idle "$d"; then
    SLURM_CONF=$d/etc/slurm.conf sinfo -N >&2
    show_logs "$d"
    stop "$d"
    die "nodes not idle within 30 s"
  fi
  exec {lock}>&-
}

# ours PIDFILE DIR: the pid in PIDFILE, if that process still is one of ours (its command
# line names this cluster's DIR).
ours() {
  local pid
  pid=$(cat "$1" 2>/dev/null)
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$2/" || return 1
  echo "$pid"
}

# kill_all DIR PIDFILE...: TERM to each, then KILL to those left after 10 s; waits until
# every one is gone (bounded).
kill_all() {
  local d=$1 f pid pids=()
  shift
  for f in "$@"; do
    pid=$(ours "$f" "$d") && pids+=("$pid")
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  kill -TERM "${pids[@]}" 2>/dev/null
  # Gone, or a zombie (whoever the daemon was reparented to reaps it, maybe not soon).
  gone() {
    local p
    for p in "${pids[@]}"; do
      [ "$(ps -o stat= -p "$p" 2>/dev/null | cut -c1)" = Z ] || ! kill -0 "$p" 2>/dev/null ||
        return 1
    done
  }
  wait_until 10 gone || kill -KILL "${pids[@]}" 2>/dev/null
  wait_until 5 gone
}

# This cluster's cgroups (v1: slurm_NODE or slurm/ under each controller, with its nodes' jobs):
# slurmd leaves empty ones behind. Only empty directories are removed.
remove_cgroups() {
  local d=$1 n dir
  . "$d/cluster.env" 2>/dev/null || return 0
  for n in $CLUSTER_NODES; do
    for dir in /sys/fs/cgroup/*/slurm_"$n"; do
      [ -d "$dir" ] && find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null
    done
  done
  return 0
}

stop() {
  local d=$1 f
  [ -d "$d" ] || return 0
  d=$(cd "$d" && pwd)
  # Jobs first, so that no slurmstepd outlives its slurmd; then the daemons, munge last.
  if [ -f "$d/cluster.env" ] && ours "$d/run/slurmctld.pid" "$d" >/dev/null; then
    SLURM_CONF=$d/etc/slurm.conf scancel --full --user="$(. "$d/cluster.env" && echo "$CLUSTER_USER")" 2>/dev/null
    wait_until $((KILL_WAIT + 10)) bash -c \
      "[ -z \"\$(SLURM_CONF=$d/etc/slurm.conf squeue -h -o %i 2>/dev/null)\" ]"
  fi
  kill_all "$d" "$d"/run/slurmd-*.pid "$d/run/slurmctld.pid"
  # Any daemon of ours still there (a partial start that wrote no pid file).
  local pid
  for pid in $(pgrep -f -- "$d/" 2>/dev/null); do
    case $(cat "/proc/$pid/comm" 2>/dev/null) in
    munged | slurmctld | slurmd) kill -KILL "$pid" 2>/dev/null ;;
    esac
  done
  kill_all "$d" "$d/run/munged.pid"
  remove_cgroups "$d"
  rm -rf "$d"
}

: "${CLUSTER_USER:=cinit-test}"
KILL_WAIT=5
case ${1:-} in
start)
  [ $# -ge 2 ] || die "usage: cluster.sh start DIR [linuxproc|cgroup]"
  start "$2" "${3:-}"
  ;;
stop)
  [ $# -eq 2 ] || die "usage: cluster.sh stop DIR"
  stop "$2"
  ;;
*) die "usage: cluster.sh start DIR [linuxproc|cgroup] | stop DIR" ;;
esac
