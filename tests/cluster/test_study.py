"""Tuning studies on the real cluster: `mljob submit training` of a spec with
hyperparameters.params runs the study's controller as a Slurm job, which runs each trial as a
plain mljob training job with the trial's hyperparameters as --name=value arguments, reads each
trial's objective from its metrics (the cloudml-hypertune file) and shows the study's
TrainingOutput, best trial first. The controller is killed mid-study and resumed: the study
finishes with every trial run exactly once."""
import json
import os
import shutil
import subprocess
import textwrap
import unittest

from harness import FIXTURES, ClusterTestCase, NotYet, poll_until

TRAINER = os.path.join(FIXTURES, "etc", "examples", "hptrainer")
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
        self.work = self.scratch("mljob-study-test-")
        self.addCleanup(shutil.rmtree, self.work, ignore_errors=True)
        self.config = os.path.join(self.work, "study.yaml")
        with open(self.config, "w") as out:
            out.write(CONFIG)

    def controller_slurm_ids(self, study_id):
        out = self.slurm("squeue", "--noheader", "--all", "--format=%i|%k")
        return [line.split("|")[0] for line in out.splitlines() if line.split("|")[-1] == f"mljob:{study_id}"]

    def submit_study(self, config, prefix):
        """Writes `config`, submits it as a new study and returns the study's job ID."""
        with open(self.config, "w") as out:
            out.write(config)
        study_id = self.unique_id(prefix)
        self.mljob("submit", "training", study_id, "--config", self.config, "--package-path", TRAINER)
        return study_id

    def wait_for_trials(self, study_id, count, timeout):
        """Waits until the study's description lists `count` trials or more."""
        def listed():
            trials = self.describe(study_id).get("trainingOutput", {}).get("trials", [])
            return len(trials) >= count or NotYet(len(trials))
        poll_until(listed, timeout, what=f"{study_id} to list {count} trials")

    def run_study(self, config, prefix, timeout=300):
        """Submits `config` as a study and waits for it to succeed; returns (ID, its resource)."""
        study_id = self.submit_study(config, prefix)
        study = self.wait_for_state(study_id, ["SUCCEEDED", "FAILED", "CANCELLED"], timeout=timeout)
        self.assertEqual(study["state"], "SUCCEEDED", study)
        return study_id, study

    def trial_runs(self, study_id):
        """{trialId: [(Slurm job ID, start, end), ...]} for every run accounting knows of the
        study's trials: jobs of their own (comment mljob:<study>_trial_<n>) and elements of the
        study's job arrays (comment mljob:<study>_trials:<ids>, job ID <array>_<n>)."""
        out = subprocess.run(["sacct", "--allusers", "--allocations", "--noheader", "--parsable2",
                              "--starttime=now-1hour", "--format=JobID,Start,End,Comment"],
                             env=dict(self.env, SLURM_TIME_FORMAT="%s"), capture_output=True, text=True,
                             check=True, timeout=60).stdout
        runs = {}
        for row in out.splitlines():
            job_id, start, end, comment = row.split("|", 3)
            if comment.startswith(f"mljob:{study_id}_trial_"):
                trial = comment[len(f"mljob:{study_id}_trial_"):]
            elif comment.startswith(f"mljob:{study_id}_trials:") and "_" in job_id and "[" not in job_id:
                trial = job_id.split("_")[1]
            else:
                continue
            runs.setdefault(trial, []).append((job_id, start, end))
        return runs

    def most_running_at_once(self, study_id):
        """The largest number of the study's trials whose runs (sacct Start..End) overlapped."""
        events = []
        for runs in self.trial_runs(study_id).values():
            for _, start, end in runs:
                if start.isdigit() and end.isdigit():
                    events += [(int(start), 1), (int(end), -1)]
        running = most = 0
        for _, change in sorted(events):  # at one second, an end (-1) sorts before a start
            running += change
            most = max(most, running)
        return most

    def test_study_runs_trials_survives_a_controller_restart_and_reports_best_first(self):
        # The Bayesian default: trials are asked for as slots free, so the restarted controller
        # must pick up the study's history exactly where the killed one left it.
        study_id = self.submit_study(CONFIG.replace("algorithm: RANDOM_SEARCH", "algorithm: ALGORITHM_UNSPECIFIED"), "study")

        # Kill the controller once some trials are out, then resume it.
        self.wait_for_trials(study_id, 3, timeout=120)
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
        arrays = set()
        all_runs = self.trial_runs(study_id)
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
            # The hypertune report's step, not the printed objective=VALUE line's missing one.
            self.assertEqual(described["trainingOutput"]["finalMetric"]["trainingStep"], "3", described)
            self.assertEqual(trial["finalMetric"]["trainingStep"], "3", trial)
            self.assertIn(f"--x={trial['hyperparameters']['x']}", described["trainingInput"]["args"])
            # SageMaker's form too: the trial's hyperparameters (strings) in SM_HPS.
            self.assertIn("SM_HPS " + json.dumps({"x": trial["hyperparameters"]["x"]}, separators=(",", ":")),
                          self.output_of(trial_job))
            folder = os.path.join(self.home, "jobs", trial_job)
            runs = [run[0] for run in all_runs.get(trial["trialId"], [])]
            self.assertEqual(len(runs), 1, f"trial {trial_job} ran more than once: {runs}")
            # A single-component trial is an element of a job array: <array>_<trialId>.
            self.assertRegex(runs[0], rf"^\d+_{trial['trialId']}$")
            arrays.add(runs[0].split("_")[0])
            # SageMaker's hyperparameters.json in the trial's folder.
            with open(os.path.join(folder, "hyperparameters.json")) as f:
                self.assertEqual(json.load(f), trial["hyperparameters"])
        self.assertEqual(values, sorted(values, reverse=True), "trials are not best first")
        # Each ask's trials went out as one job array (whose %2 throttle Slurm honoured).
        self.assertLessEqual(len(arrays), MAX_TRIALS, arrays)
        self.assertLessEqual(self.most_running_at_once(study_id), 2)

    def test_a_ten_trial_study_with_a_crashing_and_a_stopped_trial_ends_best_first(self):
        # The check: 10 trials, maxParallelTrials 3, one trial crashing, one obviously
        # bad trial stopped early. Grid search over DISCRETE x runs the values in order as one job
        # array with a %3 throttle; 0.9 crashes; 0.95 is far worse than the median of the
        # completed trials at its first step, so the median stopping rule stops it.
        xs = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.9, 0.95]
        config = textwrap.dedent(f'''
            trainingInput:
              scaleTier: BASIC
              pythonModule: hptrainer.task
              args: ["--epochs=6", "--seconds-per-epoch=1", "--crash-at-x=0.9"]
              hyperparameters:
                goal: MAXIMIZE
                hyperparameterMetricTag: objective
                maxTrials: 10
                maxParallelTrials: 3
                maxFailedTrials: 2
                algorithm: GRID_SEARCH
                enableTrialEarlyStopping: true
                params:
                  - {{parameterName: x, type: DISCRETE, discreteValues: {xs}}}
        ''')
        study_id, study = self.run_study(config, "study_stop", timeout=300)
        output = study["trainingOutput"]
        # The API counts the trials that completed successfully: the crashed one is not among them.
        self.assertEqual(output["completedTrialCount"], "9")
        trials = {float(t["hyperparameters"]["x"]): t for t in output["trials"]}
        self.assertEqual(sorted(trials), xs)
        self.assertEqual(float(output["trials"][0]["hyperparameters"]["x"]), 0.3, "the best trial is not first")
        finished = [t["finalMetric"]["objectiveValue"] for t in output["trials"] if "finalMetric" in t]
        self.assertEqual(finished, sorted(finished, reverse=True), "trials are not best first")
        crashed = trials[0.9]
        self.assertEqual(crashed["state"], "FAILED", crashed)
        self.assertIn("FAILED", crashed["errorMessage"])
        stopped = trials[0.95]
        self.assertEqual(stopped["state"], "SUCCEEDED", stopped)
        self.assertTrue(stopped["isTrialStoppedEarly"], stopped)
        self.assertLess(int(stopped["finalMetric"]["trainingStep"]), 6, stopped)
        # HyperparameterOutput's times: each trial's job's (the crash's too); for the stopped
        # trial, the time the rule stopped it.
        for trial in output["trials"]:
            self.assertRegex(trial.get("startTime", ""), r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", trial)
            self.assertRegex(trial.get("endTime", ""), r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", trial)
            self.assertLessEqual(trial["startTime"], trial["endTime"], trial)
        for x in xs[:8]:
            self.assertEqual(trials[x]["state"], "SUCCEEDED", trials[x])
            self.assertFalse(trials[x]["isTrialStoppedEarly"], trials[x])
            self.assertAlmostEqual(trials[x]["finalMetric"]["objectiveValue"], expected_objective(x), places=5)
        # The stopped trial's job was signalled and cancelled rather than run to its end.
        stopped_job = self.describe(f"{study_id}_trial_{stopped['trialId']}")
        self.assertIn(stopped_job["state"], ("CANCELLED", "FAILED"), stopped_job)
        # All ten ran once each, as elements of one job array, never more than 3 at a time.
        runs = self.trial_runs(study_id)
        self.assertEqual(sorted(runs, key=int), [str(n) for n in range(1, 11)])
        self.assertTrue(all(len(r) == 1 for r in runs.values()), runs)
        self.assertEqual(len({r[0][0].split("_")[0] for r in runs.values()}), 1, runs)
        self.assertLessEqual(self.most_running_at_once(study_id), 3)

        # The report draws it (objective per trial with the best so far, x against the
        # objective) and lists the trials best first.
        report = os.path.join(self.work, "report.html")
        self.mljob("report", study_id, "--html", report)
        with open(report) as f:
            html = f.read()
        self.assertIn("<svg", html)
        self.assertIn("objective per trial (maximised)", html)
        self.assertIn("x against objective", html)
        self.assertEqual(html.count("<tr><td>"), 10)
        self.assertLess(html.index("<tr><td>6</td>"), html.index("<tr><td>5</td>"))  # x=0.3 (trial 6) first
        # SageMaker's form of the same study.
        sagemaker = json.loads(self.mljob("describe", study_id, "--format", "sagemaker").stdout)
        self.assertEqual(sagemaker["HyperParameterTuningJobStatus"], "Completed")
        self.assertEqual(sagemaker["TrainingJobStatusCounters"],
                         {"Completed": 8, "InProgress": 0, "RetryableError": 0, "NonRetryableError": 1, "Stopped": 1})
        self.assertEqual(sagemaker["BestTrainingJob"]["TrainingJobName"], f"{study_id}_trial_6")
        self.assertEqual(sagemaker["BestTrainingJob"]["TunedHyperParameters"], {"x": "0.3"})
        self.assertEqual(sagemaker["BestTrainingJob"]["TrainingStartTime"], trials[0.3]["startTime"])
        self.assertEqual(sagemaker["BestTrainingJob"]["TuningJobName"], study_id)
        self.assertEqual(sagemaker["BestTrainingJob"]["CreationTime"], trials[0.3]["startTime"])
        self.assertGreaterEqual(sagemaker["LastModifiedTime"], max(t["endTime"] for t in trials.values()))
        # ListTrainingJobsForHyperParameterTuningJob: filtered by status, sorted by the objective.
        listed = json.loads(self.mljob("list", "--study", study_id, "--status-equals", "Completed",
                                       "--sort-by", "FinalObjectiveMetricValue").stdout)["TrainingJobSummaries"]
        self.assertEqual(len(listed), 8)
        values = [s["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] for s in listed]
        self.assertEqual(values, sorted(values, reverse=True))
        self.assertEqual(listed[0]["TrainingJobName"], f"{study_id}_trial_6")
        every = json.loads(self.mljob("list", "--study", study_id, "--sort-by", "Name",
                                      "--sort-order", "Ascending").stdout)["TrainingJobSummaries"]
        self.assertEqual([s["TrainingJobName"] for s in every], sorted(f"{study_id}_trial_{n}" for n in range(1, 11)))
        refused = self.mljob("list", "--study", study_id, "--sort-by", "Loss", check=False)
        self.assertEqual(refused.returncode, 2)
        self.assertIn("--sort-by: value 'Loss': must be one of Name, CreationTime, Status, FinalObjectiveMetricValue",
                      refused.stderr)

    def test_max_failed_trials_fails_the_study_naming_the_failed_trials(self):
        # Grid over x = 0.5 (crashes), 0.6, one at a time; maxFailedTrials 1 ends it after trial 1.
        config = CONFIG.replace("maxParallelTrials: 2", "maxParallelTrials: 1\n    maxFailedTrials: 1").replace(
            "maxTrials: 5", "maxTrials: 3").replace('"--seconds-per-epoch=1"', '"--seconds-per-epoch=1", "--crash-at-x=0.5"')
        config = config.replace("{parameterName: x, type: DOUBLE, minValue: 0.0, maxValue: 1.0}",
                                "{parameterName: x, type: DISCRETE, discreteValues: [0.5, 0.6]}").replace(
                                "RANDOM_SEARCH", "GRID_SEARCH")
        study_id = self.submit_study(config, "study_fail")
        study = self.wait_for_state(study_id, ["SUCCEEDED", "FAILED", "CANCELLED"], timeout=120)
        self.assertEqual(study["state"], "FAILED", study)
        output = study["trainingOutput"]
        # Trial 2 (x=0.6) would succeed: the study stopped at the first failure, as
        # maxFailedTrials says, and cancelled trial 2 (queued in the same job array).
        by_id = {t["trialId"]: t for t in output["trials"]}
        self.assertEqual(by_id["1"]["state"], "FAILED", output)
        self.assertEqual(by_id["2"].get("errorMessage"), "cancelled: the study failed", output)
        self.assertEqual(by_id["2"]["state"], "CANCELLED", output)
        self.assertTrue(output["errorMessage"].endswith("maxFailedTrials is 1): trials 1"), output["errorMessage"])
        self.wait_for_state(f"{study_id}_trial_2", ["CANCELLED"], timeout=30)
        self.assertIn("crashing on purpose", self.output_of(f"{study_id}_trial_1"))

    def test_a_multi_replica_study_runs_each_trial_as_a_het_job(self):
        # STANDARD_1 (master + 4 workers + 3 parameter servers): Slurm refuses job arrays of
        # heterogeneous jobs, so each trial is a het job of its own, at most 2 in flight.
        config = CONFIG.replace("scaleTier: BASIC", "scaleTier: STANDARD_1").replace(
            "maxTrials: 5", "maxTrials: 3").replace("algorithm: RANDOM_SEARCH", "algorithm: ALGORITHM_UNSPECIFIED")
        study_id, study = self.run_study(config, "study_het", timeout=300)
        trials = study["trainingOutput"]["trials"]
        self.assertEqual(sorted(t["trialId"] for t in trials), ["1", "2", "3"])
        for trial in trials:
            self.assertEqual(trial["state"], "SUCCEEDED", trial)
            self.assertAlmostEqual(trial["finalMetric"]["objectiveValue"],
                                   expected_objective(float(trial["hyperparameters"]["x"])), places=5)
        runs = self.trial_runs(study_id)
        self.assertEqual(sorted(runs), ["1", "2", "3"])
        for trial, components in runs.items():
            # One het job per trial: <leader>+0, +1, +2 (master, workers, parameter servers).
            leaders = {job_id.split("+")[0] for job_id, _, _ in components}
            self.assertEqual(len(leaders), 1, components)
            self.assertEqual(sorted(job_id.split("+")[1] for job_id, _, _ in components if "+" in job_id), ["0", "1", "2"])
            self.assertNotIn("_", components[0][0])  # not an array element
        described = self.describe(f"{study_id}_trial_1")
        self.assertEqual(described["trainingInput"]["scaleTier"], "STANDARD_1")

    def test_resume_previous_job_id_continues_an_earlier_study(self):
        # A grid over four values, two trials at a time: the second study continues the first
        # (its two succeeded trials carried over) and runs the grid's last two values.
        grid = CONFIG.replace("{parameterName: x, type: DOUBLE, minValue: 0.0, maxValue: 1.0}",
                              "{parameterName: x, type: DISCRETE, discreteValues: [0.1, 0.2, 0.3, 0.4]}").replace(
                              "RANDOM_SEARCH", "GRID_SEARCH").replace("maxTrials: 5", "maxTrials: 2")
        first, _ = self.run_study(grid, "study_first", timeout=180)
        resumed = grid.replace("maxParallelTrials: 2", f"maxParallelTrials: 2\n    resumePreviousJobId: {first}")
        second, study = self.run_study(resumed, "study_second", timeout=180)
        trials = {t["trialId"]: float(t["hyperparameters"]["x"]) for t in study["trainingOutput"]["trials"]}
        self.assertEqual(trials, {"1": 0.1, "2": 0.2, "3": 0.3, "4": 0.4})
        self.assertEqual(study["trainingOutput"]["trials"][0]["trialId"], "3")  # x = 0.3, the best
        # Only the new trials ran in the second study.
        self.assertEqual(sorted(self.trial_runs(second)), ["3", "4"])

        # SageMaker's form of the tuning block, warm-started (IdenticalDataAndAlgorithm) from
        # the first study: its two trials seed the new one, which runs one trial of its own.
        warm, study = self.run_study(textwrap.dedent(f'''
                trainingInput:
                  scaleTier: BASIC
                  pythonModule: hptrainer.task
                  args: ["--epochs=3", "--seconds-per-epoch=1"]
                  hyperparameters:
                    HyperParameterTuningJobConfig:
                      Strategy: Random
                      HyperParameterTuningJobObjective: {{Type: Maximize, MetricName: objective}}
                      ResourceLimits: {{MaxNumberOfTrainingJobs: 1, MaxParallelTrainingJobs: 1}}
                      ParameterRanges:
                        ContinuousParameterRanges: [{{Name: x, MinValue: "0.0", MaxValue: "1.0"}}]
                    WarmStartConfig:
                      WarmStartType: IdenticalDataAndAlgorithm
                      ParentHyperParameterTuningJobs: [{{HyperParameterTuningJobName: {first}}}]
            '''), "study_warm", timeout=180)
        # The parents' two trials seed the optimiser; the study lists and counts only its own.
        trials = {t["trialId"]: t for t in study["trainingOutput"]["trials"]}
        self.assertEqual(sorted(trials), ["3"])
        self.assertEqual(study["trainingOutput"]["completedTrialCount"], "1")
        self.assertEqual(sorted(self.trial_runs(warm)), ["3"])
        sagemaker = json.loads(self.mljob("describe", warm, "--format", "sagemaker").stdout)
        self.assertEqual(sagemaker["HyperParameterTuningJobConfig"]["Strategy"], "Random")
        self.assertEqual(sagemaker["BestTrainingJob"]["TrainingJobName"], f"{warm}_trial_3")
        # OverallBestTrainingJob: the best of the parents' trials (x = 0.1 and 0.2, the better
        # 1 - 0.1^2 = 0.99) and its own. The own trial's x is random: within 0.1 of the optimum
        # 0.3 (one draw in five) it beats the parents, and is then the overall best too.
        own = sagemaker["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
        parents_best = expected_objective(0.2)
        overall = sagemaker["OverallBestTrainingJob"]
        self.assertTrue(overall["TrainingJobName"].startswith(f"{warm if own > parents_best else first}_trial_"), sagemaker)
        self.assertAlmostEqual(overall["FinalHyperParameterTuningJobObjectiveMetric"]["Value"], max(own, parents_best),
                               places=5)

        # A study that names no study of the user's is refused at submit, with nothing left.
        with open(self.config, "w") as out:
            out.write(grid.replace("maxParallelTrials: 2", "maxParallelTrials: 2\n    resumePreviousJobId: no_such_study"))
        third = self.unique_id("study_third")
        result = self.mljob("submit", "training", third, "--config", self.config, "--package-path", TRAINER, check=False)
        self.assertEqual(result.returncode, 2, result)
        self.assertIn("trainingInput.hyperparameters.resumePreviousJobId: value 'no_such_study': must name one of your tuning studies",
                      result.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.home, "jobs", third)))

    def test_a_sagemaker_training_job_definition_shapes_every_trial(self):
        # SageMaker's whole CreateHyperParameterTuningJob request: the objective "val_score" is
        # declared only by the TrainingJobDefinition's MetricDefinitions (a regex over the log;
        # the trainer's hypertune file calls its metric "objective"), the epochs come from
        # StaticHyperParameters, StoppingCondition.MaxRuntimeInSeconds is each trial's limit, and
        # Environment reaches the trainer verbatim (no shell reads it).
        request = textwrap.dedent('''
            trainingInput:
              scaleTier: BASIC
              pythonModule: hptrainer.task
              hyperparameters:
                HyperParameterTuningJobName: tune-by-regex
                HyperParameterTuningJobConfig:
                  Strategy: Random
                  HyperParameterTuningJobObjective: {Type: Maximize, MetricName: val_score}
                  ResourceLimits: {MaxNumberOfTrainingJobs: 2, MaxParallelTrainingJobs: 2}
                  ParameterRanges:
                    ContinuousParameterRanges: [{Name: x, MinValue: "0.0", MaxValue: "1.0"}]
                TrainingJobDefinition:
                  AlgorithmSpecification:
                    TrainingImage: 123456789012.dkr.ecr.us-east-1.amazonaws.com/trainer:1
                    TrainingInputMode: File
                    MetricDefinitions: [{Name: val_score, Regex: "objective=([0-9.]+)"}]
                  StaticHyperParameters: {epochs: "2", seconds-per-epoch: "1"}
                  StoppingCondition: {MaxRuntimeInSeconds: 600}
                  RoleArn: arn:aws:iam::123456789012:role/tuning
                  OutputDataConfig: {S3OutputPath: s3://bucket/out}
                  ResourceConfig: {InstanceCount: 1, InstanceType: ml.m5.xlarge, VolumeSizeInGB: 10}
                  Environment: {HPTRAINER_GREETING: "it's \\"$(touch /tmp/mljob-pwned)\\" `id` $HOME"}
        ''')
        study_id, study = self.run_study(request, "study_sm_definition", timeout=180)
        output = study["trainingOutput"]
        self.assertEqual(output["hyperparameterMetricTag"], "val_score")
        trials = output["trials"]
        self.assertEqual(len(trials), 2, trials)
        for trial in trials:
            x = float(trial["hyperparameters"]["x"])
            # The regex's value at the last of the 2 static epochs: the trial's objective.
            self.assertAlmostEqual(trial["finalMetric"]["objectiveValue"], expected_objective(x), places=5, msg=trial)
            trial_job = f"{study_id}_trial_{trial['trialId']}"
            described = self.describe(trial_job)
            self.assertEqual(described["trainingInput"]["args"][:2], ["--epochs=2", "--seconds-per-epoch=1"])
            self.assertIn("epoch 2 of 2 done", self.output_of(trial_job))
            self.assertIn("HPTRAINER_GREETING it's \"$(touch /tmp/mljob-pwned)\" `id` $HOME\n", self.output_of(trial_job))
            with open(os.path.join(self.home, "jobs", trial_job, "hyperparameters.json")) as f:
                self.assertEqual(json.load(f), {"epochs": "2", "seconds-per-epoch": "1", "x": trial["hyperparameters"]["x"]})
            self.assertEqual(described["trainingInput"]["scheduling"]["maxRunningTime"], "600s")
            self.assertEqual((described["trainingInput"]["scaleTier"], described["trainingInput"]["masterType"]), ("CUSTOM", "ml.m5.xlarge"))
        # The time limit from StoppingCondition, the machine from ResourceConfig (ml.m5.xlarge:
        # 4 CPUs in the catalog), on each element of the trials' array.
        # slurmctld hands jobs to slurmdbd in the background (with a backlog after an earlier
        # test restarted slurmdbd): wait until accounting has both elements.
        def trial_rows():
            rows = [row.split("|")[1:] for row in self.slurm(
                "sacct", "--allusers", "--allocations", "--noheader", "--parsable2", "--starttime=now-1hour",
                "--format=Comment,Timelimit,AllocCPUS").splitlines() if row.startswith(f"mljob:{study_id}_trials:")]
            return rows if len(rows) >= 2 else NotYet(rows)
        rows = poll_until(trial_rows, 60, what=f"accounting to have both elements of {study_id}'s trials")
        self.assertEqual(len(rows), 2, rows)
        self.assertEqual({tuple(row) for row in rows}, {("00:10:00", "4")})
        self.assertFalse(os.path.exists("/tmp/mljob-pwned"), "a study's Environment reached a shell")
        # Described in SageMaker's form: the ranges, and the definition as submitted.
        described = json.loads(self.mljob("describe", study_id, "--format", "sagemaker").stdout)
        self.assertEqual(described["HyperParameterTuningJobConfig"]["ParameterRanges"]["ContinuousParameterRanges"],
                         [{"Name": "x", "MinValue": "0", "MaxValue": "1", "ScalingType": "Linear"}])
        self.assertEqual(described["TrainingJobDefinition"]["StaticHyperParameters"], {"epochs": "2", "seconds-per-epoch": "1"})
        self.assertEqual(described["HyperParameterTuningJobStatus"], "Completed")
        self.assertIn("HyperParameterTuningEndTime", described)

        # A machine the site's catalog does not offer is refused at submit, in the user's field.
        with open(self.config, "w") as out:
            out.write(request.replace("InstanceType: ml.m5.xlarge", "InstanceType: ml.m4.xlarge"))
        refused = self.unique_id("study_sm_machine")
        result = self.mljob("submit", "training", refused, "--config", self.config, "--package-path", TRAINER, check=False)
        self.assertEqual(result.returncode, 2, result)
        self.assertIn("trainingInput.hyperparameters.TrainingJobDefinition.ResourceConfig.InstanceType: value 'ml.m4.xlarge'", result.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.home, "jobs", refused)))

        # An objective no MetricDefinition declares would leave every trial without its metric:
        # refused at submit, naming the field, with nothing left behind.
        with open(self.config, "w") as out:
            out.write(request.replace("MetricName: val_score", "MetricName: val_loss"))
        refused = self.unique_id("study_sm_refused")
        result = self.mljob("submit", "training", refused, "--config", self.config, "--package-path", TRAINER, check=False)
        self.assertEqual(result.returncode, 2, result)
        self.assertIn("HyperParameterTuningJobObjective.MetricName: value 'val_loss': must be one of the "
                      "TrainingJobDefinition's MetricDefinitions (val_score)", result.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.home, "jobs", refused)))

    def test_a_study_whose_record_cannot_be_saved_cancels_its_controller(self):
        # Labels are in the study's spec and in its record, one level deeper there: 3000 of
        # them make the record the one file over a limit between the two sizes, which a study
        # submitted first (and cancelled) measures.
        labels = "".join(f"  k{i:04d}: {'v' * 60}\n" for i in range(3000))
        config = "labels:\n" + labels + CONFIG
        measured = self.submit_study(config, "study_nodisk")
        folder = os.path.join(self.home, "jobs", measured)
        sizes = {name: os.path.getsize(os.path.join(folder, name)) for name in ("study_job.json", "job.json", "study.db")}
        self.mljob("cancel", measured)
        limit = (sizes["study_job.json"] + sizes["job.json"]) // 2
        self.assertLess(max(sizes["study_job.json"], sizes["study.db"]), limit, sizes)

        study_id = self.unique_id("study_nodisk")
        result = self.mljob_on_a_full_disk(limit, "submit", "training", study_id, "--config", self.config,
                                           "--package-path", TRAINER)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("the job's record could not be saved (cannot write", result.stderr)
        self.assertRegex(result.stderr, r"so its Slurm job \d+ was cancelled: nothing runs without a record")
        self.assertFalse(os.path.exists(os.path.join(self.home, "jobs", study_id)))
        def controller_cancelled():
            out = self.slurm("squeue", "--noheader", "--states=all", "--format=%T|%k")
            states = [line.split("|")[0] for line in out.splitlines() if line.split("|")[-1] == f"mljob:{study_id}"]
            return states == ["CANCELLED"] or NotYet(states)
        poll_until(controller_cancelled, 30, interval=0.5,
                   what="the controller of a study without a record to be cancelled (its states ['CANCELLED'])")
        self.wait_for_state(measured, ["CANCELLED"], timeout=60)

    def start_long_study(self, prefix):
        """Submits a random-search study of 60-epoch trials and waits until its first two run;
        returns (its ID, those two trials' job IDs)."""
        study_id = self.submit_study(CONFIG.replace('"--epochs=3"', '"--epochs=60"'), prefix)
        trials = [f"{study_id}_trial_1", f"{study_id}_trial_2"]
        poll_until(lambda: all(os.path.exists(os.path.join(self.home, "jobs", t, "job.json")) for t in trials), 120,
                   what=f"the records of {trials}")
        for trial in trials:
            self.wait_for_state(trial, ["RUNNING"], timeout=60)
        return study_id, trials

    def requeue_controller_as_its_time_limit_nears(self, study_id):
        """Sends the controller Slurm's own warning (the USR1 its job asks for with
        --signal=B:USR1@120) and waits until its job is back in the queue; returns its Slurm ID."""
        controllers = self.controller_slurm_ids(study_id)
        self.assertEqual(len(controllers), 1, controllers)
        self.slurm("scancel", "--signal=USR1", "--batch", controllers[0])
        def requeued():
            state = self.slurm("squeue", "--noheader", "--jobs", controllers[0], "--format=%T|%r").strip()
            return state.startswith("PENDING") or NotYet(state)
        poll_until(requeued, 60, what=f"the controller (Slurm job {controllers[0]}) to be requeued (PENDING)")
        return controllers[0]

    def test_a_controller_warned_of_its_time_limit_requeues_itself_and_the_study_goes_on(self):
        study_id = self.submit_study(CONFIG.replace("algorithm: RANDOM_SEARCH", "algorithm: ALGORITHM_UNSPECIFIED"),
                                     "study_requeue")
        self.wait_for_trials(study_id, 2, timeout=120)
        controller = self.requeue_controller_as_its_time_limit_nears(study_id)
        # Slurm holds a requeued job back for two minutes; the test does not wait them out, but
        # lets a few seconds pass: started again within the second its first run was killed, the
        # job would meet that run's revoked credential on the node ("Killing non-startable batch
        # job: Job credential revoked") and fail, which is what the hold is there to prevent.
        self.slurm("scontrol", "update", f"JobId={controller}", "StartTime=now+5")

        study = self.wait_for_state(study_id, ["SUCCEEDED", "FAILED", "CANCELLED"], timeout=300)
        self.assertEqual(study["state"], "SUCCEEDED", study)
        trials = study["trainingOutput"]["trials"]
        self.assertEqual(sorted(int(t["trialId"]) for t in trials), list(range(1, MAX_TRIALS + 1)))
        self.assertTrue(all(t["state"] == "SUCCEEDED" for t in trials), trials)
        runs = self.trial_runs(study_id)
        self.assertEqual({trial: len(r) for trial, r in runs.items()}, {str(n): 1 for n in range(1, MAX_TRIALS + 1)},
                         "a trial ran twice or not at all")
        # One controller job, run twice: the requeued run is in accounting, and both runs
        # wrote to the study's output.log.
        with open(os.path.join(self.home, "jobs", study_id, "job.json")) as f:
            self.assertEqual(json.load(f)["slurmJobId"], controller)
        # Accounting may lag slurmctld (see the SageMaker definition test).
        def both_runs_accounted():
            states = self.slurm("sacct", "--duplicates", "--allocations", "--noheader", "--parsable2",
                                "--format=State", "--jobs", controller).split()
            return states == ["REQUEUED", "COMPLETED"] or NotYet(states)
        poll_until(both_runs_accounted, 60, what=f"accounting's states of Slurm job {controller} to be ['REQUEUED', 'COMPLETED']")
        log = self.output_of(study_id)
        self.assertIn(f"its Slurm job {controller} was requeued", log)
        self.assertIn("started again by Slurm (restart 1): continuing the study", log)

    def test_cancelling_a_study_whose_controller_waits_in_the_queue_cancels_its_trials(self):
        study_id, trials = self.start_long_study("study_cancel_queued")
        self.requeue_controller_as_its_time_limit_nears(study_id)  # no controller runs now
        self.mljob("cancel", study_id)
        self.wait_for_state(study_id, ["CANCELLED"], timeout=60)
        for trial in trials + [f"{study_id}_trial_{MAX_TRIALS}"]:
            self.wait_for_state(trial, ["CANCELLED"], timeout=60)
        output = self.describe(study_id)["trainingOutput"]
        self.assertEqual([t.get("errorMessage") for t in output["trials"]], ["cancelled with the study"] * MAX_TRIALS, output)
        self.assertEqual({t["state"] for t in output["trials"]}, {"CANCELLED"}, output)

    def test_cancelling_the_study_cancels_its_running_trials(self):
        study_id, trials = self.start_long_study("study_cancel")
        self.mljob("cancel", study_id)
        self.wait_for_state(study_id, ["CANCELLED"], timeout=60)
        # Random search queued all five in one job array: the three still pending go too.
        for trial in trials + [f"{study_id}_trial_{MAX_TRIALS}"]:
            self.wait_for_state(trial, ["CANCELLED"], timeout=60)
        def trials_cancelled():
            output = self.describe(study_id)["trainingOutput"]
            return output if all(t["state"] == "CANCELLED" for t in output["trials"]) else NotYet(output)
        output = poll_until(trials_cancelled, 30, what=f"every trial of {study_id} to read CANCELLED")
        # All five: the two running and the three queued in the study's job array.
        self.assertEqual([t.get("errorMessage") for t in output["trials"]], ["cancelled with the study"] * MAX_TRIALS, output)
        self.assertEqual({t["state"] for t in output["trials"]}, {"CANCELLED"}, output)
        # SageMaker's counters: trials cancelled with their study were Stopped, not failed.
        counters = json.loads(self.mljob("describe", study_id, "--format", "sagemaker").stdout)[
            "TrainingJobStatusCounters"]
        self.assertEqual((counters["Stopped"], counters["NonRetryableError"]), (MAX_TRIALS, 0), counters)
        # And the study's ML units include its trials'.
        study_units = float(self.describe(study_id)["trainingOutput"]["consumedMLUnits"])
        trial_units = sum(float(self.describe(t).get("trainingOutput", {}).get("consumedMLUnits", 0))
                          for t in trials)
        self.assertGreaterEqual(study_units + 1e-6, trial_units)


if __name__ == "__main__":
    unittest.main()
