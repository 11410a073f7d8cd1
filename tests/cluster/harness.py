"""What every integration test shares: the real local cluster's environment, the real mljob
binary, and helpers to wait for jobs. Nothing here is mocked: these tests submit real jobs to
the cluster that contrib/cluster/mljob-cluster runs."""
import json
import os
import resource
import shlex
import signal
import subprocess
import tempfile
import time
import unittest
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("MLJOB_BUILD_DIR", os.path.join(ROOT, "build"))
MLJOB = os.path.join(BUILD, "bridge", "mljob")
MLJOB_SUBMIT = os.path.join(BUILD, "bridge", "mljob-submit")
CLUSTER = os.path.join(ROOT, "contrib", "cluster", "mljob-cluster")
TRAINER = os.path.join(ROOT, "etc", "examples", "trainer")


def cluster_environment():
    """The environment `mljob-cluster env` prints, applied to a copy of ours."""
    out = subprocess.run([CLUSTER, "env"], check=True, capture_output=True, text=True).stdout
    env = dict(os.environ)
    for line in out.splitlines():
        words = shlex.split(line)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            name, value = words[1].split("=", 1)
            env[name] = value
    return env


class ClusterTestCase(unittest.TestCase):
    """A test with its own MLJOB_HOME, against the running local cluster."""

    def setUp(self):
        self.env = cluster_environment()
        # Under the build folder, not /tmp: kept for a look after a failure, and gone with the build.
        homes = os.path.join(BUILD, "test-homes")
        os.makedirs(homes, exist_ok=True)
        self.home = tempfile.mkdtemp(prefix="mljob-test-home-", dir=homes)
        self.env["MLJOB_HOME"] = self.home
        self.env["MLJOB_TIERS"] = os.path.join(ROOT, "contrib", "cluster", "tiers.yaml")

    def unique_id(self, stem):
        return f"{stem}_{uuid.uuid4().hex[:10]}"

    def mljob(self, *args, check=True):
        result = subprocess.run([MLJOB, *args], env=self.env, capture_output=True, text=True, timeout=300)
        if check and result.returncode != 0:
            self.fail(f"mljob {' '.join(args)} exited {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}")
        return result

    def mljob_on_a_full_disk(self, largest_file, *args):
        """mljob as on a disk with room for no file over `largest_file` bytes: RLIMIT_FSIZE, with
        SIGXFSZ ignored, so that a write past it fails (EFBIG) as a write to a full disk does."""
        def limit_file_size():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (largest_file, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
        return subprocess.run([MLJOB, *args], env=self.env, capture_output=True, text=True, timeout=300,
                              preexec_fn=limit_file_size, restore_signals=False)

    def slurm_states_named(self, name):
        """The states slurmctld has for jobs named `name` (finished ones for MinJobAge too)."""
        out = self.slurm("squeue", "--noheader", "--states=all", f"--name={name}", "--format=%T")
        return out.split()

    def slurm(self, *args):
        return subprocess.run(list(args), env=self.env, capture_output=True, text=True, check=True, timeout=60).stdout

    def describe(self, job_id):
        return json.loads(self.mljob("describe", job_id, "--format", "json").stdout)

    def wait_for_state(self, job_id, states, timeout=180):
        deadline = time.time() + timeout
        while time.time() < deadline:
            job = self.describe(job_id)
            if job["state"] in states:
                return job
            time.sleep(1)
        self.fail(f"job {job_id} did not reach {states} in {timeout}s; last: {job}")

    def wait_for_accounting(self, slurm_job_id, expected_state, components=1, timeout=60):
        """sacct's view of each component once the job has ended there. Slurm 22.05 first
        records an ended het job as one plain row, then (seconds later) a row per component."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            out = self.slurm("sacct", "-j", slurm_job_id, "--allocations", "--noheader", "--parsable2",
                             "--format=JobID,State,AllocTRES")
            rows = [line.split("|") for line in out.splitlines() if line]
            if len(rows) == components and all(row[1].split()[0] == expected_state for row in rows):
                return rows
            time.sleep(1)
        self.fail(f"sacct never showed every component of {slurm_job_id} {expected_state}: {out}")

    def output_of(self, job_id):
        with open(os.path.join(self.home, "jobs", job_id, "output.log"), errors="replace") as log:
            return log.read()

    def submit_example(self, job_id, *flags, user_args=("--epochs", "2")):
        return self.mljob("submit", "training", job_id, "--module-name", "trainer.task",
                          "--package-path", TRAINER, *flags, "--", *user_args)
