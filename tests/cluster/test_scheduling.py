"""AI Platform's scheduling block on real Slurm: maxRunningTime is the time limit,
maxWaitTime a deadline; jobs that pass them read back FAILED with a plain message."""
import os
import tempfile

from harness import ClusterTestCase


class Scheduling(ClusterTestCase):
    def config(self, text):
        handle, path = tempfile.mkstemp(suffix=".yaml", dir=self.scratch())
        with os.fdopen(handle, "w") as config:
            config.write(text)
        return path

    def test_a_job_past_its_max_running_time_times_out(self):
        job_id = self.unique_id("timeout")
        config = self.config("trainingInput:\n  scaleTier: BASIC\n  scheduling: {maxRunningTime: 60s}\n")
        self.submit_example(job_id, "--config", config, user_args=("--epochs", "600", "--sleep", "1"))
        job = self.wait_for_state(job_id, {"SUCCEEDED", "FAILED", "CANCELLED"}, timeout=240)
        self.assertEqual(job["state"], "FAILED")
        self.assertEqual(job["errorMessage"], "The master reached its time limit and was stopped.")
        self.assertEqual(job["trainingInput"]["scheduling"], {"maxRunningTime": "60s"})
        # The limit Slurm enforced is the one asked for (rounded to Slurm's minute).
        limit = self.slurm("sacct", "-X", "-n", "-P", "-j", job["slurmJobId"], "-o", "Timelimit").split()[0]
        self.assertEqual(limit, "00:01:00")
        output = self.output_of(job_id)
        self.assertIn("epoch=1 ", output)
        self.assertIn("DUE TO TIME LIMIT", output)

    def test_a_job_that_cannot_start_within_max_wait_time_is_removed(self):
        # Every node drained: nothing can start, so the deadline removes the job.
        self.as_admin("scontrol", "update", "nodename=n[1-6]", "state=drain", "reason=mljob-test-max-wait-time")
        try:
            job_id = self.unique_id("wait")
            config = self.config("trainingInput:\n  scaleTier: BASIC\n"
                                 "  scheduling: {maxRunningTime: 60s, maxWaitTime: 20s}\n")
            self.submit_example(job_id, "--config", config)
            job = self.wait_for_state(job_id, {"SUCCEEDED", "FAILED", "CANCELLED"}, timeout=120)
        finally:
            self.as_admin("scontrol", "update", "nodename=n[1-6]", "state=resume")
        self.assertEqual(job["state"], "FAILED")
        self.assertNotIn("startTime", job)
        self.assertIn("could not start within its maximum wait time (scheduling.maxWaitTime)", job["errorMessage"])

    def test_bad_scheduling_values_submit_nothing(self):
        for text, field in (("maxRunningTime: 2h", "trainingInput.scheduling.maxRunningTime"),
                            ("maxWaitTime: 60s", "trainingInput.scheduling.maxWaitTime"),
                            ("priority: 5000", "trainingInput.scheduling.priority")):
            job_id = self.unique_id("badsched")
            config = self.config("trainingInput:\n  scaleTier: BASIC\n  scheduling: {" + text + "}\n")
            result = self.mljob("submit", "training", job_id, "--config", config, "--module-name", "trainer.task",
                                check=False)
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertIn(field, result.stderr)
            self.assertFalse(os.path.exists(os.path.join(self.home, "jobs", job_id)))
