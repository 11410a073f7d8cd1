"""The tier catalog against the real cluster: every tier of the local catalog runs as a real
job with the resources the catalog promises; `mljob tiers check` tells a good catalog from a
bad one; a plan that can never start is refused before anything is submitted."""
import os
import unittest

from harness import FIXTURES, ClusterTestCase


class Tiers(ClusterTestCase):
    def run_tier(self, *flags, components):
        job_id = self.unique_id("tier")
        self.submit_example(job_id, *flags, "--stream-logs", user_args=("--epochs", "1"))
        job = self.describe(job_id)
        self.assertEqual(job["state"], "SUCCEEDED", job)
        return job_id, self.wait_for_accounting(job["slurmJobId"], "COMPLETED", components=components)

    def test_premium_1_runs_31_replicas(self):
        job_id, rows = self.run_tier("--scale-tier", "PREMIUM_1", components=2)
        # master and 19 workers share a shape (one component, 4 nodes), 11 ps the other.
        self.assertIn("cpu=320", rows[0][2])
        self.assertIn("node=4", rows[0][2])
        self.assertEqual(self.output_of(job_id).count(" done"), 31)

    def test_basic_gpu_gets_its_gpu(self):
        _, rows = self.run_tier("--scale-tier", "BASIC_GPU", components=1)
        self.assertIn("gres/gpu=1", rows[0][2])
        self.assertIn("cpu=8", rows[0][2])

    def test_custom_with_accelerators(self):
        job_id, rows = self.run_tier(
            "--scale-tier", "CUSTOM", "--master-machine-type", "n1-standard-8",
            "--master-accelerator", "count=2,type=NVIDIA_TESLA_V100",
            "--worker-machine-type", "n1-standard-4", "--worker-count", "2",
            "--worker-accelerator", "count=1,type=NVIDIA_TESLA_T4", components=2)
        self.assertIn("gres/gpu=2", rows[0][2])
        self.assertIn("gres/gpu=2", rows[1][2])  # 2 workers x 1
        self.assertIn("ROLE worker:1", self.output_of(job_id))

    def test_tiers_check_against_the_cluster(self):
        good = self.mljob("tiers", "check", os.path.join(FIXTURES, "contrib", "cluster", "tiers.yaml"))
        self.assertIn("0 problem(s)", good.stdout)
        # The stock catalog asks for K80s and P4s, which this cluster does not have.
        bad = self.mljob("tiers", "check", os.path.join(FIXTURES, "etc", "tiers.yaml"), check=False)
        self.assertEqual(bad.returncode, 1)
        self.assertIn("PROBLEM accelerator type NVIDIA_TESLA_K80: GRES type 'k80' is on no node", bad.stdout)
        self.assertIn("PROBLEM scale tier BASIC_GPU", bad.stdout)

    def test_never_fitting_plan_is_refused_and_nothing_submitted(self):
        before = self.slurm("squeue", "--noheader", "--format=%i")
        job_id = self.unique_id("huge")
        result = self.mljob("submit", "training", job_id, "--scale-tier", "CUSTOM",
                            "--master-machine-type", "n1-standard-8",
                            "--master-accelerator", "count=16,type=NVIDIA_TESLA_T4",
                            "--module-name", "trainer.task", check=False)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("can never start on this cluster", result.stderr)
        self.assertIn("16 t4 GPU(s)", result.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.home, "jobs", job_id)))
        self.assertEqual(self.slurm("squeue", "--noheader", "--format=%i"), before)

    def test_dry_run_says_whether_it_fits(self):
        result = self.mljob("submit", "training", "dry_fit", "--scale-tier", "STANDARD_1",
                            "--module-name", "trainer.task", "--dry-run")
        self.assertIn("# Fit: the cluster can run this plan", result.stdout)
        self.assertIn("#SBATCH --ml-roles=master,worker,ps", result.stdout)
        self.assertFalse(os.path.exists(os.path.join(self.home, "jobs", "dry_fit")))


if __name__ == "__main__":
    unittest.main()
