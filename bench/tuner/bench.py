#!/usr/bin/python3
"""The tuner's benchmark: mljob's optimiser core, driven through its ask/tell interface
(`mljob-study serve`), against Optuna 3.1's default TPE sampler and random search, on the same
functions and seeds, minimising. Prints a Markdown report (and writes JSON with --json).

  /usr/bin/python3 bench/tuner/bench.py --binary build/tuner/mljob-study            # full size
  /usr/bin/python3 bench/tuner/bench.py --seeds 3 --problems branin,mixed --skip latency,stopping

Not part of `make test`: the full size takes long on a small machine."""

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import drivers  # noqa: E402
import functions  # noqa: E402
import learning_curves  # noqa: E402

TARGETS = {"branin": 0.5, "hartmann6": 0.5, "rosenbrock4": 0.5, "ackley5": 1.0, "mixed": 1.0}


def target_of(problem):
    return TARGETS[problem.replace("-shifted", "")]


def simple_regret(values, minimum):
    return max(min(values) - minimum, 0.0)


def regret_section(args, report):
    rows = []
    for name in args.problems:
        params, objective, minimum = functions.problems()[name]
        regrets = {"mljob": [], "mljob-parallel5": [], "random": [], "optuna-tpe": []}
        started = time.time()
        for seed in range(args.seeds):
            values, _ = drivers.run_mljob(args.binary, params, objective, args.trials, seed)
            regrets["mljob"].append(simple_regret(values, minimum))
            values, _ = drivers.run_mljob(args.binary, params, objective, args.trials, seed, parallel=5)
            regrets["mljob-parallel5"].append(simple_regret(values, minimum))
            values, _ = drivers.run_mljob(args.binary, params, objective, args.trials, seed, algorithm="RANDOM_SEARCH")
            regrets["random"].append(simple_regret(values, minimum))
            values = drivers.run_optuna(params, objective, args.trials, seed)
            regrets["optuna-tpe"].append(simple_regret(values, minimum))
        median = {key: statistics.median(value) for key, value in regrets.items()}
        ratio = median["mljob"] / median["optuna-tpe"] if median["optuna-tpe"] > 0 else float("inf")
        parallel_ratio = median["mljob-parallel5"] / median["mljob"] if median["mljob"] > 0 else float("inf")
        rows.append({"problem": name, "median_regret": median, "regrets": regrets, "ratio_vs_optuna": ratio,
                     "target_vs_optuna": target_of(name), "parallel_ratio": parallel_ratio,
                     "seconds": time.time() - started})
        print(f"# {name}: {median} ratio {ratio:.3f} parallel {parallel_ratio:.3f} ({time.time() - started:.0f}s)",
              file=sys.stderr, flush=True)
    report["regret"] = rows
    print(f"\n### Median simple regret at {args.trials} trials, {args.seeds} seeds (lower is better)\n")
    print("| function | Optuna TPE | random | mljob | mljob / TPE (target) | mljob, 5 parallel | parallel / sequential (target 1.25) |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        m = row["median_regret"]
        ok = "ok" if row["ratio_vs_optuna"] <= row["target_vs_optuna"] else "MISSED"
        ok_parallel = "ok" if row["parallel_ratio"] <= 1.25 else "MISSED"
        print(f"| {row['problem']} | {m['optuna-tpe']:.4g} | {m['random']:.4g} | {m['mljob']:.4g} | "
              f"{row['ratio_vs_optuna']:.3f} (≤{row['target_vs_optuna']}) {ok} | {m['mljob-parallel5']:.4g} | "
              f"{row['parallel_ratio']:.3f} {ok_parallel} |")


def latency_section(args, report):
    params, objective, _ = functions.problems()["hartmann6"]
    marks = [m for m in (50, 500) if m <= args.latency_trials]
    at = {m: [] for m in marks}
    cpu_at = {m: [] for m in marks}
    for seed in range(args.latency_seeds):
        cpu = []
        _, latencies = drivers.run_mljob(args.binary, params, objective, args.latency_trials, seed, cpu=cpu)
        for m in marks:
            at[m].append(latencies[m - 1])
            # CPU time per suggestion over the ten up to trial m (the clock ticks are 10 ms).
            cpu_at[m].append((cpu[m - 1] - cpu[m - 11]) / 10)
    report["latency"] = {str(m): at[m] for m in marks}
    report["latency_cpu"] = {str(m): cpu_at[m] for m in marks}
    print(f"\n### Suggestion latency on Hartmann-6 ({args.latency_seeds} studies of {args.latency_trials} trials; "
          "wall time from sending a result to reading the next suggestion; CPU time of the mljob-study process "
          "per suggestion, averaged over the ten suggestions up to that trial)\n")
    print("| suggestion for trial | median wall | max wall | median CPU | target |")
    print("|---|---|---|---|---|")
    for m in marks:
        target = 0.025 if m == 50 else 0.100
        median = statistics.median(at[m])
        print(f"| {m} | {median * 1000:.1f} ms | {max(at[m]) * 1000:.1f} ms | "
              f"{statistics.median(cpu_at[m]) * 1000:.1f} ms | ≤{target * 1000:.0f} ms "
              f"{'ok' if median <= target else 'MISSED'} |")


def stopping_section(args, report):
    params, _, minimum = functions.problems()["hartmann6"]
    report["early_stopping"] = {}
    print(f"\n### Early stopping (median stopping rule) on synthetic learning curves: Hartmann-6 final losses, "
          f"{learning_curves.STEPS} steps, a report every {learning_curves.REPORT_EVERY}, {args.trials} sequential "
          f"trials, {args.stopping_seeds} seeds\n")
    print("| algorithm | steps trained without / with | compute saved (target ≥2x) | median final regret without / with "
          "| ratio (target ≤1.05) | seeds whose eventual best trial was stopped (target ≤5 %) |")
    print("|---|---|---|---|---|---|")
    for algorithm in ("ALGORITHM_UNSPECIFIED", "RANDOM_SEARCH"):
        summary = {True: {"steps": [], "regret": [], "best_stopped": 0}, False: {"steps": [], "regret": []}}
        for seed in range(args.stopping_seeds):
            for early in (False, True):
                steps, results = drivers.run_mljob_curves(args.binary, params, args.trials, seed, early,
                                                          learning_curves, algorithm)
                summary[early]["steps"].append(steps)
                summary[early]["regret"].append(simple_regret([r["value"] for r in results], minimum))
                if early:
                    # The trial that would have ended best had nothing been stopped.
                    best = min(results, key=lambda r: r["unstopped"])
                    summary[early]["best_stopped"] += best["stopped"]
        without, with_ = summary[False], summary[True]
        compute_ratio = sum(without["steps"]) / sum(with_["steps"])
        regret_without, regret_with = statistics.median(without["regret"]), statistics.median(with_["regret"])
        regret_ratio = regret_with / regret_without if regret_without > 0 else float("inf")
        share = with_["best_stopped"] / args.stopping_seeds
        report["early_stopping"][algorithm] = {"without": without, "with": with_, "compute_ratio": compute_ratio,
                                               "regret_ratio": regret_ratio, "best_stopped_share": share}
        name = "Bayesian (default)" if algorithm == "ALGORITHM_UNSPECIFIED" else "RANDOM_SEARCH"
        print(f"| {name} | {sum(without['steps'])} / {sum(with_['steps'])} | {compute_ratio:.2f}x "
              f"{'ok' if compute_ratio >= 2 else 'MISSED'} | {regret_without:.4g} / {regret_with:.4g} | "
              f"{regret_ratio:.3f} {'ok' if regret_ratio <= 1.05 else 'MISSED'} | "
              f"{with_['best_stopped']} of {args.stopping_seeds} ({share * 100:.0f} %) {'ok' if share <= 0.05 else 'MISSED'} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default="build/tuner/mljob-study")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--problems", default=",".join(functions.problems()))
    parser.add_argument("--latency-trials", type=int, default=500)
    parser.add_argument("--latency-seeds", type=int, default=3)
    parser.add_argument("--stopping-seeds", type=int, default=20)
    parser.add_argument("--skip", default="", help="comma-separated sections to skip: regret, latency, stopping")
    parser.add_argument("--json", help="also write the raw figures here")
    args = parser.parse_args()
    args.problems = [p for p in args.problems.split(",") if p]
    args.binary = os.path.abspath(args.binary)
    skip = set(args.skip.split(","))
    report = {"args": vars(args)}
    started = time.time()
    print(f"Tuner benchmark: `{' '.join(sys.argv)}` on {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f} at start")
    if "regret" not in skip:
        regret_section(args, report)
    if "latency" not in skip:
        latency_section(args, report)
    if "stopping" not in skip:
        stopping_section(args, report)
    print(f"\nTotal time {time.time() - started:.0f} s; load {os.getloadavg()[0]:.2f} at the end.")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(report, out, indent=1)


if __name__ == "__main__":
    main()
