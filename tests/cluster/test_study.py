"""Tuning studies on the real cluster: `mljob submit training` of a spec with
hyperparameters.params runs the study's controller as a Slurm job, which runs each trial as a
plain mljob training job with the trial's hyperparameters as --name=value arguments, reads each
trial's objective from its metrics (the cloudml-hypertune file) and shows the study's
TrainingOutput, best trial first. The controller is killed mid-study and resumed: the study
finishes with every trial run exactly once."""
import json
import os
import shutil
import tempfile
import textwrap
import time
import unittest

from harness import ClusterTestCase, ROOT

TRAINER = os.path.join(ROOT, "etc", "examples", "hptrainer")
MAX_TRIALS = 5

CONFIG = textwrap.dedent(f'''
    trainingInput:
      scaleTier: BASIC
      pythonModule: hptrainer.task
      args: ["--epochs=3", "--seconds-per-epoch=1"]
      hyperparameters:
        goal: MAXIMIZE
        hyperparameterMetricTag: objective
        maxTrials: {MAX_TRIALS}
        maxParallelTrials: 2
        algorithm: RANDOM_SEARCH
        params:
          - {{parameterName: x, type: DOUBLE, minValue: 0.0, maxValue: 1.0}}
''')


def expected_objective(x):
    return round(1.0 - (x - 0.3) ** 2, 6)  # the trainer's value at its last epoch


class Study(ClusterTestCase):
    def setUp(self):
        super().setUp()
        self.work = tempfile.mkdtemp(prefix="mljob-study-test-")
        self.addCleanup(shutil.rmtree, self.work, ignore_errors=True)
        self.config = os.path.join(self.work, "study.yaml")
        with open(self.config, "w") as out:
            out.write(CONFIG)

    def controller_slurm_ids(self, study_id):
        out = self.slurm("squeue", "--noheader", "--all", "--format=%i|%k")
        return [line.split("|")[0] for line in out.splitlines() if line.split("|")[-1] == f"mljob:{study_id}"]

    def slurm_jobs_run_in(self, folder):
        """Every Slurm job accounting knows that ran in `folder` (the trial's job folder)."""
        out = self.slurm("sacct", "--allusers", "--allocations", "--noheader", "--parsable2",
                         "--starttime=now-1hour", "--format=JobID,WorkDir")
        return [row.split("|")[0] for row in out.splitlines() if row.split("|")[-1] == folder]

    def test_study_runs_trials_survives_a_controller_restart_and_reports_best_first(self):
        study_id = self.unique_id("study")
        self.mljob("submit", "training", study_id, "--config", self.config, "--package-path", TRAINER)

        # Kill the controller once some trials are out, then resume it.
        deadline = time.time() + 120
        while time.time() < deadline and len(self.describe(study_id).get("trainingOutput", {}).get("trials", [])) < 3:
            time.sleep(1)
        self.assertLess(int(self.describe(study_id)["trainingOutput"]["completedTrialCount"]), MAX_TRIALS,
                        "the study ended before its controller could be killed mid-study")
        controllers = self.controller_slurm_ids(study_id)
        self.assertEqual(len(controllers), 1, controllers)
        self.slurm("scancel", controllers[0])
        self.wait_for_state(study_id, ["CANCELLED", "FAILED"], timeout=60)
        self.mljob("study", "resume", study_id)

        study = self.wait_for_state(study_id, ["SUCCEEDED", "FAILED", "CANCELLED"], timeout=240)
        self.assertEqual(study["state"], "SUCCEEDED", study)
        output = study["trainingOutput"]
        self.assertTrue(output["isHyperparameterTuningJob"])
        self.assertEqual(output["completedTrialCount"], str(MAX_TRIALS))
        self.assertEqual(output["hyperparameterMetricTag"], "objective")
        trials = output["trials"]
        self.assertEqual(sorted(int(t["trialId"]) for t in trials), list(range(1, MAX_TRIALS + 1)))
        values = []
        for trial in trials:
            self.assertEqual(trial["state"], "SUCCEEDED", trial)
            x = float(trial["hyperparameters"]["x"])
            value = trial["finalMetric"]["objectiveValue"]
            self.assertAlmostEqual(value, expected_objective(x), places=5, msg=trial)
            values.append(value)
            # Each trial is a plain mljob job with the trial's argument, run exactly once.
            trial_job = f"{study_id}_trial_{trial['trialId']}"
            described = self.describe(trial_job)
            self.assertEqual(described["state"], "SUCCEEDED")
            self.assertIn(f"--x={trial['hyperparameters']['x']}", described["trainingInput"]["args"])
            # SageMaker's form too: the trial's hyperparameters (strings) in SM_HPS.
            self.assertIn("SM_HPS " + json.dumps({"x": trial["hyperparameters"]["x"]}, separators=(",", ":")),
                          self.output_of(trial_job))
            folder = os.path.join(self.home, "jobs", trial_job)
            self.assertEqual(len(self.slurm_jobs_run_in(folder)), 1, f"trial {trial_job} ran more than once")
        self.assertEqual(values, sorted(values, reverse=True), "trials are not best first")

    def test_a_crashing_trial_fails_and_a_bad_trial_is_stopped_early(self):
        # Grid search over DISCRETE x runs the values in order, 3 at a time: 0.1, 0.2, 0.25 end
        # first; then 0.3 (the best), 0.9 (crashes) and 0.95 (far worse than the median of the
        # completed trials at its first step: the median stopping rule stops it).
        config = textwrap.dedent('''
            trainingInput:
              scaleTier: BASIC
              pythonModule: hptrainer.task
              args: ["--epochs=6", "--seconds-per-epoch=1", "--crash-at-x=0.9"]
              hyperparameters:
                goal: MAXIMIZE
                hyperparameterMetricTag: objective
                maxTrials: 6
                maxParallelTrials: 3
                maxFailedTrials: 2
                algorithm: GRID_SEARCH
                enableTrialEarlyStopping: true
                params:
                  - {parameterName: x, type: DISCRETE, discreteValues: [0.1, 0.2, 0.25, 0.3, 0.9, 0.95]}
        ''')
        with open(self.config, "w") as out:
            out.write(config)
        study_id = self.unique_id("study_stop")
        self.mljob("submit", "training", study_id, "--config", self.config, "--package-path", TRAINER)
        study = self.wait_for_state(study_id, ["SUCCEEDED", "FAILED", "CANCELLED"], timeout=240)
        self.assertEqual(study["state"], "SUCCEEDED", study)
        trials = {float(t["hyperparameters"]["x"]): t for t in study["trainingOutput"]["trials"]}
        self.assertEqual(sorted(trials), [0.1, 0.2, 0.25, 0.3, 0.9, 0.95])
        self.assertEqual(float(study["trainingOutput"]["trials"][0]["hyperparameters"]["x"]), 0.3)
        crashed = trials[0.9]
        self.assertEqual(crashed["state"], "FAILED", crashed)
        self.assertIn("FAILED", crashed["errorMessage"])
        stopped = trials[0.95]
        self.assertEqual(stopped["state"], "SUCCEEDED", stopped)
        self.assertTrue(stopped["isTrialStoppedEarly"], stopped)
        self.assertLess(int(stopped["finalMetric"]["trainingStep"]), 6, stopped)
        for x in (0.1, 0.2, 0.25, 0.3):
            self.assertEqual(trials[x]["state"], "SUCCEEDED", trials[x])
            self.assertFalse(trials[x]["isTrialStoppedEarly"], trials[x])
            self.assertAlmostEqual(trials[x]["finalMetric"]["objectiveValue"], expected_objective(x), places=5)
        # The stopped trial's job was signalled and cancelled rather than run to its end.
        stopped_job = self.describe(f"{study_id}_trial_{stopped['trialId']}")
        self.assertIn(stopped_job["state"], ("CANCELLED", "FAILED"), stopped_job)

    def test_max_failed_trials_fails_the_study_naming_the_failed_trials(self):
        # Grid over x = 0.5 (crashes), 0.6, one at a time; maxFailedTrials 1 ends it after trial 1.
        config = CONFIG.replace("maxParallelTrials: 2", "maxParallelTrials: 1\n    maxFailedTrials: 1").replace(
            "maxTrials: 5", "maxTrials: 3").replace('"--seconds-per-epoch=1"', '"--seconds-per-epoch=1", "--crash-at-x=0.5"')
        config = config.replace("{parameterName: x, type: DOUBLE, minValue: 0.0, maxValue: 1.0}",
                                "{parameterName: x, type: DISCRETE, discreteValues: [0.5, 0.6]}").replace(
                                "RANDOM_SEARCH", "GRID_SEARCH")
        with open(self.config, "w") as out:
            out.write(config)
        study_id = self.unique_id("study_fail")
        self.mljob("submit", "training", study_id, "--config", self.config, "--package-path", TRAINER)
        study = self.wait_for_state(study_id, ["SUCCEEDED", "FAILED", "CANCELLED"], timeout=120)
        self.assertEqual(study["state"], "FAILED", study)
        output = study["trainingOutput"]
        self.assertEqual([t["state"] for t in output["trials"]], ["FAILED"], output)
        # Trial 2 (x=0.6) would succeed: the study stopped at the first failure, as maxFailedTrials says.
        self.assertIn("maxFailedTrials is 1): trials 1", output["errorMessage"])
        self.assertIn("crashing on purpose", self.output_of(f"{study_id}_trial_1"))

    def test_cancelling_the_study_cancels_its_running_trials(self):
        config = CONFIG.replace('"--epochs=3"', '"--epochs=60"')
        with open(self.config, "w") as out:
            out.write(config)
        study_id = self.unique_id("study_cancel")
        self.mljob("submit", "training", study_id, "--config", self.config, "--package-path", TRAINER)
        trials = [f"{study_id}_trial_1", f"{study_id}_trial_2"]
        deadline = time.time() + 120
        while time.time() < deadline and not all(
                os.path.exists(os.path.join(self.home, "jobs", t, "job.json")) for t in trials):
            time.sleep(1)
        for trial in trials:
            self.wait_for_state(trial, ["RUNNING"], timeout=60)
        self.mljob("cancel", study_id)
        self.wait_for_state(study_id, ["CANCELLED"], timeout=60)
        for trial in trials:
            self.wait_for_state(trial, ["CANCELLED"], timeout=60)
        deadline = time.time() + 30
        while time.time() < deadline:
            output = self.describe(study_id)["trainingOutput"]
            if all(t["state"] == "FAILED" for t in output["trials"]):
                break
            time.sleep(1)
        self.assertEqual([t.get("errorMessage") for t in output["trials"]], ["cancelled with the study"] * 2, output)


if __name__ == "__main__":
    unittest.main()
