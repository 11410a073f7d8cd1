"""Failures read back as AI Platform reports them, and bad input leaves nothing behind."""
import json
import os
import subprocess
import tempfile
import unittest

from harness import CLUSTER, TRAINER, ClusterTestCase, NotYet, poll_until


class Failures(ClusterTestCase):
    def test_failed_worker_is_named(self):
        job_id = self.unique_id("fail")
        result = self.mljob("submit", "training", job_id, "--module-name", "trainer.task", "--package-path", TRAINER,
                            "--scale-tier", "STANDARD_1", "--stream-logs", "--", "--fail", check=False)
        self.assertEqual(result.returncode, 1, result.stderr)
        job = self.describe(job_id)
        self.assertEqual(job["state"], "FAILED")
        # Only the workers failed (the trainer's --fail exits 3 on workers); the message names them
        # first and never blames the master. When the workers exit before the others have ended,
        # srun cancels the whole step (--kill-on-bad-exit) and accounting keeps only the signal for
        # every component it cut short: the parameter servers may then be named after the workers.
        self.assertIn(job["errorMessage"], {"The 4 workers exited with status 3.",
                                            "The 4 workers were killed by signal 15.",
                                            "The 4 workers were killed by signal 15; "
                                            "The 3 ps were killed by signal 15."})

    def test_cancel_is_idempotent_and_reads_back_cancelled(self):
        job_id = self.unique_id("cancel")
        self.submit_example(job_id, "--scale-tier", "BASIC", user_args=("--epochs", "600", "--sleep", "1"))
        self.wait_for_state(job_id, {"RUNNING"})
        self.mljob("cancel", job_id)
        self.assertIn(self.describe(job_id)["state"], {"CANCELLING", "CANCELLED"})
        job = self.wait_for_state(job_id, {"CANCELLED"}, timeout=60)
        self.assertIn("endTime", job)
        self.mljob("cancel", job_id)  # a second cancel is fine
        self.assertEqual(self.describe(job_id)["state"], "CANCELLED")

    def test_bad_input_submits_nothing(self):
        before = self.slurm("squeue", "--noheader", "--format=%i")
        cases = [
            (["submit", "training", "1bad", "--scale-tier", "BASIC", "--module-name", "t"], "jobId"),
            (["submit", "training", "ok_id", "--scale-tier", "HUGE", "--module-name", "t"], "scaleTier"),
            (["submit", "training", "ok_id", "--scale-tier", "BASIC_TPU", "--module-name", "t"], "not offered"),
            (["submit", "training", "ok_id", "--scale-tier", "CUSTOM", "--module-name", "t"], "masterType"),
            (["submit", "training", "ok_id", "--scale-tier", "BASIC"], "pythonModule"),
            (["submit", "training", "ok_id", "--scale-tier", "BASIC", "--module-name", "t",
              "--package-path", "/nonexistent"], "--package-path"),
        ]
        for args, expected in cases:
            result = self.mljob(*args, check=False)
            self.assertEqual(result.returncode, 2, f"{args}: {result.stderr}")
            self.assertIn(expected, result.stderr)
        self.assertEqual(os.listdir(os.path.join(self.home, "jobs")) if os.path.isdir(os.path.join(self.home, "jobs")) else [], [])
        self.assertEqual(self.slurm("squeue", "--noheader", "--format=%i"), before)

    def test_a_study_with_a_missing_package_path_is_refused_at_submit(self):
        # Its trials stage the package themselves: without the check, every trial would fail.
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", dir=self.scratch()) as config:
            config.write("trainingInput:\n  scaleTier: BASIC\n  pythonModule: trainer.task\n  hyperparameters:\n"
                         "    maxTrials: 2\n    params: [{parameterName: u, type: INTEGER, minValue: 1, maxValue: 2}]\n")
            config.flush()
            for path, rule in (("/nonexistent", "must be an existing folder"), ("/tmp", "no __init__.py")):
                result = self.mljob("submit", "training", self.unique_id("study"), "--config", config.name,
                                    "--package-path", path, check=False)
                self.assertEqual(result.returncode, 2, result.stderr)
                self.assertRegex(result.stderr, f"^mljob: error: --package-path: value '{path}': .*{rule}")
        self.assertFalse(os.path.isdir(os.path.join(self.home, "jobs")) and os.listdir(os.path.join(self.home, "jobs")))

    def test_job_ids_that_are_paths_reach_no_folder(self):
        outside = self.scratch("mljob-outside-")
        os.makedirs(os.path.join(self.home, "jobs"), exist_ok=True)
        relative = os.path.relpath(outside, os.path.join(self.home, "jobs"))
        for args in (["update", outside, "--update-labels", "a=b"], ["update", relative, "--update-labels", "a=b"],
                     ["cancel", "../../y"], ["describe", relative], ["study", "resume", relative]):
            result = self.mljob(*args, check=False)
            self.assertEqual(result.returncode, 2, f"{args}: {result.stderr}")
            self.assertRegex(result.stderr, r"^mljob: error: JOB_ID: value '.*': must start with a letter", args)
        self.assertEqual(os.listdir(outside), [])  # no job.lock, no job.json written there
        os.rmdir(outside)

    def test_a_record_that_cannot_be_saved_cancels_the_job(self):
        job_id = self.unique_id("nodisk")
        # Labels are in the record only: it is the one file over the limit (the catalog cache is
        # written by the dry run first, and the staged trainer and job.sbatch are a few KB).
        labels = {f"k{i:04d}": "v" * 60 for i in range(600)}
        with tempfile.NamedTemporaryFile("w", suffix=".json", dir=self.scratch()) as config:
            json.dump({"labels": labels, "trainingInput": {"scaleTier": "BASIC", "pythonModule": "trainer.task",
                                                           "args": ["--epochs", "600", "--sleep", "1"]}}, config)
            config.flush()
            args = ("submit", "training", job_id, "--config", config.name, "--package-path", TRAINER)
            self.mljob(*args, "--dry-run")
            result = self.mljob_on_a_full_disk(32 * 1024, *args)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("the job's record could not be saved (cannot write", result.stderr)
        self.assertRegex(result.stderr, r"so its Slurm job \d+ was cancelled: nothing runs without a record")
        self.assertEqual(os.listdir(os.path.join(self.home, "jobs")), [])
        def cancelled():
            states = self.slurm_states_named(job_id)
            return states == ["CANCELLED"] or NotYet(states)
        poll_until(cancelled, 30, interval=0.5, what=f"Slurm's states for {job_id} to be ['CANCELLED']")

    def test_job_ids_are_unique(self):
        job_id = self.unique_id("dup")
        self.submit_example(job_id, "--scale-tier", "BASIC")
        result = self.mljob("submit", "training", job_id, "--scale-tier", "BASIC", "--module-name", "trainer.task",
                            check=False)
        self.assertEqual(result.returncode, 2)
        self.assertIn("already used", result.stderr)
        self.wait_for_state(job_id, {"SUCCEEDED"})


class AccountingDown(ClusterTestCase):
    """slurmdbd stops: describe still answers, from slurmctld, and says so."""

    def test_describe_answers_from_slurmctld(self):
        pid_file = os.path.join(self.env["MLJOB_CLUSTER_DIR"], "run", "slurmdbd.pid")
        with open(pid_file) as f:
            os.kill(int(f.read().strip()), 15)
        try:
            def slurmdbd_gone():  # sacct fails without it
                return subprocess.run(["sacct", "-n", "-X", "-j", "1"], env=self.env, capture_output=True).returncode != 0
            poll_until(slurmdbd_gone, 10, interval=0.2, what="slurmdbd to be gone (sacct to fail)")
            job_id = self.unique_id("nodbd")
            self.submit_example(job_id, "--scale-tier", "BASIC", user_args=("--epochs", "1"))
            finished = self.wait_for_state(job_id, {"SUCCEEDED"}, timeout=60)  # slurmctld knows
            self.assertIn("endTime", finished)
            described = self.mljob("describe", job_id, "--format", "json")
            self.assertIn("accounting is unavailable", described.stderr)
            self.assertIn("answering from slurmctld", described.stderr)
        finally:
            subprocess.run([CLUSTER, "up"], env=self.env, check=True, capture_output=True)
        # Back up: slurmctld hands the records it kept to slurmdbd, and accounting answers again.
        def answered_by_accounting():
            described = self.mljob("describe", job_id, "--format", "json")
            if "unavailable" in described.stderr:
                return NotYet(described.stderr)
            state = json.loads(described.stdout)["state"]
            return state == "SUCCEEDED" or NotYet(state)
        poll_until(answered_by_accounting, 60, what=f"describe to answer {job_id} SUCCEEDED without 'accounting is unavailable'")


class Injection(ClusterTestCase):
    def test_user_args_reach_the_program_verbatim(self):
        nasty = ["it's", "$(touch /tmp/mljob-pwned)", "`id`", "line1\nline2", "#SBATCH --uid=0",
                 "\"quoted\"", "ünïcødé ✓", "back\\slash", "*", "$HOME", ""]
        job_id = self.unique_id("inject")
        self.submit_example(job_id, "--scale-tier", "BASIC", "--stream-logs",
                            user_args=("--echo-args", "--epochs", "1", *nasty))
        lines = [l for l in self.output_of(job_id).splitlines() if "ARGV " in l]
        self.assertEqual(len(lines), 1)
        argv = json.loads(lines[0].split("ARGV ", 1)[1])
        self.assertEqual(argv[:3], ["--echo-args", "--epochs", "1"])
        self.assertEqual(argv[3:3 + len(nasty)], nasty)
        self.assertFalse(os.path.exists("/tmp/mljob-pwned"))

    def test_args_from_a_spec_reach_the_program_as_written(self):
        # YAML reads these plain scalars as numbers; the API's args are strings, passed on as given.
        written = ["0x10", "inf", ".nan", "1e3", "007", "True", "1_000", "-0"]
        job_id = self.unique_id("asis")
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", dir=self.scratch()) as config:
            config.write("trainingInput:\n  scaleTier: BASIC\n  pythonModule: trainer.task\n"
                         f"  args: [--echo-args, --epochs, 1, {', '.join(written)}]\n")
            config.flush()
            self.mljob("submit", "training", job_id, "--config", config.name, "--package-path", TRAINER)
        self.wait_for_state(job_id, {"SUCCEEDED", "FAILED"})
        lines = [l for l in self.output_of(job_id).splitlines() if "ARGV " in l]
        self.assertEqual(len(lines), 1, self.output_of(job_id))
        argv = json.loads(lines[0].split("ARGV ", 1)[1])
        self.assertEqual(argv[:3 + len(written)], ["--echo-args", "--epochs", "1", *written])


if __name__ == "__main__":
    unittest.main()
