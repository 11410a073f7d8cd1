#!/usr/bin/env bash
# The walking path: local Slurm cluster up (as root), then, as an ordinary user of that cluster,
# the example trainer submitted as an AI Platform STANDARD_1 job (one heterogeneous job: master,
# workers, parameter servers), waited for, described, and shown as Slurm accounting sees it.
# `make demo` runs deps and build first.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cluster=$root/contrib/cluster/mljob-cluster
user=${MLJOB_DEMO_USER:-mljob-alice}

# As root: the cluster, its users, and mljob installed where they can reach it (its site folder).
export MLJOB_BUILD_DIR=${BUILD:-$root/build}
"$cluster" up
eval "$("$cluster" env)"
home=$(getent passwd "$user" | cut -d: -f6)

# Everything else runs as $user: root only started the cluster. runuser gives the user's HOME;
# the cluster's settings come from the world-readable env.sh that `up` wrote.
as_user() {
  runuser -u "$user" -- env -i HOME="$home" USER="$user" LOGNAME="$user" LANG=C.UTF-8 PATH=/usr/local/bin:/usr/bin:/bin \
    bash -c '. "$1" && shift && cd && exec "$@"' as_user "$MLJOB_CLUSTER_DIR/etc/env.sh" "$@"
}

job_id=demo_$(date -u +%Y%m%d_%H%M%S)
trainer=$MLJOB_SITE/share/mljob/examples/trainer
echo
echo "== as user $user (uid $(id -u "$user")), not root; jobs in $home/.mljob"
echo "== mljob submit training $job_id --scale-tier STANDARD_1 ... --stream-logs -- --epochs 2"
status=0
as_user mljob submit training "$job_id" --scale-tier STANDARD_1 --module-name trainer.task \
  --package-path "$trainer" --stream-logs -- --epochs 2 || status=$?

echo
echo "== mljob describe $job_id"
as_user mljob describe "$job_id"

slurm_job_id=$(as_user mljob describe "$job_id" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["slurmJobId"])')
echo
echo "== sacct -j $slurm_job_id (one heterogeneous job, a component per replica type, run by $user)"
as_user sacct -j "$slurm_job_id" --allocations --format=JobID%10,JobName%22,User%12,State%10,NNodes%6,NTasks%6,AllocTRES%60

cat <<TXT

The cluster's users are $(id -un "$user") and the others of MLJOB_CLUSTER_USERS; to use the cluster as one:
  runuser -u $user -- bash -c '. $MLJOB_CLUSTER_DIR/etc/env.sh; mljob list'
TXT
if [[ $status -ne 0 ]]; then
  echo "demo: the job did not succeed" >&2
  exit "$status"
fi
echo "demo: job $job_id SUCCEEDED, run by user $user"
