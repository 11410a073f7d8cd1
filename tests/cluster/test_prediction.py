"""Batch prediction jobs on the real cluster, as an ordinary user: each predictor (scikit-learn,
TorchScript, a custom prediction routine) with each input format, checked against the model run
directly in this process; four shards with a corrupt record; a shard killed midway and resumed;
and malformed prediction specs, each refused with nothing submitted."""
import glob
import json
import os
import subprocess
import tarfile
import unittest

import prediction_fixtures as fx
from harness import FIXTURES, MLJOB_SUBMIT, ClusterTestCase, poll_until, NotYet

FINAL = ("SUCCEEDED", "FAILED", "CANCELLED")


class PredictionTestCase(ClusterTestCase):
    def setUp(self):
        super().setUp()
        self.work = self.scratch("mljob-test-prediction-")

    def path(self, *parts):
        return os.path.join(self.work, *parts)

    def registry_catalog(self, predictor_folder, package):
        """A tier catalog extending the cluster's, with a model registry that names the custom
        predictor (its package as a tarball, as a site would keep it)."""
        tarball = self.path("my_predictor-0.1.tar.gz")
        with tarfile.open(tarball, "w:gz") as tar:
            tar.add(os.path.join(package, "my_predictor"), arcname="my_predictor")
        with open(self.path("models.yaml"), "w") as f:
            f.write(f"models:\n  scaler:\n    defaultVersion: v1\n    versions:\n"
                    f"      v1: {{path: {predictor_folder}, predictor: custom,\n"
                    f"           predictionClass: {fx.PREDICTION_CLASS}, packageUris: [{tarball}]}}\n")
        catalog = self.path("tiers.yaml")
        with open(catalog, "w") as f:
            f.write(f"extends: {os.path.join(FIXTURES, 'contrib', 'cluster', 'tiers.yaml')}\n"
                    "prediction: {modelRegistry: models.yaml}\n")
        return catalog

    def results(self, output, shards=1):
        lines = []
        for shard in range(shards):
            with open(os.path.join(output, f"prediction.results-{shard:05d}-of-{shards:05d}")) as f:
                lines += [json.loads(line) for line in f if line.strip()]
        return lines

    def wait_final(self, job_id, timeout=300):
        return self.wait_for_state(job_id, FINAL, timeout=timeout)


class EachPredictorEachFormat(PredictionTestCase):
    """15 jobs at once: 3 predictors x 5 input formats, each compared with the model run here."""

    INSTANCES = fx.make_instances(40, seed=7)

    def write_input(self, fmt, name):
        path = self.path(name)
        if fmt == "JSON":
            fx.write_json_lines(path, self.INSTANCES)
        elif fmt == "CSV":
            fx.write_csv(path, self.INSTANCES)
        elif fmt == "TEXT":
            fx.write_text_lines(path, [",".join(str(v) for v in x) for x in self.INSTANCES])
        else:
            payloads = [json.dumps(x).encode() for x in self.INSTANCES]
            fx.write_tfrecord(path, payloads, gzip=fmt == "TF_RECORD_GZIP")
        return path

    def test_every_predictor_reads_every_format(self):
        sklearn_dir, torch_dir, custom_dir = self.path("sklearn"), self.path("torch"), self.path("custom")
        fx.make_sklearn_model(sklearn_dir)
        fx.make_torchscript_model(torch_dir)
        fx.make_custom_model(custom_dir, scale=3.0)
        package = fx.make_custom_package(self.path("package"))
        catalog = self.registry_catalog(custom_dir, package)
        model_flags = {"sklearn": ["--model-dir", sklearn_dir], "torchscript": ["--model-dir", torch_dir],
                       "custom": ["--model", "scaler", "--version", "v1"]}
        jobs = {}
        for fmt in ("JSON", "TEXT", "CSV", "TF_RECORD", "TF_RECORD_GZIP"):
            source = self.write_input(fmt, f"input-{fmt.lower()}")
            for kind, flags in model_flags.items():
                job_id = self.unique_id(f"p_{kind}_{fmt.lower()}")
                output = self.path(f"out-{kind}-{fmt.lower()}")
                self.mljob("submit", "prediction", job_id, *flags, "--data-format", fmt.lower().replace("_", "-"),
                           "--input-paths", source, "--output-path", output, "--batch-size", "16",
                           "--tiers", catalog)
                jobs[(kind, fmt)] = (job_id, output)
        for (kind, fmt), (job_id, output) in jobs.items():
            with self.subTest(predictor=kind, data_format=fmt):
                job = self.wait_final(job_id)
                if fmt == "TEXT" and kind != "custom":
                    # A TEXT instance is the line as a string: a numeric model refuses each one, and
                    # each refusal is counted and written, the job going on to the end.
                    self.assertEqual(job["state"], "SUCCEEDED", job)
                    self.assertEqual(job["predictionOutput"]["errorCount"], "40", job)
                    self.assertEqual(job["predictionOutput"]["predictionCount"], "0", job)
                    lines = self.results(output)
                    self.assertEqual([line["instance"] for line in lines],
                                     [",".join(str(v) for v in x) for x in self.INSTANCES])
                    self.assertTrue(all("error" in line for line in lines), lines[:2])
                    continue
                self.assertEqual(job["state"], "SUCCEEDED", job)
                self.assertEqual(job["predictionOutput"]["predictionCount"], "40", job)
                self.assertEqual(job["predictionOutput"]["errorCount"], "0", job)
                lines = self.results(output)
                as_sent = [",".join(str(v) for v in x) for x in self.INSTANCES] if fmt == "TEXT" else self.INSTANCES
                self.assertEqual([line["instance"] for line in lines], as_sent)
                expected = fx.score_directly(kind, {"sklearn": sklearn_dir, "torchscript": torch_dir,
                                                    "custom": custom_dir}[kind], self.INSTANCES,
                                             python_path=[package])
                difference = fx.first_difference(expected, [line["prediction"] for line in lines])
                self.assertIsNone(difference, f"{kind} x {fmt}")


class ShardsAndErrors(PredictionTestCase):
    def test_four_shards_with_one_corrupt_record(self):
        model = self.path("model")
        fx.make_sklearn_model(model)
        # 4 files of about 80 KB: more than 4 shards' worth at 64 KiB a shard, so maxWorkerCount decides.
        instances = fx.make_instances(8000, seed=11)
        for part in range(4):
            fx.write_json_lines(self.path(f"part-{part}.json"), instances[part * 2000:(part + 1) * 2000])
        corrupt = self.path("part-2.json")
        with open(corrupt) as f:
            lines = f.readlines()
        offset = sum(len(line) for line in lines[:37])
        lines[37] = '{"not": json\n'
        with open(corrupt, "w") as f:
            f.writelines(lines)
        output = self.path("out")
        job_id = self.unique_id("p_shards")
        self.mljob("submit", "prediction", job_id, "--model-dir", model, "--data-format", "json",
                   "--input-paths", self.path("part-*.json"), "--output-path", output, "--max-worker-count", "4")
        job = self.wait_final(job_id)
        self.assertEqual(job["state"], "SUCCEEDED", job)
        self.assertEqual(job["predictionOutput"]["predictionCount"], "7999", job)
        self.assertEqual(job["predictionOutput"]["errorCount"], "1", job)
        self.assertEqual(job["predictionProgress"]["recordsDone"], 8000, job)
        self.assertEqual(job["predictionProgress"]["shardsDone"], 4, job)
        self.assertGreater(job["predictionOutput"]["nodeHours"], 0, job)
        names = sorted(os.listdir(output))
        self.assertEqual(names, [f"prediction.{kind}-{i:05d}-of-00004" for kind in ("errors_stats", "results")
                                 for i in range(4)])
        errors = []
        for shard in range(4):
            with open(os.path.join(output, f"prediction.errors_stats-{shard:05d}-of-00004")) as f:
                errors += [json.loads(line) for line in f]
        self.assertEqual(len(errors), 1, errors)
        self.assertEqual((errors[0]["file"], errors[0]["offset"]), (corrupt, offset), errors)
        results = self.results(output, shards=4)
        self.assertEqual(len(results), 7999)
        expected = fx.score_directly("sklearn", model, [x for i, x in enumerate(instances) if i != 4037])
        self.assertIsNone(fx.first_difference(expected, [line["prediction"] for line in results]))

    def test_a_killed_shard_is_resumed_alone(self):
        model = self.path("model")
        fx.make_custom_model(model, scale=1.0, delay=0.15)
        package = fx.make_custom_package(self.path("package"))
        catalog = self.registry_catalog(model, package)
        instances = [[float(i), 0.5, 0.25, 0.125] for i in range(16000)]  # 4 files of about 100 KB
        for part in range(4):
            fx.write_json_lines(self.path(f"part-{part}.json"), instances[part * 4000:(part + 1) * 4000])
        output = self.path("out")
        job_id = self.unique_id("p_resume")
        self.mljob("submit", "prediction", job_id, "--model", "scaler", "--data-format", "json",
                   "--input-paths", self.path("part-*.json"), "--output-path", output, "--max-worker-count", "4",
                   "--batch-size", "100", "--tiers", catalog)
        progress = os.path.join(self.home, "jobs", job_id, "progress", "00002.json")

        def shard_two_midway():
            try:
                with open(progress) as f:
                    seen = json.load(f)
            except (OSError, ValueError):
                return NotYet("no progress yet")
            return seen if 0 < seen["recordsRead"] < 2000 else NotYet(seen)
        poll_until(shard_two_midway, 120, interval=0.3, what="shard 2 to be midway")
        array = self.describe(job_id)["slurmJobId"]
        self.slurm("scancel", f"{array}_2")
        job = self.wait_final(job_id)
        self.assertEqual(job["state"], "FAILED", job)
        self.assertIn("shard 2 of 4 was cancelled", job.get("errorMessage", "").lower(), job)
        self.assertIn("mljob resume", job.get("errorMessage", ""), job)
        self.assertFalse(os.path.exists(os.path.join(output, "prediction.results-00002-of-00004")))
        self.assertEqual(glob.glob(os.path.join(output, "*partial*")) + glob.glob(os.path.join(output, ".*")), [],
                         "a cancelled shard leaves no partial file")
        finished = {i: os.stat(os.path.join(output, f"prediction.results-{i:05d}-of-00004")).st_mtime_ns
                    for i in (0, 1, 3)}
        resumed = self.mljob("resume", job_id)
        self.assertIn("1 unfinished shard(s) (2)", resumed.stderr)
        job = self.wait_final(job_id)
        self.assertEqual(job["state"], "SUCCEEDED", job)
        self.assertEqual(job["predictionOutput"]["predictionCount"], "16000", job)
        for shard, mtime in finished.items():
            self.assertEqual(os.stat(os.path.join(output, f"prediction.results-{shard:05d}-of-00004")).st_mtime_ns,
                             mtime, f"shard {shard} was computed again")
        results = self.results(output, shards=4)
        self.assertEqual(sorted(line["instance"][0] for line in results), [float(i) for i in range(16000)])
        self.assertEqual([line["prediction"] for line in results], [i + 0.875 for i in range(16000)])
        again = self.mljob("resume", job_id, check=False)
        self.assertEqual(again.returncode, 2, again.stderr)
        self.assertIn("no unfinished shard", again.stderr)


class LabScripts(PredictionTestCase):
    def test_mljob_submit_waits_and_list_shows_it(self):
        model = self.path("model")
        fx.make_sklearn_model(model)
        source = self.path("input.csv")
        fx.write_csv(source, fx.make_instances(30))
        with open(self.path("job.yaml"), "w") as f:  # a Job file with predictionInput, flags over it
            f.write(f"labels: {{team: vision}}\npredictionInput:\n  uri: {model}\n  dataFormat: CSV\n"
                    f"  inputPaths: [{source}]\n  outputPath: {self.path('ignored')}\n  batchSize: 7\n")
        job_id = self.unique_id("p_lab")
        result = subprocess.run(self.user_argv([MLJOB_SUBMIT, "--wait", "--format", "json", "prediction", job_id,
                                                "--config", self.path("job.yaml"), "--output-path", self.path("out"),
                                                "--output-data-format", "csv"]),
                                env=self.env, capture_output=True, text=True, timeout=300)
        self.assertEqual(result.returncode, 0, result.stderr)
        job = json.loads(result.stdout)
        self.assertEqual((job["jobId"], job["state"], job["labels"]), (job_id, "SUCCEEDED", {"team": "vision"}))
        self.assertEqual(job["predictionInput"]["batchSize"], "7")
        self.assertEqual(job["predictionOutput"]["predictionCount"], "30")
        with open(self.path("out", "prediction.results-00000-of-00001")) as f:
            rows = f.read().splitlines()
        self.assertEqual([int(row) for row in rows], fx.score_directly("sklearn", model, fx.make_instances(30)))
        self.assertFalse(os.path.exists(self.path("ignored")), "the flag's output path replaces the file's")
        listing = json.loads(self.mljob("list", "--format", "json").stdout)["jobs"]
        self.assertEqual([(j["jobId"], j["state"]) for j in listing if j["jobId"] == job_id], [(job_id, "SUCCEEDED")])


class MalformedPredictionSpecs(PredictionTestCase):
    """Each refused with exit 2 and a message naming the field; nothing submitted, nothing left."""

    def test_each_is_refused_with_nothing_submitted(self):
        model = self.path("model")
        fx.make_sklearn_model(model)
        empty_model = self.path("empty-model")
        os.makedirs(empty_model)
        source = self.path("input.json")
        fx.write_json_lines(source, fx.make_instances(5))
        empty_input = self.path("empty.json")
        open(empty_input, "w").close()
        used_output = self.path("used")
        os.makedirs(used_output)
        open(os.path.join(used_output, "prediction.results-00000-of-00001"), "w").close()
        a_file = self.path("a-file")
        open(a_file, "w").close()
        config = self.path("both.yaml")
        with open(config, "w") as f:
            f.write("trainingInput: {scaleTier: BASIC}\npredictionInput: {dataFormat: JSON}\n")
        typo = self.path("typo.yaml")
        with open(typo, "w") as f:
            f.write(f"predictionInput: {{uri: {model}, dataFormat: JSON, inputPath: [{source}], outputPath: x}}\n")
        union = self.path("union.yaml")
        with open(union, "w") as f:
            f.write(f"predictionInput: {{uri: {model}, modelName: census, dataFormat: JSON, inputPaths: [{source}],"
                    f" outputPath: {self.path('o-union')}}}\n")
        fresh = self.path("fresh-output")
        common = ["--data-format", "json", "--input-paths", source, "--output-path", fresh]
        cases = [
            ("no model", ["--data-format", "json", "--input-paths", source, "--output-path", fresh], "modelName"),
            ("two models", ["--config", union], "predictionInput.uri"),
            ("a bad data format", ["--model-dir", model, "--data-format", "parquet", "--input-paths", source,
                                   "--output-path", fresh], "--data-format"),
            ("no data format", ["--model-dir", model, "--input-paths", source, "--output-path", fresh],
             "predictionInput.dataFormat"),
            ("an input-only output format", ["--model-dir", model, *common, "--output-data-format", "tf-record"],
             "predictionInput.outputDataFormat"),
            ("an empty wildcard match", ["--model-dir", model, "--data-format", "json", "--input-paths",
                                         self.path("nothing-*.json"), "--output-path", fresh],
             "predictionInput.inputPaths[0]"),
            ("a missing input file", ["--model-dir", model, "--data-format", "json", "--input-paths",
                                      self.path("absent.json"), "--output-path", fresh],
             "predictionInput.inputPaths[0]"),
            ("a wildcard in a folder", ["--model-dir", model, "--data-format", "json", "--input-paths",
                                        self.path("*", "x.json"), "--output-path", fresh],
             "predictionInput.inputPaths[0]"),
            ("an output path holding results", ["--model-dir", model, "--data-format", "json", "--input-paths",
                                                source, "--output-path", used_output], "predictionInput.outputPath"),
            ("an output path that is a file", ["--model-dir", model, "--data-format", "json", "--input-paths",
                                               source, "--output-path", a_file], "predictionInput.outputPath"),
            ("no workers", ["--model-dir", model, *common, "--max-worker-count", "0"],
             "predictionInput.maxWorkerCount"),
            ("negative workers", ["--model-dir", model, *common, "--max-worker-count", "-3"],
             "predictionInput.maxWorkerCount"),
            ("too many workers", ["--model-dir", model, *common, "--max-worker-count", "20000"],
             "predictionInput.maxWorkerCount"),
            ("a zero batch", ["--model-dir", model, *common, "--batch-size", "0"], "predictionInput.batchSize"),
            ("a model folder with no model", ["--model-dir", empty_model, *common], "predictionInput.uri"),
            ("a missing model folder", ["--model-dir", self.path("absent-model"), *common], "predictionInput.uri"),
            ("an unmapped object store", ["--model-dir", "s3://unmapped-bucket/model", *common],
             "predictionInput.uri"),
            ("a model without a registry", ["--model", "census", *common], "predictionInput.modelName"),
            ("a signature sklearn lacks", ["--model-dir", model, *common, "--signature-name", "serving_default"],
             "predictionInput.signatureName"),
            ("an unknown field", ["--config", typo], "predictionInput.inputPath"),
            ("training and prediction", ["--config", config], "--config"),
            ("a bad job ID", ["--model-dir", model, *common], "jobId"),
            ("empty input", ["--model-dir", model, "--data-format", "json", "--input-paths", empty_input,
                             "--output-path", fresh], "predictionInput.inputPaths"),
            ("a version without a model", ["--model-dir", model, *common, "--version", "v1"], "--version"),
        ]
        for name, flags, field in cases:
            with self.subTest(case=name):
                job_id = "1bad" if name == "a bad job ID" else self.unique_id("p_bad")
                result = self.mljob("submit", "prediction", job_id, *flags, check=False)
                self.assertEqual(result.returncode, 2, f"{name}: {result.stderr}")
                self.assertIn(field, result.stderr, name)
                self.assertFalse(os.path.exists(os.path.join(self.home, "jobs", job_id)), name)
                self.assertEqual(self.slurm_states_named(job_id), [], name)
        self.assertFalse(os.path.exists(fresh), "a refused job made its output folder")
        self.assertGreaterEqual(len(cases), 15)


if __name__ == "__main__":
    unittest.main()
