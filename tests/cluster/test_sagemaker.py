"""SageMaker's CreateTrainingJob request, as boto3 sends it, run on the real cluster as an
ordinary user: script mode from a sourcedir.tar.gz, two channels (one sharded over two hosts),
hyperparameters as SageMaker delivers them, the model tarball in the mapped output path,
MaxRuntimeExceeded with the trainer seeing SageMaker's SIGTERM, and StopTrainingJob."""
import io
import json
import os
import subprocess
import tarfile

from harness import FIXTURES, MLJOB_SUBMIT, ClusterTestCase, NotYet, poll_until

TRAIN_PY = r'''
import argparse, json, os, signal, sys, time

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, required=True)
parser.add_argument("--seconds", type=float, default=0)
parser.add_argument("--label", default="")
args = parser.parse_args()

stopped = []
signal.signal(signal.SIGTERM, lambda *_: stopped.append(time.time()))

host = os.environ["SM_CURRENT_HOST"]
root = os.environ["SAGEMAKER_BASE_DIR"]
config = os.path.join(root, "input", "config")


def files_of(channel):
    top = os.environ["SM_CHANNEL_" + channel.upper()]
    return sorted(os.path.relpath(os.path.join(d, f), top) for d, _, names in os.walk(top) for f in names)


for epoch in range(args.epochs):
    print(f"epoch={epoch} loss={1.0 / (epoch + 1):.4f}", flush=True)
end = time.time() + args.seconds
while time.time() < end and not stopped:
    time.sleep(0.5)
if stopped:
    print("trainer: got SIGTERM", flush=True)
report = {
    "host": host,
    "hosts": json.loads(os.environ["SM_HOSTS"]),
    "hps_env": json.loads(os.environ["SM_HPS"]),
    "hps_file": json.load(open(os.path.join(config, "hyperparameters.json"))),
    "resourceconfig": json.load(open(os.path.join(config, "resourceconfig.json"))),
    "inputdataconfig": json.load(open(os.path.join(config, "inputdataconfig.json"))),
    "train": files_of("train"),
    "validation": files_of("validation"),
    "argv": sys.argv[1:],
    "stopped": bool(stopped),
}
with open(os.path.join(os.environ["SM_MODEL_DIR"], host + ".json"), "w") as out:
    json.dump(report, out)
'''


class SageMakerTrainingJobs(ClusterTestCase):
    def setUp(self):
        super().setUp()
        self.work = self.scratch("mljob-test-sagemaker-")
        data = os.path.join(self.work, "lab-data")
        for part in range(6):
            self.write(os.path.join(data, "abalone", "train", f"part-{part}.csv"), f"{part},1,2\n")
        self.write(os.path.join(data, "abalone", "train", "more", "part-6.csv"), "6,1,2\n")
        self.write(os.path.join(data, "abalone", "validation", "v.csv"), "9,9,9\n")
        code = io.BytesIO()
        with tarfile.open(fileobj=code, mode="w:gz") as tar:
            body = TRAIN_PY.encode()
            info = tarfile.TarInfo("train.py")
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
        self.write(os.path.join(data, "code", "sourcedir.tar.gz"), code.getvalue(), binary=True)
        self.catalog = os.path.join(self.work, "tiers.yaml")
        self.write(self.catalog, "\n".join([
            f"extends: {os.path.join(FIXTURES, 'contrib', 'cluster', 'tiers.yaml')}",
            "storage:",
            f"  s3://lab-data/: {data}/",
            "images:",
            "  123456789012.dkr.ecr.us-east-1.amazonaws.com/lab-trainer*:",
            "    scriptMode: true",
            ""]))
        self.output = os.path.join(data, "models")

    def write(self, path, content, binary=False):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb" if binary else "w") as out:
            out.write(content)

    def request(self, name, instances=1, epochs=3, seconds=0, max_runtime=600):
        return {
            "TrainingJobName": name,
            "RoleArn": "arn:aws:iam::123456789012:role/service-role/SageMakerRole",
            "AlgorithmSpecification": {
                "TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/lab-trainer:1.0-cpu-py3",
                "TrainingInputMode": "File",
                "MetricDefinitions": [{"Name": "train:loss", "Regex": "loss=([0-9.]+)"}]},
            "HyperParameters": {"epochs": str(epochs), "seconds": str(seconds), "label": "two words",
                                "sagemaker_program": '"train.py"',
                                "sagemaker_submit_directory": '"s3://lab-data/code/sourcedir.tar.gz"'},
            "InputDataConfig": [
                {"ChannelName": "train", "ContentType": "text/csv", "CompressionType": "None",
                 "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://lab-data/abalone/train",
                                                 "S3DataDistributionType": "ShardedByS3Key"}}},
                {"ChannelName": "validation",
                 "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                 "S3Uri": "s3://lab-data/abalone/validation/",
                                                 "S3DataDistributionType": "FullyReplicated"}}}],
            "OutputDataConfig": {"S3OutputPath": "s3://lab-data/models"},
            "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": instances, "VolumeSizeInGB": 5},
            "StoppingCondition": {"MaxRuntimeInSeconds": max_runtime},
            "Tags": [{"Key": "Project", "Value": "abalone"}],
        }

    def request_file(self, request):
        path = os.path.join(self.work, f"{request['TrainingJobName']}.json")
        self.write(path, json.dumps(request))
        return path

    def sagemaker_describe(self, name):
        return json.loads(self.mljob("describe", name, "--format", "sagemaker").stdout)

    def wait_for_status(self, name, statuses, timeout=240):
        def reached():
            job = self.sagemaker_describe(name)
            return job if job["TrainingJobStatus"] in statuses else NotYet(job)
        return poll_until(reached, timeout, what=f"{name} to reach {statuses}")

    def submit_with_mljob_submit(self, request):
        result = subprocess.run(self.user_argv([MLJOB_SUBMIT, "sagemaker", self.request_file(request),
                                                "--tiers", self.catalog]),
                                env=self.env, capture_output=True, text=True, timeout=300)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.strip(), request["TrainingJobName"])

    def test_two_channels_one_sharded_hyperparameters_and_the_model_tarball(self):
        name = "abalone-" + self.unique_id("x").split("_")[1]
        request = self.request(name, instances=2)
        self.submit_with_mljob_submit(request)
        job = self.wait_for_status(name, ["Completed", "Failed", "Stopped"])
        self.assertEqual(job["TrainingJobStatus"], "Completed", json.dumps(job, indent=1) + self.output_of(name))
        self.assertEqual(job["SecondaryStatus"], "Completed")
        self.assertEqual([t["Status"] for t in job["SecondaryStatusTransitions"]],
                         ["Starting", "Downloading", "Training", "Uploading", "Completed"])
        for transition in job["SecondaryStatusTransitions"]:
            self.assertIn("EndTime", transition, transition)
        self.assertEqual(job["HyperParameters"], request["HyperParameters"])
        self.assertEqual(job["ResourceConfig"], request["ResourceConfig"])
        self.assertEqual(job["TrainingTimeInSeconds"], job["BillableTimeInSeconds"])
        self.assertEqual(job["FinalMetricDataList"][0]["MetricName"], "train:loss")
        self.assertAlmostEqual(job["FinalMetricDataList"][0]["Value"], 0.3333, places=3)
        artifacts = f"s3://lab-data/models/{name}/output/model.tar.gz"
        self.assertEqual(job["ModelArtifacts"]["S3ModelArtifacts"], artifacts)

        tarball = os.path.join(self.output, name, "output", "model.tar.gz")
        with tarfile.open(tarball) as tar:
            reports = [json.load(tar.extractfile(member)) for member in tar.getmembers() if member.isfile()]
        self.assertEqual(len(reports), 2, [r["host"] for r in reports])
        hosts = sorted(r["host"] for r in reports)
        shards = []
        for report in reports:
            self.assertEqual(report["hosts"], hosts)
            self.assertEqual(report["resourceconfig"]["current_host"], report["host"])
            self.assertEqual(report["resourceconfig"]["hosts"], hosts)
            self.assertEqual(report["hps_env"], request["HyperParameters"])
            self.assertEqual(report["hps_file"], request["HyperParameters"])
            self.assertEqual(report["inputdataconfig"]["train"]["S3DistributionType"], "ShardedByS3Key")
            self.assertEqual(report["inputdataconfig"]["train"]["ContentType"], "text/csv")
            self.assertEqual(report["validation"], ["v.csv"])
            # Script mode: every hyperparameter but SageMaker's own, as --name value.
            self.assertEqual(report["argv"], ["--epochs", "3", "--seconds", "0", "--label", "two words"])
            self.assertFalse(report["stopped"])
            shards.append(report["train"])
        # Each host its share, together every file once.
        self.assertTrue(all(shards), shards)
        self.assertEqual(sorted(shards[0] + shards[1]),
                         sorted([f"part-{p}.csv" for p in range(6)] + ["more/part-6.csv"]))

        listed = json.loads(self.mljob("list", "--format", "sagemaker").stdout)["TrainingJobSummaries"]
        self.assertEqual([(s["TrainingJobName"], s["TrainingJobStatus"]) for s in listed], [(name, "Completed")])
        # The same job in AI Platform's terms: its tags as labels, which update changes.
        self.assertEqual(self.describe(name)["state"], "SUCCEEDED")
        self.assertEqual(self.describe(name)["labels"], {"project": "abalone"})
        self.mljob("update", name, "--update-labels", "stage=prod")
        self.assertEqual(self.describe(name)["labels"], {"project": "abalone", "stage": "prod"})

    def test_max_runtime_exceeded_after_sagemakers_sigterm(self):
        # MaxRuntimeInSeconds 180: Slurm's limit is 3 minutes, and the job's shell is signalled
        # 120 s before it, which passes SIGTERM to the trainer; the trainer ends cleanly.
        name = "runtime-" + self.unique_id("x").split("_")[1]
        self.mljob("submit", "sagemaker", self.request_file(self.request(name, epochs=1, seconds=400,
                                                                            max_runtime=180)),
                   "--tiers", self.catalog)
        job = self.wait_for_status(name, ["Completed", "Failed", "Stopped"], timeout=300)
        self.assertEqual((job["TrainingJobStatus"], job["SecondaryStatus"]), ("Stopped", "MaxRuntimeExceeded"),
                         json.dumps(job, indent=1))
        self.assertIn("trainer: got SIGTERM", self.output_of(name))
        self.assertEqual(job["SecondaryStatusTransitions"][-1]["Status"], "MaxRuntimeExceeded")
        self.assertLess(job["TrainingTimeInSeconds"], 180)
        # The trainer saved its model in the 120 s it had: SageMaker uploads it, and so does mljob.
        self.assertEqual(job["ModelArtifacts"]["S3ModelArtifacts"], f"s3://lab-data/models/{name}/output/model.tar.gz")
        with tarfile.open(os.path.join(self.output, name, "output", "model.tar.gz")) as tar:
            reports = [json.load(tar.extractfile(m)) for m in tar.getmembers() if m.isfile()]
        self.assertEqual([r["stopped"] for r in reports], [True])

    def test_stop_training_job_reads_stopping_then_stopped(self):
        name = "stop-" + self.unique_id("x").split("_")[1]
        self.mljob("submit", "sagemaker", self.request_file(self.request(name, epochs=1, seconds=300)),
                   "--tiers", self.catalog)
        poll_until(lambda: self.sagemaker_describe(name)["SecondaryStatus"] == "Training" or NotYet(None), 120,
                   what=f"{name} to train")
        # "Training" starts with the step, before the trainer's Python has set its SIGTERM handler:
        # a stop that comes first kills it, as it would on SageMaker. Stop once it has printed,
        # which it does after setting the handler (on a loaded machine, seconds later).
        poll_until(lambda: "epoch=0" in self.output_of(name) or NotYet(self.output_of(name)[-300:]), 120,
                   what=f"{name}'s trainer to start")
        self.mljob("cancel", name)
        first = self.sagemaker_describe(name)
        self.assertIn(first["TrainingJobStatus"], ["Stopping", "Stopped"])
        job = self.wait_for_status(name, ["Stopped", "Failed", "Completed"])
        self.assertEqual((job["TrainingJobStatus"], job["SecondaryStatus"]), ("Stopped", "Stopped"))
        self.assertEqual(job["SecondaryStatusTransitions"][-1]["Status"], "Stopped")
        # StopTrainingJob's SIGTERM gives the trainer its time to save the model, which is kept.
        with tarfile.open(os.path.join(self.output, name, "output", "model.tar.gz")) as tar:
            reports = [json.load(tar.extractfile(m)) for m in tar.getmembers() if m.isfile()]
        self.assertEqual([r["stopped"] for r in reports], [True])
        self.assertNotIn("scancel: error", self.output_of(name))

    def test_a_tuning_job_on_its_own_runs_its_trials_as_sagemaker_training_jobs(self):
        name = "tune-" + self.unique_id("x").split("_")[1]
        training = self.request("unused")
        static = {k: v for k, v in training["HyperParameters"].items() if k != "epochs"}
        definition = {k: training[k] for k in ("AlgorithmSpecification", "RoleArn", "InputDataConfig",
                                               "OutputDataConfig", "ResourceConfig", "StoppingCondition")}
        definition["StaticHyperParameters"] = static
        request = {
            "HyperParameterTuningJobName": name,
            "HyperParameterTuningJobConfig": {
                "Strategy": "Grid",
                "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "train:loss"},
                "ResourceLimits": {"MaxNumberOfTrainingJobs": 3, "MaxParallelTrainingJobs": 3},
                "ParameterRanges": {"CategoricalParameterRanges": [{"Name": "epochs", "Values": ["1", "2", "4"]}]}},
            "TrainingJobDefinition": definition,
            "Tags": [{"Key": "Project", "Value": "abalone"}],
        }
        path = os.path.join(self.work, name + ".json")
        self.write(path, json.dumps(request))
        self.mljob("submit", "sagemaker-tuning", path, "--tiers", self.catalog)

        def ended():
            job = json.loads(self.mljob("describe", name, "--format", "sagemaker").stdout)
            return job if job["HyperParameterTuningJobStatus"] in ("Completed", "Failed", "Stopped") else NotYet(job)
        tuning = poll_until(ended, 300, what=f"{name} to end")
        self.assertEqual(tuning["HyperParameterTuningJobStatus"], "Completed", json.dumps(tuning, indent=1))
        self.assertEqual(tuning["TrainingJobStatusCounters"]["Completed"], 3)
        best = tuning["BestTrainingJob"]
        self.assertEqual(best["TunedHyperParameters"], {"epochs": "4"})
        self.assertAlmostEqual(best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"], 0.25, places=4)
        self.assertEqual(tuning["TrainingJobDefinition"]["StaticHyperParameters"], static)

        # Each trial is a SageMaker training job of its own: the static and the tuned
        # hyperparameters, the definition's channels, and its model tarball.
        trial = json.loads(self.mljob("describe", best["TrainingJobName"], "--format", "sagemaker").stdout)
        self.assertEqual(trial["TrainingJobStatus"], "Completed")
        self.assertEqual(trial["HyperParameters"], {**static, "epochs": "4"})
        tarball = os.path.join(self.output, best["TrainingJobName"], "output", "model.tar.gz")
        with tarfile.open(tarball) as tar:
            reports = [json.load(tar.extractfile(m)) for m in tar.getmembers() if m.isfile()]
        argv = reports[0]["argv"]
        self.assertEqual(dict(zip(argv[::2], argv[1::2])), {"--epochs": "4", "--seconds": "0", "--label": "two words"})
        listed = json.loads(self.mljob("list", "--study", name, "--sort-by", "FinalObjectiveMetricValue",
                                       "--sort-order", "Ascending").stdout)["TrainingJobSummaries"]
        self.assertEqual([s["TunedHyperParameters"]["epochs"] for s in listed], ["4", "2", "1"])

    def test_a_refused_request_leaves_nothing(self):
        cases = {
            "unmapped image": ("/AlgorithmSpecification/TrainingImage", "docker.io/other:1",
                               "AlgorithmSpecification.TrainingImage: value 'docker.io/other:1': is not mapped"),
            "unmapped bucket": ("/InputDataConfig/1/DataSource/S3DataSource/S3Uri", "s3://elsewhere/v",
                                "no storage prefix of this site maps s3://elsewhere/"),
            "no data": ("/InputDataConfig/1/DataSource/S3DataSource/S3Uri", "s3://lab-data/abalone/nothing-here",
                        "no file is under this prefix here"),
            "a name that is no string": ("/TrainingJobName", 5, "TrainingJobName: value '5': must be a string"),
            "missing entry point": ("/HyperParameters/sagemaker_program", "absent.py",
                                    "HyperParameters.sagemaker_program: value 'absent.py': is not a file"),
        }
        for case, (pointer, value, message) in cases.items():
            with self.subTest(case):
                name = "refused-" + self.unique_id("x").split("_")[1]
                request = self.request(name)
                target = request
                keys = [int(k) if k.isdigit() else k for k in pointer.strip("/").split("/")]
                for key in keys[:-1]:
                    target = target[key]
                target[keys[-1]] = value
                result = self.mljob("submit", "sagemaker", self.request_file(request), "--tiers", self.catalog,
                                    check=False)
                self.assertEqual(result.returncode, 2, result.stderr)
                self.assertIn(message, result.stderr)
                self.assertFalse(os.path.exists(os.path.join(self.home, "jobs", name)), case)
                self.assertEqual(self.slurm_states_named(name), [])


if __name__ == "__main__":
    import unittest
    unittest.main()
