#!/usr/bin/env bash
# `srun launcher run IMG -- true` against bare `srun true` and `srun ch-run ROOTFS -- true`, on a
# private one-host cluster (tests/slurm/cluster.sh, proctrack/linuxproc), as the unprivileged
# user cinit-test, one task on one node, in interleaved rounds. The bar: the launcher under
# srun costs at most 1.2 x (bare srun + one plain `launcher run`), i.e. Slurm adds nothing to
# the launcher's own time. Only indicative on a shared machine.
source "$(dirname "$0")/lib.sh"
bench_setup

bench_user_setup
command -v slurmctld >/dev/null || {
  echo "bench: fatal: unable to find slurmctld (make deps installs Slurm)" >&2
  exit 1
}
LAUNCHER=$T/bin/launcher

echo "== slurm: srun launcher run vs bare srun and srun ch-run (as $USER_NAME, one task) =="
echo "   $(nproc) CPUs, kernel $(uname -r), quick=$QUICK"

CLUSTER=$T/cluster
REPO=$(cd "$BENCH_DIR/.." && pwd)
CLUSTER_USER=$USER_NAME "$REPO/tests/slurm/cluster.sh" start "$CLUSTER" linuxproc || {
  echo "bench: fatal: unable to start the Slurm cluster" >&2
  exit 1
}
stop_cluster() { "$REPO/tests/slurm/cluster.sh" stop "$CLUSTER"; }
# bench_cleanup removes $T: the cluster must be down before, whatever ends this script.
trap 'rc=$?; stop_cluster; bench_cleanup; exit $rc' EXIT
# shellcheck source=/dev/null
. "$CLUSTER/cluster.env"
BENCH_USER_ENV="SLURM_CONF=$SLURM_CONF"
busybox_image
R=$T/rootfs

SRUN="srun -N1 -n1 -w $CLUSTER_OTHER_NODE"
declare -A RUN=(
  [srun]="$SRUN true"
  [srun-ch-run]="$SRUN ch-run $R -- /bin/true"
  [srun-launcher]="$SRUN $LAUNCHER run bb -- true"
  [launcher]="$LAUNCHER run bb -- true"
)
RUNNERS=()
for n in srun srun-ch-run; do
  # shellcheck disable=SC2086
  if as_user ${RUN[$n]} >/dev/null 2>"$T/err"; then RUNNERS+=("$n"); else log "$n does not work here: $(head -c 300 "$T/err")"; fi
done
if have "$LAUNCHER" && as_user "$LAUNCHER" import "$T/oci-bb" --name bb >"$T/err" 2>&1; then
  for n in srun-launcher launcher; do
    # shellcheck disable=SC2086
    if as_user ${RUN[$n]} >/dev/null 2>"$T/err"; then RUNNERS+=("$n"); else log "$n failed: $(head -c 300 "$T/err")"; fi
  done
else
  log "launcher: not built or the import failed: n/a"
fi

ROUNDS=$(q 5 2) PER=$(q 20 5)
log "run: $ROUNDS rounds x $PER runs"
for r in $(seq 1 "$ROUNDS"); do
  more_rounds "$r" 60 run || break
  for i in "${!RUNNERS[@]}"; do
    n=${RUNNERS[$(((i + r) % ${#RUNNERS[@]}))]}
    touch "$T/run.$n" && chmod 666 "$T/run.$n"
    # shellcheck disable=SC2086
    as_user env TIMEIT_SAMPLES="$T/run.$n" "$T/bin/timeit" "$PER" 2 ${RUN[$n]} >"$T/run.$n.last" ||
      log "run: $n timed out"
    [ "$(cut -d' ' -f4 "$T/run.$n.last" 2>/dev/null)" = 0 ] || log "run: $n: some runs failed: $(cat "$T/run.$n.last")"
  done
done

declare -A V
cell() { echo "${V[$1.$2]:-n/a}"; }
echo
echo "-- run: one task of \`true\` as $USER_NAME (us; up to $((ROUNDS * PER)) runs each, interleaved rounds)"
row runner median_us min_us p90_us runs "median/srun"
for n in srun srun-ch-run srun-launcher launcher; do
  read -r "V[$n.run]" "V[$n.run_min]" "V[$n.run_p90]" "V[$n.run_n]" < <(stats "$T/run.$n")
  row "$n" "$(cell "$n" run)" "$(cell "$n" run_min)" "$(cell "$n" run_p90)" "$(cell "$n" run_n)" \
    "$(ratio "$(cell "$n" run)" "$(cell srun run)")"
done

echo
bar=n/a
if isnum "$(cell srun run)" && isnum "$(cell launcher run)"; then
  bar=$(awk -v a="$(cell srun run)" -v b="$(cell launcher run)" 'BEGIN { printf "%.0f", 1.2 * (a + b) }')
fi
metric slurm_srun_launcher_run us "srun launcher run" "$(cell srun-launcher run)" "srun ch-run" \
  "$(cell srun-ch-run run)" "le:$bar" \
  "\`srun IMAGE true\`, one task (median); bar: 1.2 x (bare srun true + launcher run, $(cell srun run) + $(cell launcher run) us)"
metric slurm_srun_true us "srun true" "$(cell srun run)" none n/a none "bare \`srun true\`, one task (median)"
exit 0
