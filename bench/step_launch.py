#!/usr/bin/python3
"""Step launch with the mljob SPANK plugin against without it, on the real local cluster.

In one allocation of 6 nodes (salloc --no-shell), `srun -n 6 true` is timed (wall clock,
from start to exit of srun) RUNS times for each variant, interleaved (each round runs every
variant once, in a rotating order), after WARMUP unrecorded runs of each:

  without      plugstack.conf empty: Slurm without the plugin
  with         plugstack.conf as the cluster has it: the plugin loaded by srun and by
               every slurmstepd, for a job that does not opt in
  with-ml      the plugin, and the step opts in: --ml-roles=master:1+worker
               --ml-bind=closest (roles, TF_CONFIG, torch and SageMaker variables computed,
               the topology loaded once per step and node, every task bound); the topology
               is the XML file plugstack.conf names (the local cluster's, with its fake GPUs)
  with-ml-hw   the same, with topology= taken out of plugstack.conf: hwloc discovers the
               host's real hardware (PCI included) in every slurmstepd

Only the content of plugstack.conf differs between variants: srun reads it at start and
slurmstepd for every step, so no daemon restarts. The file is written atomically for each
run and put back as it was at the end (also on Ctrl-C). Needs root (the cluster's files).

Usage (cluster up, same environment as for mljob-cluster):
  MLJOB_CLUSTER_DIR=... MLJOB_CLUSTER_PORT_BASE=... bench/step_launch.py [--runs 30]
"""
import argparse
import os
import re
import shlex
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLUSTER = os.path.join(ROOT, "contrib", "cluster", "mljob-cluster")


def cluster_environment():
    out = subprocess.run([CLUSTER, "env"], check=True, capture_output=True, text=True).stdout
    env = dict(os.environ)
    for line in out.splitlines():
        words = shlex.split(line)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            name, value = words[1].split("=", 1)
            env[name] = value
    for name in list(env):  # nothing of the calling shell may change what srun does
        if name.startswith(("SLURM_", "MLJOB_")) and name not in (
                "SLURM_CONF", "MLJOB_CLUSTER_DIR", "MLJOB_CLUSTER_PORT_BASE"):
            del env[name]
    return env


def write_atomically(path, text):
    temporary = path + ".bench"
    with open(temporary, "w") as out:
        out.write(text)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def timed(command, env):
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {result.returncode}: {result.stderr}")
    return elapsed


def summary(times):
    ms = sorted(t * 1000 for t in times)
    return {"median": statistics.median(ms), "mean": statistics.fmean(ms),
            "p90": ms[int(0.9 * (len(ms) - 1))], "min": ms[0], "max": ms[-1]}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--tasks", type=int, default=6)
    args = parser.parse_args()

    env = cluster_environment()
    plugstack = os.path.join(env["MLJOB_CLUSTER_DIR"], "etc", "plugstack.conf")
    with open(plugstack) as conf:
        original = conf.read()
    if "spank_mljob.so" not in original:
        sys.exit(f"{plugstack} does not load spank_mljob.so: bring the cluster up with the plugin built")
    without = "# bench/step_launch.py: no plugin for this run\n"

    allocation = subprocess.run(
        ["salloc", "--no-shell", f"--nodes={args.tasks}", f"--ntasks={args.tasks}",
         "--job-name=bench_step_launch", "--time=30", "--immediate=60"],
        env=env, capture_output=True, text=True, timeout=120)
    job_id = next((w for w in allocation.stderr.split() if w.isdigit()), None)
    if allocation.returncode != 0 or not job_id:
        sys.exit(f"salloc failed: {allocation.stderr}")
    srun = ["srun", f"--jobid={job_id}", f"--ntasks={args.tasks}", "--nodes", str(args.tasks)]
    variants = {
        "without": (without, srun + ["true"]),
        "with": (original, srun + ["true"]),
        "with-ml": (original, srun + ["--ml-roles=master:1+worker", "--ml-bind=closest", "true"]),
        "with-ml-hw": (re.sub(r" topology=\S+", "", original),
                       srun + ["--ml-roles=master:1+worker", "--ml-bind=closest", "true"]),
    }
    times = {name: [] for name in variants}
    try:
        names = list(variants)
        for round_index in range(args.warmup + args.runs):
            order = names[round_index % len(names):] + names[:round_index % len(names)]
            for name in order:
                text, command = variants[name]
                write_atomically(plugstack, text)
                elapsed = timed(command, env)
                if round_index >= args.warmup:
                    times[name].append(elapsed)
    finally:
        write_atomically(plugstack, original)
        subprocess.run(["scancel", job_id], env=env, capture_output=True)

    cpus = os.cpu_count()
    print(f"srun -n {args.tasks} true in one {args.tasks}-node allocation (job {job_id}), "
          f"{args.runs} runs per variant after {args.warmup} warm-up, interleaved; host: {cpus} CPUs")
    stats = {name: summary(values) for name, values in times.items()}
    print(f"{'variant':10} {'median':>9} {'mean':>9} {'p90':>9} {'min':>9} {'max':>9}   (ms)")
    for name, s in stats.items():
        print(f"{name:10} {s['median']:9.1f} {s['mean']:9.1f} {s['p90']:9.1f} {s['min']:9.1f} {s['max']:9.1f}")
    base = stats["without"]["median"]
    for name in ("with", "with-ml", "with-ml-hw"):
        median = stats[name]["median"]
        print(f"{name} / without (medians): {median / base:.3f}  ({median - base:+.1f} ms)")


if __name__ == "__main__":
    main()
