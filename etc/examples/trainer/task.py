"""A tiny distributed "trainer" for the demo and the tests. It needs no ML framework: it
prints its role as TF_CONFIG describes it, checks that its own address is in the cluster,
and prints one metric line per epoch, as a real trainer would.

Run as AI Platform runs a trainer: python3 -m trainer.task [--epochs N] --job-dir DIR
"""
import argparse
import json
import math
import os
import sys


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--job-dir", required=True)
    parser.add_argument("--fail", action="store_true", help="exit 3 (to test failure reporting)")
    parser.add_argument("--sleep", type=float, default=0.0, help="seconds to sleep per epoch")
    parser.add_argument("--echo-args", action="store_true", help="print sys.argv as JSON")
    return parser.parse_known_args(argv)


def read_tf_config():
    text = os.environ.get("TF_CONFIG")
    if not text:
        sys.exit("trainer: TF_CONFIG is not set: the mljob SPANK plugin did not run for this task")
    config = json.loads(text)
    task = config["task"]
    cluster = config["cluster"]
    addresses = cluster.get(task["type"], [])
    if task["type"] != "evaluator" and not (0 <= task["index"] < len(addresses)):
        sys.exit(f"trainer: my task {task} is not in the cluster {cluster}")
    return config


def main(argv):
    args, unknown = parse_args(argv)
    if args.echo_args:
        print("ARGV " + json.dumps(sys.argv[1:]), flush=True)
    config = read_tf_config()
    task = config["task"]
    role = f"{task['type']}:{task['index']}"
    print(f"ROLE {role} TF_CONFIG {json.dumps(config, sort_keys=True)}", flush=True)
    if os.environ.get("SM_MODEL_DIR"):
        print(f"{role} SM_MODEL_DIR={os.environ['SM_MODEL_DIR']}", flush=True)
    if unknown:
        print(f"{role} ignoring unknown arguments {unknown}", flush=True)
    if args.fail and task["type"] == "worker":
        sys.exit(3)
    loss = 2.0
    for epoch in range(1, args.epochs + 1):
        loss = loss * 0.6 + 0.05 * math.sin(epoch)
        print(f"{role} epoch={epoch} loss={loss:.4f} accuracy={1 - loss / 3:.4f}", flush=True)
        if args.sleep:
            import time
            time.sleep(args.sleep)
    if task["type"] in ("master", "chief"):
        os.makedirs(args.job_dir, exist_ok=True)
        with open(os.path.join(args.job_dir, "model.txt"), "w") as out:
            out.write(f"final loss {loss:.4f}\n")
    print(f"{role} done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
