"""A PyTorch check that needs nothing but what the mljob SPANK plugin sets: joins the
torch world with torch.distributed.init_process_group(backend="gloo", init_method="env://")
(MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK), all-reduces its rank + 1, and prints

    ALLREDUCE rank=R world=W sum=S expected=E role=ROLE:INDEX host=HOST

Every rank's sum must be W*(W+1)/2. Before that, every task (all roles) prints
TF_CONFIG_SELF {json}: its type, index, the address TF_CONFIG gives it there, its node
and the whole cluster, for the tests to compare. Parameter servers and evaluators are not in the torch
world (the plugin gives them no RANK): they say so and exit 0.

Run as AI Platform runs a trainer: python3 -m torch_allreduce.task --job-dir DIR
"""
import argparse
import datetime
import json
import os
import socket
import sys


def print_tf_config_check():
    """TF_CONFIG as TensorFlow reads it: this task's own address, found at its own type and
    index, and the whole cluster (the test compares it across tasks)."""
    config = json.loads(os.environ["TF_CONFIG"])
    task = config["task"]
    address = config["cluster"][task["type"]][task["index"]]
    print("TF_CONFIG_SELF " + json.dumps({
        "type": task["type"], "index": task["index"], "address": address,
        "node": os.environ.get("SLURMD_NODENAME"), "cluster": config["cluster"],
        "environment": config.get("environment")}, sort_keys=True), flush=True)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--job-dir", default=None, help="accepted (AI Platform passes it); unused")
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait for the others")
    args, _ = parser.parse_known_args(argv)

    role = f"{os.environ.get('MLJOB_ROLE')}:{os.environ.get('MLJOB_INDEX')}"
    print_tf_config_check()
    if "RANK" not in os.environ:
        print(f"ALLREDUCE none role={role}: not in the torch world", flush=True)
        return 0
    import torch
    import torch.distributed as dist

    dist.init_process_group(backend="gloo", init_method="env://",
                            timeout=datetime.timedelta(seconds=args.timeout))
    rank, world = dist.get_rank(), dist.get_world_size()
    value = torch.tensor([float(rank + 1)])
    dist.all_reduce(value, op=dist.ReduceOp.SUM)
    expected = world * (world + 1) // 2
    print(f"ALLREDUCE rank={rank} world={world} sum={int(value.item())} expected={expected} "
          f"role={role} host={socket.gethostname()} node={os.environ.get('SLURMD_NODENAME')}",
          flush=True)
    dist.destroy_process_group()
    return 0 if int(value.item()) == expected else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
