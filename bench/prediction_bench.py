#!/usr/bin/python3
"""Batch prediction's speed against one plain Python process, measured in one run on the real
local cluster (contrib/cluster), as an ordinary user. See docs/benchmarks.md, "Prediction".

For a small scikit-learn model and a small TorchScript MLP: 1,000,000 JSON instances scored by
a single Python process (read, json.loads, predict in batches of 64, json.dumps of
{"instance", "prediction"}, written: the same work and output as mljob's), then by mljob with 1, 2
and 4 workers. Records/s for mljob are the records over the time from the first worker's start
to the last one's end (each worker's own clock, in its progress file: Python's start and the
model's load included, as in the baseline); Slurm's queueing before the array starts is not.
Then the same 1-worker job over 100,000 instances, for the workers' peak memory.

  bench/prediction_bench.py [--instances 1000000] [--models sklearn,torchscript]

Needs a built tree (make build) and the cluster up (contrib/cluster/mljob-cluster up)."""
import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "cluster"))
import harness  # noqa: E402  (the local cluster's environment, as the integration tests get it)
import prediction_fixtures as fx  # noqa: E402

BASELINE = r'''
import json, sys, time
start = time.time()
kind, model_dir, source, target = sys.argv[1:5]
if kind == "sklearn":
    import joblib, numpy
    model = joblib.load(model_dir + "/model.joblib")
    predict = lambda batch: model.predict(numpy.asarray(batch)).tolist()
else:
    import torch
    module = torch.jit.load(model_dir + "/model.pt", map_location="cpu").eval()
    def predict(batch):
        with torch.no_grad():
            return module(torch.tensor(batch, dtype=torch.float32)).tolist()
with open(source) as rows, open(target, "w") as out:
    def flush(batch):
        for instance, prediction in zip(batch, predict(batch)):
            out.write(json.dumps({"instance": instance, "prediction": prediction}, separators=(",", ":")) + "\n")
    batch = []
    for line in rows:
        batch.append(json.loads(line))
        if len(batch) == 64:
            flush(batch)
            batch = []
    if batch:
        flush(batch)
print(time.time() - start, time.process_time())
'''


class Bench:
    def __init__(self, work):
        self.work = work
        self.env = harness.cluster_environment()
        self.env["MLJOB_HOME"] = os.path.join(work, "home")
        self.env["MLJOB_TIERS"] = os.path.join(harness.FIXTURES, "contrib", "cluster", "tiers.yaml")

    def run(self, argv):
        harness.hand_over(self.work)
        return subprocess.run(harness.as_user(argv), env=self.env, capture_output=True, text=True, check=True)

    def baseline(self, kind, model, source):
        out = os.path.join(self.work, f"baseline-{kind}.jsonl")
        wall, cpu = self.run(["/usr/bin/python3", "-c", BASELINE, kind, model, source, out]).stdout.split()
        return float(wall), float(cpu)

    def mljob(self, kind, model, source, workers, label):
        job_id = f"bench_{kind}_{label}_{os.getpid()}"
        output = os.path.join(self.work, f"out-{job_id}")
        self.run([harness.MLJOB, "submit", "prediction", job_id, "--model-dir", model, "--data-format", "json",
                  "--input-paths", source, "--output-path", output, "--max-worker-count", str(workers)])
        while True:
            job = json.loads(self.run([harness.MLJOB, "describe", job_id, "--format", "json"]).stdout)
            if job["state"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
                break
            time.sleep(1)
        if job["state"] != "SUCCEEDED":
            sys.exit(f"{job_id} ended {job['state']}: {job.get('errorMessage')}")
        progress = []
        folder = os.path.join(self.env["MLJOB_HOME"], "jobs", job_id, "progress")
        for name in sorted(os.listdir(folder)):
            with open(os.path.join(folder, name)) as f:
                progress.append(json.load(f))
        seconds = max(p["finishedAt"] for p in progress) - min(p["startedAt"] for p in progress)
        records = sum(p["recordsRead"] for p in progress)
        memory = max(p["workerMaxRssKb"] for p in progress), max(p["serverMaxRssKb"] for p in progress)
        cpu = sum(p["workerCpuSeconds"] + p["serverCpuSeconds"] for p in progress)
        return records, seconds, len(progress), memory, cpu


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=1_000_000)
    parser.add_argument("--models", default="sklearn,torchscript")
    args = parser.parse_args()
    work = harness.user_folder("mljob-bench-prediction-")
    bench = Bench(work)
    source = os.path.join(work, "instances.jsonl")
    fx.write_json_lines(source, fx.make_instances(args.instances, seed=3))
    small = os.path.join(work, "instances-small.jsonl")
    fx.write_json_lines(small, fx.make_instances(args.instances // 10, seed=4))
    print(f"input: {args.instances} JSON instances, {os.path.getsize(source) / 1e6:.1f} MB; cores: {os.cpu_count()}")
    for kind in args.models.split(","):
        model = os.path.join(work, f"model-{kind}")
        (fx.make_sklearn_model if kind == "sklearn" else fx.make_torchscript_model)(model)
        base_seconds, base_cpu = bench.baseline(kind, model, source)
        base_rate = args.instances / base_seconds
        print(f"{kind}: single Python process: {base_seconds:.1f} s, {base_rate:,.0f} records/s; CPU {base_cpu:.1f} s "
              f"({base_cpu / base_seconds:.2f} cores busy)")
        rates = {}
        for workers in (1, 2, 4):
            records, seconds, shards, memory, cpu = bench.mljob(kind, model, source, workers, f"w{workers}")
            rates[workers] = records / seconds
            print(f"{kind}: mljob, {shards} worker(s): {records} records in {seconds:.1f} s, {rates[workers]:,.0f} "
                  f"records/s = {rates[workers] / base_rate:.2f}x the single process; CPU {cpu:.1f} s "
                  f"({cpu / seconds:.2f} cores busy); peak RSS worker {memory[0] / 1024:.0f} MiB, model server "
                  f"{memory[1] / 1024:.0f} MiB")
        print(f"{kind}: 4 workers / 1 worker = {rates[4] / rates[1]:.2f}x; 2 / 1 = {rates[2] / rates[1]:.2f}x")
        records, seconds, _, memory_small, _ = bench.mljob(kind, model, small, 1, "small")
        print(f"{kind}: memory at {records} records: worker {memory_small[0] / 1024:.0f} MiB, model server "
              f"{memory_small[1] / 1024:.0f} MiB (1 worker; compare the 1-worker line above, 10x the input)")


if __name__ == "__main__":
    main()
