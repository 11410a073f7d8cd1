"""Metrics on the real cluster: a job that prints SageMaker-style metric lines and writes the
cloudml-hypertune metric file has them extracted while it runs (mljob-collect wraps the
training step), stored beside it, answered by `mljob metrics` / `mljob logs`, and summed up by
describe as SageMaker's FinalMetricDataList (the last printed values) and AI Platform's
finalMetric. A regex that cannot run is refused at submit."""
import json
import os
import shutil
import textwrap
import unittest

from harness import ClusterTestCase, NotYet, poll_until

TRAINER = textwrap.dedent('''
    """Prints metrics as a SageMaker algorithm would and reports its objective as
    cloudml-hypertune does (JSON lines in $CLOUD_ML_HP_METRIC_FILE)."""
    import json
    import os
    import time

    metric_file = os.environ["CLOUD_ML_HP_METRIC_FILE"]
    for step in range(1, 6):
        loss = round(1.0 / (step + 1), 4)
        accuracy = round(0.5 + step * 0.08, 4)
        print(f"epoch={step} Loss = {loss}; val_acc: {accuracy} note=not-a-number", flush=True)
        with open(metric_file, "a") as out:
            out.write(json.dumps({"timestamp": time.time(), "trial": "0", "accuracy": str(accuracy),
                                  "global_step": str(step * 100), "checkpoint_path": ""}) + "\\n")
        if step == 2:
            time.sleep(8)  # the job is still running while the test reads its first metrics
    # Not flushed: Python writes it at exit, just before the step ends. It must not be lost.
    print("Loss = 0.0123; the last line, printed right before the end")
''')

CONFIG = textwrap.dedent('''
    trainingInput:
      scaleTier: BASIC
      pythonModule: metrics_trainer.task
      hyperparameters:
        goal: MAXIMIZE
        hyperparameterMetricTag: accuracy
    MetricDefinitions:
      - {Name: "train:loss", Regex: "Loss = (.*?);"}
      - {Name: "validation:accuracy", Regex: "val_acc: ([0-9\\\\.]+)"}
      - {Name: "note", Regex: "note=(\\\\S+)"}
''')

# Writes evaluation metrics as FfDL's emetrics client (emetrics.py, EMetrics.record) does:
# json.dumps of one EMetrics record a line, appended to $LOG_DIR/evaluation-metrics.txt.
FFDL_TRAINER = textwrap.dedent('''
    import json
    import os
    import time

    with open(os.path.join(os.environ["LOG_DIR"], "evaluation-metrics.txt"), "a") as out:
        for step in range(1, 4):
            record = {"meta": {"training_id": os.environ.get("TRAINING_ID", ""), "time": int(time.time() * 1000),
                               "rindex": step},
                      "grouplabel": "test",
                      "etimes": {"iteration": {"type": 2, "value": str(step)}},
                      "values": {"accuracy": {"type": 3, "value": str(0.5 + step / 10)}}}
            out.write(json.dumps(record) + "\\n")
            out.flush()
''')

FFDL_CONFIG = textwrap.dedent('''
    trainingInput:
      scaleTier: BASIC
      pythonModule: metrics_trainer.ffdl
    evaluation_metrics:
      type: optivist
''')


class Metrics(ClusterTestCase):
    def setUp(self):
        super().setUp()
        self.work = self.scratch("mljob-metrics-test-")
        self.addCleanup(shutil.rmtree, self.work, ignore_errors=True)
        package = os.path.join(self.work, "metrics_trainer")
        os.makedirs(package)
        open(os.path.join(package, "__init__.py"), "w").close()
        with open(os.path.join(package, "task.py"), "w") as out:
            out.write(TRAINER)
        with open(os.path.join(package, "ffdl.py"), "w") as out:
            out.write(FFDL_TRAINER)
        self.config = os.path.join(self.work, "job.yaml")
        with open(self.config, "w") as out:
            out.write(CONFIG)

    def metrics(self, job_id, *flags):
        return json.loads(self.mljob("metrics", job_id, "--format", "json", *flags).stdout)

    def test_metrics_are_collected_live_kept_and_summed_up(self):
        job_id = self.unique_id("metrics")
        self.mljob("submit", "training", job_id, "--config", self.config, "--package-path",
                   os.path.join(self.work, "metrics_trainer"))

        # Live: the first datapoints are there while the job still runs.
        def live():
            state = self.describe(job_id)["state"]
            records = self.metrics(job_id, "--group", "sagemaker")
            if records and state == "RUNNING":
                return True
            if state in ("SUCCEEDED", "FAILED", "CANCELLED"):
                self.fail(f"no metrics were readable while the job ran (it ended {state})")
            return NotYet((state, records))
        poll_until(live, 120, interval=0.5, what="metrics readable while the job runs")

        job = self.wait_for_state(job_id, {"SUCCEEDED", "FAILED", "CANCELLED"})
        self.assertEqual(job["state"], "SUCCEEDED", self.output_of(job_id))

        # Every printed datapoint, in order, from the master (rank 0); non-numbers dropped.
        records = self.metrics(job_id, "--group", "sagemaker")
        losses = [float(r["values"]["train:loss"]["value"]) for r in records if "train:loss" in r["values"]]
        self.assertEqual(losses, [0.5, 0.3333, 0.25, 0.2, 0.1667, 0.0123])
        accuracies = [float(r["values"]["validation:accuracy"]["value"]) for r in records
                      if "validation:accuracy" in r["values"]]
        self.assertEqual(accuracies, [0.58, 0.66, 0.74, 0.82, 0.9])
        self.assertFalse([r for r in records if "note" in r["values"]])
        self.assertEqual({r["meta"]["subid"] for r in records}, {"0"})
        self.assertEqual({r["meta"]["training_id"] for r in records}, {job_id})

        # Paging: the last two datapoints; a limit.
        last_two = self.metrics(job_id, "--group", "sagemaker", "--pos", "-2")
        self.assertEqual([list(r["values"].items())[0][1]["value"] for r in last_two], ["0.9", "0.0123"])
        self.assertEqual(len(self.metrics(job_id, "--limit", "3")), 3)

        # describe: SageMaker's FinalMetricDataList holds the last printed values; AI Platform's
        # finalMetric the last hypertune report.
        job = self.describe(job_id)
        final = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}
        self.assertEqual(final, {"train:loss": 0.0123, "validation:accuracy": 0.9})
        self.assertEqual(job["trainingOutput"]["finalMetric"], {"trainingStep": "500", "objectiveValue": 0.9})
        self.assertEqual(job["trainingOutput"]["hyperparameterMetricTag"], "accuracy")

        # The log lines, the unflushed last one included; a plot of the curves.
        logs = self.mljob("logs", job_id).stdout
        self.assertIn("epoch=1 Loss = 0.5; val_acc: 0.58", logs)
        self.assertIn("the last line, printed right before the end", logs)
        self.assertEqual(self.mljob("logs", job_id, "--pos", "-1", "--replica", "0").stdout.strip(),
                         "Loss = 0.0123; the last line, printed right before the end")
        plot = os.path.join(self.work, "curves.svg")
        self.mljob("metrics", job_id, "--plot", plot)
        with open(plot) as svg:
            text = svg.read()
        self.assertIn("train:loss", text)
        self.assertIn("<polyline", text)

    def test_ffdl_emetrics_file_records_are_stored_as_written(self):
        job_id = self.unique_id("emetrics")
        config = os.path.join(self.work, "ffdl.yaml")
        with open(config, "w") as out:
            out.write(FFDL_CONFIG)
        submitted = self.mljob("submit", "training", job_id, "--config", config, "--package-path",
                               os.path.join(self.work, "metrics_trainer"))
        self.assertNotIn("not read by mljob", submitted.stderr)
        job = self.wait_for_state(job_id, {"SUCCEEDED", "FAILED", "CANCELLED"})
        self.assertEqual(job["state"], "SUCCEEDED", self.output_of(job_id))
        records = self.metrics(job_id, "--group", "test")
        self.assertEqual([r["values"]["accuracy"] for r in records],
                         [{"type": "FLOAT", "value": v} for v in ("0.6", "0.7", "0.8")])
        self.assertEqual([r["etimes"]["iteration"]["value"] for r in records], ["1", "2", "3"])

    def test_a_regex_that_cannot_run_is_refused_at_submit(self):
        job_id = self.unique_id("badregex")
        bad = os.path.join(self.work, "bad.yaml")
        with open(bad, "w") as out:
            out.write(CONFIG.replace("Loss = (.*?);", "(?P<k>\\\\w+)=(?P=k)"))
        result = self.mljob("submit", "training", job_id, "--config", bad, "--package-path",
                            os.path.join(self.work, "metrics_trainer"), check=False)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("MetricDefinitions[0].Regex", result.stderr)
        self.assertIn("'(?P=k)'", result.stderr)
        self.assertIn("backreferences", result.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.home, "jobs", job_id)), "nothing is left of a refused job")


if __name__ == "__main__":
    unittest.main()
