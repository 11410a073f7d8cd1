"""The optimisers under test, each driven the way its users drive it: mljob's tuner through its
ask/tell interface (`mljob-study serve`, JSON lines), Optuna 3.1 through its own API."""

import json
import os
import subprocess
import tempfile
import time


class MljobStudy:
    """One `mljob-study serve` process: suggestions come as JSON lines on its stdout, results go
    as JSON lines to its stdin."""

    def __init__(self, binary, spec, seed):
        self._spec_file = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump(spec, self._spec_file)
        self._spec_file.close()
        self._process = subprocess.Popen([binary, "serve", "--spec", self._spec_file.name, "--seed", str(seed)],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def cpu_seconds(self):
        """CPU time the process has used so far (user + system; clock-tick resolution)."""
        with open(f"/proc/{self._process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def read(self):
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"mljob-study ended early (exit {self._process.wait()})")
        return json.loads(line)

    def send(self, message):
        self._process.stdin.write(json.dumps(message) + "\n")
        self._process.stdin.flush()

    def close(self):
        self._process.stdin.close()
        self._process.wait()
        os.unlink(self._spec_file.name)


def mljob_spec(params, trials, parallel, algorithm="ALGORITHM_UNSPECIFIED", early_stopping=False):
    return {"goal": "MINIMIZE", "params": params, "maxTrials": trials, "maxParallelTrials": parallel,
            "algorithm": algorithm, "enableTrialEarlyStopping": early_stopping}


def run_mljob(binary, params, objective, trials, seed, parallel=1, algorithm="ALGORITHM_UNSPECIFIED", cpu=None):
    """Values in the order the trials were suggested, and each suggestion's latency in seconds
    (from sending the result that freed the slot to reading the suggestion). With `cpu` (a list),
    also the process's CPU seconds used so far, read after each suggestion (to tell its own work
    from waiting for a core on a shared machine)."""
    study = MljobStudy(binary, mljob_spec(params, trials, parallel, algorithm), seed)
    values, latencies = {}, []
    queue = []  # suggested, not yet told: told in the order suggested (oldest finishes first)
    sent_at = time.perf_counter()
    while True:
        message = study.read()
        if message.get("done"):
            break
        latencies.append(time.perf_counter() - sent_at)
        if cpu is not None:
            cpu.append(study.cpu_seconds())
        queue.append(message)
        if len(queue) < parallel and len(values) + len(queue) < trials:
            continue  # the process fills every free slot before it waits for a result
        trial = queue.pop(0)
        values[int(trial["trialId"])] = objective(trial["parameters"])
        sent_at = time.perf_counter()
        study.send({"trialId": trial["trialId"], "value": values[int(trial["trialId"])]})
        while queue and len(values) + len(queue) >= trials:  # no more suggestions to come: drain
            trial = queue.pop(0)
            values[int(trial["trialId"])] = objective(trial["parameters"])
            sent_at = time.perf_counter()
            study.send({"trialId": trial["trialId"], "value": values[int(trial["trialId"])]})
    study.close()
    return [values[i] for i in sorted(values)], latencies


def run_optuna(params, objective, trials, seed):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def optuna_objective(trial):
        x = {}
        for p in params:
            name = p["parameterName"]
            if p["type"] == "DOUBLE":
                x[name] = trial.suggest_float(name, p["minValue"], p["maxValue"])
            elif p["type"] == "INTEGER":
                x[name] = trial.suggest_int(name, p["minValue"], p["maxValue"])
            else:
                x[name] = trial.suggest_categorical(name, p["categoricalValues"])
        return objective(x)

    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(optuna_objective, n_trials=trials)
    return [t.value for t in study.trials]


def run_mljob_curves(binary, params, trials, seed, early_stopping, curves, algorithm="ALGORITHM_UNSPECIFIED"):
    """A sequential study whose trials report a learning curve (`curves`: learning_curves) every
    REPORT_EVERY steps; with early stopping on, the tuner may answer shouldStop. Returns the
    steps trained in all, each trial's reported final value, whether it was stopped, and the
    value it would have reached unstopped."""
    study = MljobStudy(binary, mljob_spec(params, trials, 1, algorithm, early_stopping), seed)
    steps_trained, results = 0, []
    while True:
        message = study.read()
        if message.get("done"):
            break
        trial_id, x = message["trialId"], message["parameters"]
        stopped, value = False, None
        for step in range(curves.REPORT_EVERY, curves.STEPS + 1, curves.REPORT_EVERY):
            value = curves.curve_value(x, step, curves.noise(seed, trial_id, step))
            steps_trained += curves.REPORT_EVERY
            study.send({"trialId": trial_id, "step": step, "value": value})
            if study.read()["shouldStop"]:
                stopped = True
                break
        if not stopped:
            study.send({"trialId": trial_id, "value": value, "step": curves.STEPS, "final": True})
        results.append({"value": value, "stopped": stopped, "unstopped": curves.final_value(x)})
    study.close()
    return steps_trained, results
