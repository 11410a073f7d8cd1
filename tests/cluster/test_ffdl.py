"""FfDL's front door on the real cluster, as an ordinary user: a manifest.yml and a model
definition (a folder or a zip the test writes) submitted with `mljob submit ffdl` and
`mljob-submit ffdl`, two learners running a small shell trainer, and FfDL's operations on them:
show and list in GetTrainingJob's shape, halt (HALTED, results kept), delete (gone, Slurm job
cancelled), the trained model and the model definition downloaded as zips, and a refused
manifest that leaves nothing."""
import json
import os
import re
import subprocess
import zipfile

from harness import FIXTURES, MLJOB_SUBMIT, ClusterTestCase, NotYet, poll_until

# Every learner writes its own weights into RESULT_DIR, says where it is, then waits SECONDS.
TRAIN_SH = r'''#!/bin/bash
set -eu
echo "learner $LEARNER_ID of $NUM_LEARNERS data=$(cat "$DATA_DIR/mnist/train.txt") training=$TRAINING_ID"
mkdir -p "$RESULT_DIR/model"
printf 'weights of learner %s\n' "$LEARNER_ID" > "$RESULT_DIR/model/weights-$LEARNER_ID.txt"
echo "accuracy=0.9"
sleep "$1"
'''


class FfdlTrainings(ClusterTestCase):
    def setUp(self):
        super().setUp()
        self.work = self.scratch("mljob-test-ffdl-")
        self.data = os.path.join(self.work, "lab-data")
        self.results = os.path.join(self.work, "lab-results")
        self.write(os.path.join(self.data, "mnist", "train.txt"), "0123")
        os.makedirs(self.results)
        self.model_folder = os.path.join(self.work, "model")
        self.write(os.path.join(self.model_folder, "train.sh"), TRAIN_SH)
        self.catalog = os.path.join(self.work, "tiers.yaml")
        self.write(self.catalog, "\n".join([
            f"extends: {os.path.join(FIXTURES, 'contrib', 'cluster', 'tiers.yaml')}",
            "storage:",
            f"  s3://lab-data/: {self.data}/",
            f"  s3://lab-results/: {self.results}/",
            ""]))

    def write(self, path, content):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as out:
            out.write(content)

    def manifest(self, seconds, results_bucket=False, memory="1GiB"):
        results = "    training_results: {container: lab-results}\n" if results_bucket else ""
        path = os.path.join(self.work, f"manifest-{self.unique_id('m')}.yml")
        self.write(path, f"""name: mnist test
description: two learners of a shell trainer
version: "1.0"
learners: 2
cpus: 1
gpus: 0
memory: {memory}
data_stores:
  - id: lab
    type: s3_datastore
    training_data: {{container: lab-data}}
{results}    connection: {{auth_url: "http://s3.example", user_name: alice, password: secret}}
framework:
  name: custom
  version: "1"
  command: bash train.sh {seconds}
""")
        return path

    def submit(self, manifest, model_definition=None):
        result = self.mljob("submit", "ffdl", "--manifest", manifest, "--model-definition",
                            model_definition or self.model_folder, "--tiers", self.catalog)
        self.assertIn("Deploying model with manifest", result.stdout)
        found = re.search(r"^Model ID: (training-[A-Za-z0-9]{9})$", result.stdout, re.M)
        self.assertTrue(found, result.stdout)
        self.assertTrue(result.stdout.endswith("OK\n"), result.stdout)
        return found.group(1)

    def show(self, training_id):
        return json.loads(self.mljob("ffdl", "show", training_id).stdout)

    def wait_for_status(self, training_id, statuses, timeout=180):
        def reached():
            model = self.show(training_id)
            return model if model["training"]["training_status"]["status"] in statuses else NotYet(model)
        return poll_until(reached, timeout, what=f"{training_id} to reach {statuses}")

    def wait_for_weights(self, result_dir):
        files = [os.path.join(result_dir, "model", f"weights-{n}.txt") for n in (1, 2)]
        poll_until(lambda: all(os.path.exists(f) for f in files) or NotYet(os.listdir(result_dir)), 120,
                   what=f"both learners' weights in {result_dir}")

    def zip_contents(self, path):
        with zipfile.ZipFile(path) as archive:
            return {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}

    def test_halted_while_running_keeps_its_folder_and_results(self):
        training_id = self.submit(self.manifest(300, results_bucket=True))
        result_dir = os.path.join(self.results, training_id)
        model = self.wait_for_status(training_id, ["PROCESSING"])
        self.assertEqual(model["training"]["learners"], 2)
        self.assertEqual(model["data_stores"][0]["connection"]["password"], "(not shown)")
        self.assertEqual(model["data_stores"][0]["connection"]["user_name"], "(not shown)")
        self.wait_for_weights(result_dir)
        # A running trainer's model is not complete: refused, saying its state.
        refused = self.mljob("ffdl", "trained-model", training_id, "--output",
                             os.path.join(self.work, "early.zip"), check=False)
        self.assertEqual(refused.returncode, 2, refused.stderr)
        self.assertIn("has not ended (it is RUNNING)", refused.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.work, "early.zip")))

        halted = self.mljob("ffdl", "halt", training_id)
        self.assertEqual(halted.stdout, f"Halting training '{training_id}'...\nOK\n")
        self.assertEqual(self.show(training_id)["training"]["training_status"]["status"], "HALTED")
        self.wait_for_state(training_id, ["CANCELLED"])
        model = self.show(training_id)
        self.assertEqual(model["training"]["training_status"]["status"], "HALTED")
        self.assertIn("completed", model["training"]["training_status"])
        # Kept: the job's folder, its output and both learners' results.
        self.assertTrue(os.path.isdir(os.path.join(self.home, "jobs", training_id, "model-definition")))
        self.assertIn(f"learner 1 of 2 data=0123 training={training_id}", self.output_of(training_id))
        for n in (1, 2):
            with open(os.path.join(result_dir, "model", f"weights-{n}.txt")) as weights:
                self.assertEqual(weights.read(), f"weights of learner {n}\n")
        # Halting again is a no-op.
        self.assertEqual(self.mljob("ffdl", "halt", training_id).stdout, "")
        listed = json.loads(self.mljob("ffdl", "list").stdout)["models"]
        self.assertEqual([(m["model_id"], m["training"]["training_status"]["status"]) for m in listed],
                         [(training_id, "HALTED")])

    def test_deleted_training_is_gone_and_its_slurm_job_cancelled(self):
        training_id = self.submit(self.manifest(300))
        folder = os.path.join(self.home, "jobs", training_id)
        self.wait_for_status(training_id, ["PROCESSING"])
        # No terminal to ask on and no --yes: refused, nothing done.
        refused = self.mljob("ffdl", "delete", training_id, check=False)
        self.assertEqual(refused.returncode, 2, refused.stderr)
        self.assertIn("--yes", refused.stderr)
        self.assertTrue(os.path.isdir(folder))
        self.assertEqual(self.show(training_id)["training"]["training_status"]["status"], "PROCESSING")

        deleted = self.mljob("ffdl", "delete", training_id, "--yes")
        self.assertEqual(deleted.stdout, f"Deleting model '{training_id}'...\nOK\n")
        self.assertFalse(os.path.exists(folder))
        for command in (["ffdl", "show", training_id], ["describe", training_id]):
            gone = self.mljob(*command, check=False)
            self.assertEqual(gone.returncode, 2, gone.stderr)
            self.assertIn("no such job", gone.stderr)
        self.assertEqual(set(self.slurm_states_named(training_id)), {"CANCELLED"})
        self.assertEqual(json.loads(self.mljob("ffdl", "list").stdout), {"models": []})

    def test_completed_training_gives_its_trained_model_and_model_definition(self):
        model_zip = os.path.join(self.work, "model.zip")
        with zipfile.ZipFile(model_zip, "w") as archive:
            archive.writestr("train.sh", TRAIN_SH)
        result = subprocess.run(self.user_argv([MLJOB_SUBMIT, "ffdl", "--manifest", self.manifest(0),
                                                "--model-definition", model_zip, "--tiers", self.catalog]),
                                env=self.env, capture_output=True, text=True, timeout=300)
        self.assertEqual(result.returncode, 0, result.stderr)
        training_id = result.stdout.strip()
        self.assertRegex(training_id, r"^training-[A-Za-z0-9]{9}$")
        model = self.wait_for_status(training_id, ["COMPLETED", "FAILED", "HALTED"])
        self.assertEqual(model["training"]["training_status"]["status"], "COMPLETED",
                         json.dumps(model, indent=1) + self.output_of(training_id))
        self.assertEqual(model["training"]["command"], "bash train.sh 0")
        self.assertEqual(model["training"]["memory"], 1024)
        self.assertEqual(self.describe(training_id)["state"], "SUCCEEDED")

        # What the trainer wrote, byte for byte (RESULT_DIR is in the job's folder: no results bucket).
        result_dir = os.path.join(self.home, "jobs", training_id, "results", training_id)
        written = {}
        for path, _, files in os.walk(result_dir):
            for name in files:
                with open(os.path.join(path, name), "rb") as f:
                    written[os.path.relpath(os.path.join(path, name), result_dir)] = f.read()
        self.assertEqual(written, {f"model/weights-{n}.txt": f"weights of learner {n}\n".encode() for n in (1, 2)})
        trained = os.path.join(self.work, "out", "trained.zip")
        os.makedirs(os.path.dirname(trained))
        self.mljob("ffdl", "trained-model", training_id, "--output", trained)
        self.assertEqual(self.zip_contents(trained), written)
        # Never over an existing file unless asked.
        again = self.mljob("ffdl", "trained-model", training_id, "--output", trained, check=False)
        self.assertEqual(again.returncode, 2, again.stderr)
        self.assertIn("exists: give --force", again.stderr)
        self.mljob("ffdl", "trained-model", training_id, "--output", trained, "--force")
        self.assertEqual(self.zip_contents(trained), written)

        definition = os.path.join(self.work, "out", "definition.zip")
        self.mljob("ffdl", "model-definition", training_id, "--output", definition)
        self.assertEqual(self.zip_contents(definition), {"train.sh": TRAIN_SH.encode()})

        # FfDL's logs and emetrics, through mljob logs and mljob metrics.
        logs = self.mljob("ffdl", "logs", training_id).stdout
        self.assertIn("learner 2 of 2 data=0123", logs)
        self.assertIsInstance(json.loads(self.mljob("ffdl", "emetrics", training_id).stdout), list)

    def test_a_refused_manifest_leaves_nothing(self):
        def training_jobs():
            out = self.slurm("squeue", "--me", "--noheader", "--states=all", "--format=%j")
            return {name for name in out.split() if name.startswith("training-")}
        before = training_jobs()
        cases = {
            "fractional memory": (self.manifest(0, memory="1.5GB"), self.model_folder,
                                  "memory: value '1.5GB': must be a whole number"),
            "missing model definition": (self.manifest(0), os.path.join(self.work, "absent.zip"),
                                         "--model-definition: value"),
        }
        path = os.path.join(self.work, "unmapped.yml")
        with open(self.manifest(0)) as mapped:
            self.write(path, mapped.read().replace("container: lab-data", "container: elsewhere"))
        cases["unmapped bucket"] = (path, self.model_folder, "s3://elsewhere/")
        for case, (manifest, definition, message) in cases.items():
            with self.subTest(case):
                result = self.mljob("submit", "ffdl", "--manifest", manifest, "--model-definition", definition,
                                    "--tiers", self.catalog, check=False)
                self.assertEqual(result.returncode, 2, result.stderr)
                self.assertIn(message, result.stderr)
                jobs = os.path.join(self.home, "jobs")
                self.assertEqual(os.listdir(jobs) if os.path.isdir(jobs) else [], [], case)
        self.assertEqual(os.listdir(self.results), [])
        self.assertEqual(training_jobs(), before)


if __name__ == "__main__":
    import unittest
    unittest.main()
