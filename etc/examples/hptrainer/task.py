"""A tiny trainer for tuning studies: takes --x and --epochs as AI Platform passes
hyperparameters, and reports its objective each epoch as cloudml-hypertune does (JSON lines in
$CLOUD_ML_HP_METRIC_FILE); --crash-at-x makes one trial fail. The objective climbs to 1 - (x - 0.3)^2, so the best x is 0.3 and a
test can check every trial's final value against its x."""
import argparse
import json
import os
import sys
import time


def objective(x, epoch, epochs):
    return round((1.0 - (x - 0.3) ** 2) * epoch / epochs, 6)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--x", type=float, required=True)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seconds-per-epoch", type=float, default=1.0)
    parser.add_argument("--crash-at-x", type=float, default=None, help="exit 1 before reporting when x is this")
    parser.add_argument("--job-dir", default="")
    args = parser.parse_args()
    metric_file = os.environ["CLOUD_ML_HP_METRIC_FILE"]
    print("SM_HPS", os.environ.get("SM_HPS"), flush=True)
    if "HPTRAINER_GREETING" in os.environ:  # set by a study's Environment (SageMaker's)
        print("HPTRAINER_GREETING", os.environ["HPTRAINER_GREETING"], flush=True)
    if args.crash_at_x is not None and args.x == args.crash_at_x:
        sys.exit(f"crashing on purpose: x is {args.x}")
    for epoch in range(1, args.epochs + 1):
        time.sleep(args.seconds_per_epoch)
        value = objective(args.x, epoch, args.epochs)
        with open(metric_file, "a") as out:
            out.write(json.dumps({"timestamp": time.time(), "trial": "0", "objective": str(value),
                                  "global_step": str(epoch)}) + "\n")
        # Printed too, after the file, as many trainers do: the log extractor keeps it as a
        # second record without a step, which finalMetric must not take over the stepped one.
        print(f"epoch {epoch} of {args.epochs} done: objective={value}", flush=True)


if __name__ == "__main__":
    main()
