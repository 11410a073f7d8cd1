"""The walking path on the real cluster: an AI Platform STANDARD_1 job becomes one Slurm
heterogeneous job (master, workers, parameter servers), every task gets TF_CONFIG from the
SPANK plugin, and describe / list answer from Slurm accounting."""
import json
import os
import re
import shutil
import unittest

import subprocess

from harness import FIXTURES, MLJOB, MLJOB_SUBMIT, TRAINER, ClusterTestCase, poll_until


class WalkingPath(ClusterTestCase):
    def test_standard_1_job_end_to_end(self):
        job_id = self.unique_id("walk")
        result = self.submit_example(job_id, "--scale-tier", "STANDARD_1", "--labels", "owner=ci,purpose=walking-path",
                                     "--stream-logs")
        self.assertIn("SUCCEEDED", result.stderr)

        job = self.describe(job_id)
        self.assertEqual(job["state"], "SUCCEEDED")
        self.assertEqual(job["jobId"], job_id)
        self.assertEqual(job["trainingInput"]["scaleTier"], "STANDARD_1")
        self.assertEqual(job["labels"], {"owner": "ci", "purpose": "walking-path"})
        rfc3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        for field in ("createTime", "startTime", "endTime"):
            self.assertRegex(job[field], rfc3339)
        self.assertLessEqual(job["createTime"], job["startTime"])
        self.assertLessEqual(job["startTime"], job["endTime"])

        # Slurm accounting: one het job of three components; the master's has a GPU.
        rows = self.wait_for_accounting(job["slurmJobId"], "COMPLETED", components=3)
        self.assertEqual([row[0] for row in rows], [f"{job['slurmJobId']}+{i}" for i in range(3)])
        self.assertIn("gres/gpu=1", rows[0][2])

        # Every task saw a TF_CONFIG naming all 8 replicas, the same cluster for all, and itself in it.
        configs = [json.loads(m) for m in re.findall(r"ROLE \S+ TF_CONFIG (.*)$", self.output_of(job_id), re.M)]
        self.assertEqual(len(configs), 8, self.output_of(job_id))
        clusters = {json.dumps(c["cluster"], sort_keys=True) for c in configs}
        self.assertEqual(len(clusters), 1)
        cluster = configs[0]["cluster"]
        self.assertEqual({k: len(v) for k, v in cluster.items()}, {"master": 1, "worker": 4, "ps": 3})
        tasks = sorted((c["task"]["type"], c["task"]["index"]) for c in configs)
        self.assertEqual(tasks, [("master", 0)] + [("ps", i) for i in range(3)] + [("worker", i) for i in range(4)])
        for config in configs:
            self.assertEqual(config["environment"], "cloud")
        addresses = [a for members in cluster.values() for a in members]
        self.assertEqual(len(set(addresses)), 8, "every task has its own host:port")
        # SageMaker's model dir sits under the job's --job-dir (the batch script exports MLJOB_JOB_DIR).
        job_dir = os.path.join(self.home, "jobs", job_id, "job-dir")
        self.assertIn(f"master:0 SM_MODEL_DIR={job_dir}/model", self.output_of(job_id))

        # The master wrote its model under --job-dir; list shows the job.
        listing = json.loads(self.mljob("list", "--format", "json").stdout)["jobs"]
        self.assertEqual([j["jobId"] for j in listing], [job_id])
        self.assertEqual(listing[0]["state"], "SUCCEEDED")

    def test_basic_tier_is_one_component(self):
        job_id = self.unique_id("basic")
        self.submit_example(job_id, "--scale-tier", "BASIC", "--stream-logs")
        job = self.describe(job_id)
        self.assertEqual(job["state"], "SUCCEEDED")
        rows = self.wait_for_accounting(job["slurmJobId"], "COMPLETED")
        self.assertEqual(len(rows), 1)
        self.assertIn("ROLE master:0", self.output_of(job_id))

    def test_fields_the_cluster_does_not_act_on_are_said(self):
        # region has no meaning on one Slurm cluster: accepted, as gcloud takes it, and said.
        job_id = self.unique_id("region")
        result = self.submit_example(job_id, "--scale-tier", "BASIC", "--region", "us-central1")
        self.assertIn("mljob: warning: trainingInput.region: value 'us-central1': ignored", result.stderr)
        self.assertEqual(self.wait_for_state(job_id, {"SUCCEEDED", "FAILED"})["state"], "SUCCEEDED")


class Operations(ClusterTestCase):
    def test_list_filters_and_pages(self):
        ids = [self.unique_id(f"page{i}") for i in range(3)]
        for i, job_id in enumerate(ids):
            self.submit_example(job_id, "--scale-tier", "BASIC", "--labels", f"team={'vision' if i < 2 else 'audio'}")
        for job_id in ids:
            self.wait_for_state(job_id, {"SUCCEEDED"})

        def listed(*args):
            return json.loads(self.mljob("list", "--format", "json", *args).stdout)

        vision = listed("--filter", "labels.team=vision AND state=SUCCEEDED")
        self.assertEqual(sorted(j["jobId"] for j in vision["jobs"]), sorted(ids[:2]))
        self.assertEqual([j["jobId"] for j in listed("--filter", "labels.team!=vision")["jobs"]], [ids[2]])
        first = listed("--page-size", "2")
        self.assertEqual(len(first["jobs"]), 2)
        second = listed("--page-size", "2", "--page-token", first["nextPageToken"])
        self.assertNotIn("nextPageToken", second)
        paged = [j["jobId"] for j in first["jobs"] + second["jobs"]]
        self.assertEqual(sorted(paged), sorted(ids))
        times = [j["createTime"] for j in first["jobs"] + second["jobs"]]
        self.assertEqual(times, sorted(times, reverse=True))  # newest first
        bad = self.mljob("list", "--filter", "colour=red", check=False)
        self.assertEqual(bad.returncode, 2)
        self.assertIn("--filter: value 'colour=red'", bad.stderr)

    def test_stream_logs(self):
        job_id = self.unique_id("logs")
        self.submit_example(job_id, "--scale-tier", "STANDARD_1", user_args=("--epochs", "3", "--sleep", "0.5"))
        followed = self.mljob("stream-logs", job_id, "--follow").stdout  # returns when the job ends
        self.assertTrue(followed.rstrip().endswith("master:0 done"), followed)
        self.assertEqual(self.describe(job_id)["state"], "SUCCEEDED")
        master = self.mljob("stream-logs", job_id).stdout.splitlines()
        self.assertEqual(master, followed.splitlines())
        self.assertTrue(all(line.startswith(("ROLE master:0", "master:0")) for line in master), master)
        everyone = self.mljob("stream-logs", job_id, "--all-replicas").stdout
        self.assertIn("worker-3| worker:3 done", everyone)
        self.assertIn("ps-2| ps:2 done", everyone)
        self.assertEqual(self.mljob("stream-logs", job_id, "--tail", "1").stdout, "master:0 done\n")

    def test_update_labels_with_etag(self):
        job_id = self.unique_id("upd")
        self.submit_example(job_id, "--scale-tier", "BASIC", "--labels", "team=vision,stage=dev")
        etag = self.describe(job_id)["etag"]
        self.mljob("update", job_id, "--update-labels", "stage=prod", "--remove-labels", "team", "--etag", etag)
        job = self.describe(job_id)
        self.assertEqual(job["labels"], {"stage": "prod"})
        self.assertNotEqual(job["etag"], etag)
        stale = self.mljob("update", job_id, "--update-labels", "stage=dev", "--etag", etag, check=False)
        self.assertEqual(stale.returncode, 2)
        self.assertIn("is stale", stale.stderr)
        self.assertEqual(self.describe(job_id)["labels"], {"stage": "prod"})
        invalid = self.mljob("update", job_id, "--update-labels", "Bad=x", check=False)
        self.assertEqual(invalid.returncode, 2)
        self.assertIn("labels.Bad", invalid.stderr)
        self.assertEqual(self.describe(job_id)["labels"], {"stage": "prod"})
        self.wait_for_state(job_id, {"SUCCEEDED"})


class LabScripts(ClusterTestCase):
    """mljob-submit, as a lab script calls it: stdin closed, no terminal."""

    def submit(self, *args):
        return subprocess.run(self.user_argv([MLJOB_SUBMIT, *args]), env=self.env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=300)

    def test_prints_only_the_job_id_and_waits(self):
        job_id = self.unique_id("lab")
        result = self.submit("--wait", job_id, "--scale-tier", "BASIC", "--module-name", "trainer.task",
                             "--package-path", TRAINER, "--", "--epochs", "1")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, job_id + "\n")
        self.assertEqual(result.stderr, "")  # no terminal: no progress lines
        self.assertEqual(self.describe(job_id)["state"], "SUCCEEDED")

    def test_json_and_a_failed_job_exits_non_zero(self):
        job_id = self.unique_id("labfail")
        result = self.submit("--format", "json", "--wait", "--scale-tier", "STANDARD_1", "--module-name",
                             "trainer.task", "--package-path", TRAINER, job_id, "--", "--fail")
        self.assertEqual(result.returncode, 1, result.stderr)
        job = json.loads(result.stdout)
        self.assertEqual(job["jobId"], job_id)
        self.assertEqual(job["state"], "FAILED")
        self.assertIn("workers", job["errorMessage"])

    def test_without_wait_returns_at_once(self):
        job_id = self.unique_id("labjson")
        result = self.submit("--format=json", job_id, "--scale-tier", "BASIC", "--module-name", "trainer.task",
                             "--package-path", TRAINER)
        self.assertEqual(result.returncode, 0, result.stderr)
        job = json.loads(result.stdout)  # the Job resource, as describe gives it
        self.assertEqual((job["jobId"], job["state"]), (job_id, "QUEUED"))
        self.assertEqual(job["trainingInput"]["scaleTier"], "BASIC")
        self.wait_for_state(job_id, {"SUCCEEDED"})

    def test_a_study_waits_and_reports_every_trial(self):
        """A tuning study through mljob-submit: its controller runs mljob (mljob-submit has no
        `study` command), and --wait --format json gives the study's resource once every trial ran."""
        config = os.path.join(self.scratch(), "study.yaml")
        with open(config, "w") as out:
            out.write("trainingInput:\n  scaleTier: BASIC\n  pythonModule: hptrainer.task\n"
                      "  args: [--epochs=2, --seconds-per-epoch=0]\n  hyperparameters:\n    goal: MAXIMIZE\n"
                      "    hyperparameterMetricTag: objective\n    maxTrials: 3\n    maxParallelTrials: 3\n"
                      "    algorithm: RANDOM_SEARCH\n"
                      "    params: [{parameterName: x, type: DOUBLE, minValue: 0.0, maxValue: 1.0}]\n")
        study_id = self.unique_id("labstudy")
        result = self.submit("--wait", "--format", "json", study_id, "--config", config,
                             "--package-path", os.path.join(FIXTURES, "etc", "examples", "hptrainer"))
        self.assertEqual(result.returncode, 0, result.stderr + self.output_of(study_id))
        study = json.loads(result.stdout)
        self.assertEqual((study["jobId"], study["state"]), (study_id, "SUCCEEDED"))
        trials = study["trainingOutput"]["trials"]
        self.assertEqual(sorted(int(t["trialId"]) for t in trials), [1, 2, 3], study)
        self.assertTrue(all(t["state"] == "SUCCEEDED" for t in trials), trials)
        self.assertEqual(study["trainingOutput"]["completedTrialCount"], "3")
        with open(os.path.join(self.home, "jobs", study_id, "controller.sbatch")) as controller:
            script = controller.read()
        self.assertRegex(script, r"\nexec '[^']*/mljob' study run ")

    def test_stream_logs_go_to_stderr_and_stdout_keeps_the_job_id(self):
        job_id = self.unique_id("labstream")
        result = self.submit("--stream-logs", job_id, "--scale-tier", "BASIC", "--module-name", "trainer.task",
                             "--package-path", TRAINER, "--", "--epochs", "2")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, job_id + "\n")
        self.assertIn("master:0 done", result.stderr)
        # A trainer that fails at once (its argument parser refuses the epochs).
        failed = self.submit("--stream-logs", "--format", "json", self.unique_id("labstreamfail"), "--scale-tier",
                             "BASIC", "--module-name", "trainer.task", "--package-path", TRAINER, "--",
                             "--epochs", "many")
        self.assertEqual(failed.returncode, 1, failed.stderr)
        self.assertEqual(json.loads(failed.stdout)["state"], "FAILED")
        refused = self.submit("--dry-run", self.unique_id("labdry"), "--scale-tier", "BASIC", "--module-name", "t")
        self.assertEqual(refused.returncode, 2, refused.stderr)
        self.assertIn("--dry-run", refused.stderr)

    def test_a_cancelled_job_exits_1(self):
        job_id = self.unique_id("labcancel")
        waiting = subprocess.Popen(self.user_argv([MLJOB_SUBMIT, "--wait", "--format", "json", job_id, "--scale-tier",
                                                   "BASIC", "--module-name", "trainer.task", "--package-path", TRAINER,
                                                   "--", "--epochs", "600", "--sleep", "1"]),
                                   env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        poll_until(lambda: os.path.exists(os.path.join(self.home, "jobs", job_id, "job.json")), 60, interval=0.2,
                   what=f"the submit to make {job_id}'s record")
        self.wait_for_state(job_id, {"RUNNING"})
        self.mljob("cancel", job_id)
        out, err = waiting.communicate(timeout=120)
        self.assertEqual(waiting.returncode, 1, err)
        self.assertEqual(json.loads(out)["state"], "CANCELLED")
        self.assertIn(f"mljob-submit: {job_id} ended CANCELLED", err)

    def test_bad_input_is_exit_2(self):
        result = self.submit("bad-id", "--scale-tier", "BASIC", "--module-name", "t")
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stdout, "")
        self.assertIn("mljob-submit: error: jobId: value 'bad-id'", result.stderr)


class SlurmctldInProcess(ClusterTestCase):
    """Live jobs are read from slurmctld through libslurm, in-process; squeue is the fallback
    (and what mljob runs where squeue would show a federation's jobs, SQUEUE_FEDERATION). Both
    must give the same Job resources."""

    def resources(self, *args, squeue):
        env = dict(self.env)
        if squeue:
            env["SQUEUE_FEDERATION"] = "1"
        else:  # no squeue to run: libslurm must answer (sacct stays, for the list's accounting)
            env["PATH"] = self.scratch("mljob-no-squeue-")
            os.symlink(shutil.which("sacct", path=self.env["PATH"]), os.path.join(env["PATH"], "sacct"))
        result = subprocess.run(self.user_argv([MLJOB, *args, "--format", "json"]), env=env, capture_output=True, text=True,
                                timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr, "")
        return json.loads(result.stdout)

    def comparable(self, job):
        """All but what moves with the clock: ML units grow while the job runs, and the etag with them."""
        job = dict(job)
        units = job.pop("trainingOutput", {}).pop("consumedMLUnits", None)
        job.pop("etag")
        return job, units

    def test_a_running_het_job_reads_the_same_through_libslurm_and_squeue(self):
        job_id = self.unique_id("live")
        self.submit_example(job_id, "--scale-tier", "STANDARD_1", user_args=("--epochs", "600", "--sleep", "1"))
        other = self.unique_id("live")
        self.submit_example(other, "--scale-tier", "BASIC", user_args=("--epochs", "600", "--sleep", "1"))
        try:
            self.wait_for_state(job_id, {"RUNNING"}, timeout=60)
            self.wait_for_state(other, {"RUNNING"}, timeout=60)
            ours, ours_units = self.comparable(self.resources("describe", job_id, squeue=False))
            theirs, theirs_units = self.comparable(self.resources("describe", job_id, squeue=True))
            self.assertEqual(ours, theirs)
            self.assertEqual(ours["state"], "RUNNING")
            self.assertIn("startTime", ours)
            self.assertNotIn("endTime", ours)
            self.assertAlmostEqual(ours_units, theirs_units, delta=0.05)
            # A list asks for every job at once (slurm_load_jobs, not slurm_load_job): the same.
            ours = [self.comparable(job)[0] for job in self.resources("list", squeue=False)["jobs"]]
            theirs = [self.comparable(job)[0] for job in self.resources("list", squeue=True)["jobs"]]
            self.assertEqual(ours, theirs)
            self.assertEqual(sorted(job["jobId"] for job in ours), sorted([job_id, other]))
        finally:
            self.mljob("cancel", job_id)
            self.mljob("cancel", other)


if __name__ == "__main__":
    unittest.main()
