#!/usr/bin/python3
"""What the parallel-regret target ("5 in parallel: median regret at 50 trials at most 1.25x your
own sequential regret", 20 seeds) can tell apart, measured on the optimiser itself.

For each benchmark function, the sequential and the 5-parallel studies are run on many seeds
(`bench/tuner/drivers.py`, the same ask/tell path as bench.py). Then:

- the sequential study against itself: the median regret at 50 trials of seeds 0-19 against that
  of the next 20 seeds, and the chance (bootstrap over the seeds run) that two 20-seed medians of
  this one algorithm differ by more than 1.25x. That is how often the benchmark's test would
  fail a parallel method exactly as good as the sequential one, by chance alone;
- the chance (paired bootstrap: seeds resampled together) that the test passes for the 5-parallel
  study as built;
- how steep the sequential median is at the end: the trials of lag that 1.25x allows (the
  largest k with median regret at trial 50-k at most 1.25x that at 50). Each parallel
  suggestion is made without the four latest results.

  /usr/bin/python3 bench/tuner/parallel_resolution.py [--seeds 60] [--problems a,b] [--json F]"""

import argparse
import json
import os
import random
import statistics
import sys
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import drivers  # noqa: E402
import functions  # noqa: E402

TARGET = 1.25
BENCH_SEEDS = 20


def regret_curve(binary, problem, trials, seed, parallel):
    """The best regret so far after each trial, in the order the trials were suggested."""
    params, objective, minimum = functions.problems()[problem]
    values, _ = drivers.run_mljob(binary, params, objective, trials, seed, parallel=parallel)
    curve, best = [], float("inf")
    for value in values:
        best = min(best, value)
        curve.append(max(best - minimum, 0.0))
    return curve


def ratio(numerator, denominator):
    return numerator / denominator if denominator > 0 else float("inf")


def chance_two_draws_differ(finals, draws, rng):
    """How often two independent 20-seed medians of the same runs differ by more than TARGET."""
    differ = 0
    for _ in range(draws):
        a = statistics.median(rng.choices(finals, k=BENCH_SEEDS))
        b = statistics.median(rng.choices(finals, k=BENCH_SEEDS))
        differ += ratio(max(a, b), min(a, b)) > TARGET
    return differ / draws


def chance_parallel_passes(sequential, parallel, draws, rng):
    """How often a 20-seed draw (seeds resampled together) gives parallel/sequential <= TARGET."""
    seeds = range(len(sequential))
    passes = 0
    for _ in range(draws):
        picked = rng.choices(seeds, k=BENCH_SEEDS)
        passes += ratio(statistics.median(parallel[s] for s in picked),
                        statistics.median(sequential[s] for s in picked)) <= TARGET
    return passes / draws


def allowed_lag(median_curve, trials):
    at_end = median_curve[trials - 1]
    lag = 0
    while lag + 1 < trials and median_curve[trials - 2 - lag] <= TARGET * at_end:
        lag += 1
    return lag


def analyse(problem, curves, trials, draws):
    rng = random.Random(f"parallel-resolution/{problem}")
    sequential = [curve[trials - 1] for curve in curves[1]]
    parallel = [curve[trials - 1] for curve in curves[5]]
    median_curve = [statistics.median(curve[t] for curve in curves[1]) for t in range(trials)]
    first = statistics.median(sequential[:BENCH_SEEDS])
    second = statistics.median(sequential[BENCH_SEEDS:2 * BENCH_SEEDS])
    return {
        "problem": problem,
        "seeds": len(sequential),
        "sequential_median": statistics.median(sequential),
        "parallel_median": statistics.median(parallel),
        "sequential_first_20": first,
        "sequential_next_20": second,
        "sequential_against_itself": ratio(max(first, second), min(first, second)),
        "chance_same_algorithm_differs": chance_two_draws_differ(sequential, draws, rng),
        "chance_parallel_passes": chance_parallel_passes(sequential, parallel, draws, rng),
        "allowed_lag": allowed_lag(median_curve, trials),
        "sequential_median_curve": median_curve,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default="build/tuner/mljob-study")
    parser.add_argument("--seeds", type=int, default=60)
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--draws", type=int, default=4000)
    parser.add_argument("--jobs", type=int, default=2, help="studies run at once")
    parser.add_argument("--problems", default=",".join(functions.problems()))
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    if args.seeds < 2 * BENCH_SEEDS:
        parser.error(f"--seeds must be at least {2 * BENCH_SEEDS} (two sets of {BENCH_SEEDS})")
    binary = os.path.abspath(args.binary)
    problems = args.problems.split(",")
    tasks = [(problem, parallel, seed) for problem in problems for parallel in (1, 5) for seed in range(args.seeds)]
    curves = {problem: {1: [None] * args.seeds, 5: [None] * args.seeds} for problem in problems}
    with ThreadPoolExecutor(args.jobs) as pool:
        results = pool.map(lambda task: (task, regret_curve(binary, task[0], args.trials, task[2], task[1])), tasks)
        for (problem, parallel, seed), curve in results:
            curves[problem][parallel][seed] = curve

    rows = [analyse(problem, curves[problem], args.trials, args.draws) for problem in problems]
    print(f"\n{args.seeds} seeds, {args.trials} trials; chances from {args.draws} bootstrap draws of {BENCH_SEEDS} seeds\n")
    print("| function | sequential, seeds 0-19 / 20-39 (ratio) | same algorithm fails 1.25x by chance | "
          "5 parallel / sequential, all seeds | 5 parallel passes | lag 1.25x allows |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['problem']} | {row['sequential_first_20']:.3g} / {row['sequential_next_20']:.3g} "
              f"({row['sequential_against_itself']:.2f}) | {row['chance_same_algorithm_differs'] * 100:.0f} % | "
              f"{ratio(row['parallel_median'], row['sequential_median']):.2f} | "
              f"{row['chance_parallel_passes'] * 100:.0f} % | {row['allowed_lag']} trials |")
    everywhere = 1.0
    for row in rows:
        # A method as good as sequential passes one function with at least this chance: the two
        # medians differ by more than 1.25x either way with the chance measured, and it fails
        # only when its own is the larger one (half of those draws, by symmetry).
        everywhere *= 1.0 - row["chance_same_algorithm_differs"] / 2
    print(f"\nA parallel method exactly as good as the sequential one passes on all {len(rows)} functions "
          f"with a chance of about {everywhere * 100:.1f} %.")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(rows, out, indent=1)


if __name__ == "__main__":
    main()
