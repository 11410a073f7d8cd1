#!/usr/bin/env bash
# The walking path: local Slurm cluster up, the example trainer submitted as an AI Platform
# STANDARD_1 job (one heterogeneous job: master, workers, parameter servers), waited for,
# described, and shown as Slurm accounting sees it. `make demo` runs deps and build first.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
mljob=$build/bridge/mljob

export MLJOB_SPANK_PLUGIN=${MLJOB_SPANK_PLUGIN:-$build/plugin/spank_mljob.so}
"$root/contrib/cluster/mljob-cluster" up
eval "$("$root/contrib/cluster/mljob-cluster" env)"
export MLJOB_TIERS=${MLJOB_TIERS:-$root/contrib/cluster/tiers.yaml}
export MLJOB_HOME=${MLJOB_HOME:-$build/demo-home}

job_id=demo_$(date -u +%Y%m%d_%H%M%S)
echo
echo "== mljob submit training $job_id --scale-tier STANDARD_1 ... --stream-logs -- --epochs 2"
status=0
"$mljob" submit training "$job_id" --scale-tier STANDARD_1 --module-name trainer.task \
  --package-path "$root/etc/examples/trainer" --stream-logs -- --epochs 2 || status=$?

echo
echo "== mljob describe $job_id"
"$mljob" describe "$job_id"

slurm_job_id=$("$mljob" describe "$job_id" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["slurmJobId"])')
echo
echo "== sacct -j $slurm_job_id (one heterogeneous job, a component per replica type)"
sacct -j "$slurm_job_id" --allocations --format=JobID%10,JobName%22,State%10,NNodes%6,NTasks%6,AllocTRES%70

cat <<TXT

To use this cluster and these jobs from your shell:
  eval "\$($root/contrib/cluster/mljob-cluster env)"
  export MLJOB_TIERS=$MLJOB_TIERS MLJOB_HOME=$MLJOB_HOME PATH=$build/bridge:\$PATH
  mljob list
TXT
if [[ $status -ne 0 ]]; then
  echo "demo: the job did not succeed" >&2
  exit "$status"
fi
echo "demo: job $job_id SUCCEEDED"
