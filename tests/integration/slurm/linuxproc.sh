# srun launcher run on a two-node cluster with proctrack/linuxproc (no cgroup confines the job).
# The cases are in common.bash.
PROCTRACK=linuxproc
source tests/integration/slurm/common.bash
