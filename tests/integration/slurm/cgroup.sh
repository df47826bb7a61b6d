# srun launcher run on a two-node cluster with proctrack/cgroup and ConstrainDevices.
# The cases are in common.bash.
PROCTRACK=cgroup
source tests/integration/slurm/common.bash
