#!/usr/bin/python3
"""The bridge's speed against the raw Slurm commands it wraps, measured in one run on the real
local cluster (contrib/cluster). Figures are medians and ratios; see docs/benchmarks.md.

  bench/bridge_bench.py submit   [--runs 20]      mljob submit vs raw sbatch of the same script
  bench/bridge_bench.py list     [--jobs 10000]   mljob list vs one raw sacct for the same jobs
  bench/bridge_bench.py describe [--runs 20]      mljob describe vs the one raw query it needs

Needs a built tree (make build) and the cluster up (contrib/cluster/mljob-cluster up)."""
import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("MLJOB_BUILD_DIR", os.path.join(ROOT, "build"))
MLJOB = os.path.join(BUILD, "bridge", "mljob")
TRAINER = os.path.join(ROOT, "etc", "examples", "trainer")
ACCOUNTING_FORMAT = "JobID,JobName,State,ExitCode,Submit,Start,End,ElapsedRaw,AllocTRES,Comment"


def cluster_env(home):
    out = subprocess.run([os.path.join(ROOT, "contrib", "cluster", "mljob-cluster"), "env"], check=True,
                         capture_output=True, text=True).stdout
    env = dict(os.environ)
    for line in out.splitlines():
        words = shlex.split(line)
        if len(words) == 2 and words[0] == "export":
            name, value = words[1].split("=", 1)
            env[name] = value
    env["MLJOB_HOME"] = home
    env["MLJOB_TIERS"] = os.path.join(ROOT, "contrib", "cluster", "tiers.yaml")
    return env


def timed(argv, env):
    start = time.perf_counter()
    result = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{argv[0]} failed ({result.returncode}): {result.stderr}")
    return elapsed, result.stdout


def report(name, ours, baseline, baseline_name, target):
    ratio = statistics.median(ours) / statistics.median(baseline)
    verdict = "meets" if ratio <= target else "MISSES"
    print(f"{name}: mljob median {statistics.median(ours) * 1000:.1f} ms, {baseline_name} median "
          f"{statistics.median(baseline) * 1000:.1f} ms, ratio {ratio:.2f} (target <= {target}: {verdict})")
    return ratio


def bench_submit(args, env):
    """Interleaved: one mljob submit, then one raw sbatch of the script mljob generated for it
    (same options: --output, --chdir, --comment). Jobs are cancelled outside the timed part."""
    ours, raw, ids = [], [], []
    for run in range(args.runs):
        job_id = f"bench_submit_{os.getpid()}_{run}"
        elapsed, _ = timed([MLJOB, "submit", "training", job_id, "--scale-tier", "STANDARD_1", "--module-name",
                            "trainer.task", "--package-path", TRAINER, "--", "--epochs", "1"], env)
        ours.append(elapsed)
        folder = os.path.join(env["MLJOB_HOME"], "jobs", job_id)
        ids.append(json.load(open(os.path.join(folder, "job.json")))["slurmJobId"])
        elapsed, out = timed(["sbatch", "--parsable", f"--output={folder}/raw.log", f"--chdir={folder}",
                              f"--comment=mljob:{job_id}", os.path.join(folder, "job.sbatch")], env)
        raw.append(elapsed)
        ids.append(out.strip().split(";")[0])
        subprocess.run(["scancel", *ids[-2:]], env=env)
    return report(f"submit ({args.runs} runs each, STANDARD_1, 3 components)", ours, raw, "raw sbatch", 1.15)


def make_accounted_jobs(count, env, home):
    """`count` finished Slurm jobs made cheaply as arrays of `true`, and an mljob record for
    each, so that `mljob list` has `count` jobs to answer for."""
    per_array = 1000
    arrays = []
    for first in range(0, count, per_array):
        size = min(per_array, count - first)
        out = subprocess.run(["sbatch", "--parsable", f"--array=0-{size - 1}", "--output=/dev/null",
                              "--job-name=bench_list", "--comment=mljob:bench", "--wrap=true"], env=env,
                             capture_output=True, text=True, check=True).stdout
        arrays.append((out.strip(), size))
    ids = [f"{array}_{task}" for array, size in arrays for task in range(size)]
    print(f"waiting for {len(ids)} array tasks to be accounted ...", file=sys.stderr)
    deadline = time.time() + 1800
    while time.time() < deadline:
        out = subprocess.run(["sacct", "-X", "--noheader", "--parsable2", "--format=State", "--starttime=1970-01-01",
                              "--jobs", ",".join(a for a, _ in arrays)], env=env, capture_output=True, text=True).stdout
        done = sum(1 for line in out.splitlines() if line.startswith("COMPLETED"))
        if done >= count:
            break
        time.sleep(5)
    else:
        sys.exit("the array jobs did not all finish in 30 minutes")
    for index, slurm_id in enumerate(ids):
        job_id = f"bench_list_{index:05d}"
        folder = os.path.join(home, "jobs", job_id)
        os.makedirs(folder)
        record = {"job": {"jobId": job_id, "labels": {"bench": "list"},
                          "trainingInput": {"scaleTier": "BASIC", "pythonModule": "trainer.task"}},
                  "slurmJobId": slurm_id, "componentRoles": ["master"], "taskRoles": ["master-0"],
                  "cancelRequested": False}
        with open(os.path.join(folder, "job.json"), "w") as out:
            json.dump(record, out)
    return ids


def bench_list(args, env):
    home = env["MLJOB_HOME"]
    ids = make_accounted_jobs(args.jobs, env, home)
    raw_argv = ["sacct", "--noheader", "--parsable2", "--starttime=1970-01-01", "--format", ACCOUNTING_FORMAT,
                "--jobs", ",".join(ids)]
    ours, raw = [], []
    for _ in range(args.runs):
        elapsed, out = timed([MLJOB, "list", "--format", "json"], env)
        ours.append(elapsed)
        listed = json.loads(out)["jobs"]
        if len(listed) != len(ids) or any(job["state"] != "SUCCEEDED" for job in listed):
            sys.exit(f"mljob list gave {len(listed)} jobs, not {len(ids)} SUCCEEDED ones")
        raw.append(timed(raw_argv, env)[0])
    return report(f"list ({len(ids)} accounted jobs, {args.runs} runs each)", ours, raw, "one raw sacct", 1.3)


def bench_describe(args, env):
    """A finished job: accounting is the query it needs. A running one: slurmctld."""
    job_id = f"bench_describe_{os.getpid()}"
    subprocess.run([MLJOB, "submit", "training", job_id, "--scale-tier", "STANDARD_1", "--module-name",
                    "trainer.task", "--package-path", TRAINER, "--stream-logs", "--", "--epochs", "1"],
                   env=env, check=True, capture_output=True)
    slurm_id = json.loads(timed([MLJOB, "describe", job_id, "--format", "json"], env)[1])["slurmJobId"]
    ours, raw = [], []
    for _ in range(args.runs):
        ours.append(timed([MLJOB, "describe", job_id, "--format", "json"], env)[0])
        raw.append(timed(["sacct", "--noheader", "--parsable2", "--starttime=1970-01-01", "--format",
                          ACCOUNTING_FORMAT, "--jobs", slurm_id], env)[0])
    finished = report(f"describe, finished job ({args.runs} runs each)", ours, raw, "raw sacct -j", 1.2)

    live_id = f"bench_describe_live_{os.getpid()}"
    subprocess.run([MLJOB, "submit", "training", live_id, "--scale-tier", "STANDARD_1", "--module-name",
                    "trainer.task", "--package-path", TRAINER, "--", "--epochs", "600", "--sleep", "1"],
                   env=env, check=True, capture_output=True)
    live_slurm = json.loads(timed([MLJOB, "describe", live_id, "--format", "json"], env)[1])["slurmJobId"]
    ours, raw = [], []
    for _ in range(args.runs):
        ours.append(timed([MLJOB, "describe", live_id, "--format", "json"], env)[0])
        raw.append(timed(["squeue", "--noheader", "--states=all", "--jobs", live_slurm], env)[0])
    subprocess.run([MLJOB, "cancel", live_id], env=env, capture_output=True)
    live = report(f"describe, running job ({args.runs} runs each)", ours, raw, "raw squeue -j", 1.2)
    return max(finished, live)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["submit", "list", "describe"])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=10000)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="mljob-bench-")
    try:
        env = cluster_env(home)
        {"submit": bench_submit, "list": bench_list, "describe": bench_describe}[args.what](args, env)
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
