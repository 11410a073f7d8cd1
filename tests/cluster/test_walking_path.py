"""The walking path on the real cluster: an AI Platform STANDARD_1 job becomes one Slurm
heterogeneous job (master, workers, parameter servers), every task gets TF_CONFIG from the
SPANK plugin, and describe / list answer from Slurm accounting."""
import json
import re
import unittest

from harness import ClusterTestCase


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


if __name__ == "__main__":
    unittest.main()
