#!/usr/bin/python3
"""How much trial compute any median-type stopping rule could save at best on the early-stopping
benchmark's learning curves: each seed's study is run without stopping, and an oracle then stops,
at its first report, every trial whose final value (known here) is worse than the median of the
final values of the trials before it. A rule that only stops trials worse than the typical
earlier one cannot save more than that (short of stopping good trials); the Bayesian optimiser's
later trials are mostly better than the earlier ones, so the bound is low for it.

  /usr/bin/python3 bench/tuner/stopping_bound.py [--seeds 20] [--trials 50]"""

import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import drivers  # noqa: E402
import functions  # noqa: E402
import learning_curves  # noqa: E402


def unstopped_finals(binary, params, trials, seed, algorithm):
    """The final value of each trial of a study run without early stopping, in trial order."""
    finals = []
    study = drivers.MljobStudy(binary, drivers.mljob_spec(params, trials, 1, algorithm, False), seed)
    while True:
        message = study.read()
        if message.get("done"):
            break
        trial_id, x = message["trialId"], message["parameters"]
        for step in range(learning_curves.REPORT_EVERY, learning_curves.STEPS + 1, learning_curves.REPORT_EVERY):
            value = learning_curves.curve_value(x, step, learning_curves.noise(seed, trial_id, step))
            study.send({"trialId": trial_id, "step": step, "value": value})
            study.read()
        study.send({"trialId": trial_id, "value": value, "step": learning_curves.STEPS, "final": True})
        finals.append(learning_curves.final_value(x))
    study.close()
    return finals


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default="build/tuner/mljob-study")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--trials", type=int, default=50)
    args = parser.parse_args()
    params = functions.problems()["hartmann6"][0]
    full_trial = learning_curves.STEPS
    first_report = learning_curves.REPORT_EVERY
    for algorithm in ("ALGORITHM_UNSPECIFIED", "RANDOM_SEARCH"):
        steps_without, steps_oracle, shares = 0, 0, []
        for seed in range(args.seeds):
            finals = unstopped_finals(os.path.abspath(args.binary), params, args.trials, seed, algorithm)
            stopped = sum(1 for t in range(1, len(finals)) if finals[t] > statistics.median(finals[:t]))
            steps_without += len(finals) * full_trial
            steps_oracle += len(finals) * full_trial - stopped * (full_trial - first_report)
            shares.append(stopped / len(finals))
        print(f"{algorithm}: oracle saves {steps_without / steps_oracle:.2f}x "
              f"({statistics.mean(shares) * 100:.0f} % of trials end worse than the median of those before them)")


if __name__ == "__main__":
    main()
