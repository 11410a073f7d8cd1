"""Two ordinary users of one cluster: Alice's jobs and studies are hers alone. Bob, another user
of the same cluster, can neither read nor change them, whatever he tries through mljob, and the
records mljob keeps are readable by their owner only, whatever the umask. Every command runs as
one of the two users (setpriv); root only runs the cluster."""
import json
import os
import pwd
import stat
import subprocess

from harness import (MLJOB, OTHER_USER, TRAINER, USER, ClusterTestCase, NotYet, as_user, cluster_environment, poll_until,
                     user_folder)

STUDY = """\
trainingInput:
  scaleTier: BASIC
  pythonModule: trainer.task
  args: [--epochs, "600", --sleep, "1"]
  hyperparameters:
    goal: MAXIMIZE
    hyperparameterMetricTag: accuracy
    maxTrials: 2
    maxParallelTrials: 2
    algorithm: RANDOM_SEARCH
    params: [{parameterName: lr, type: DOUBLE, minValue: 0.01, maxValue: 0.1}]
"""


def snapshot(folder):
    """Every file of `folder` with its bytes and mtime: what "nothing changed" compares."""
    files = {}
    for path, _, names in os.walk(folder):
        for name in names:
            full = os.path.join(path, name)
            # Written by the running job and by the study's controller as its trials report.
            if name in ("output.log", "metrics.db", "metrics.db-journal", "collector.json", "study.db", "study.db-journal") \
                    or "__pycache__" in full:
                continue
            with open(full, "rb") as f:
                files[os.path.relpath(full, folder)] = (f.read(), os.stat(full).st_mtime_ns)
    return files


class TwoUsers(ClusterTestCase):
    def setUp(self):
        super().setUp()
        self.bob_env = cluster_environment(OTHER_USER)
        self.bob_env["MLJOB_HOME"] = user_folder("mljob-test-home-", OTHER_USER)
        self.bob_env["MLJOB_TIERS"] = self.env["MLJOB_TIERS"]

    def bob(self, *args, env=None):
        return subprocess.run(as_user([MLJOB, *args], OTHER_USER), env=env or self.bob_env, capture_output=True,
                              text=True, timeout=120)

    def submit_long_job(self, job_id):
        return self.mljob("submit", "training", job_id, "--scale-tier", "BASIC", "--module-name", "trainer.task",
                      "--package-path", TRAINER, "--", "--epochs", "600", "--sleep", "1")

    def test_bob_cannot_read_or_change_alices_jobs_or_studies(self):
        job_id = self.unique_id("alice_job")
        self.submit_long_job(job_id)
        self.wait_for_state(job_id, {"RUNNING"})
        study_id = self.unique_id("alice_study")
        config = os.path.join(self.scratch(), "study.yaml")
        with open(config, "w") as out:
            out.write(STUDY)
        self.mljob("submit", "training", study_id, "--config", config, "--package-path", TRAINER)
        # The controller writes its lock, trial folders and array scripts after its own job starts:
        # what Bob must not change is compared once both trials run, and the study is quiet.
        def trials_running():
            trials = self.describe(study_id).get("trainingOutput", {}).get("trials", [])
            running = [t for t in trials if t.get("state") == "RUNNING"]
            return len(running) == 2 or NotYet(trials)
        poll_until(trials_running, 180, what=f"both trials of {study_id} to run")
        before = {name: snapshot(os.path.join(self.home, "jobs", name)) for name in (job_id, study_id)}

        attempts = []
        for target in (job_id, study_id):
            attempts += [["describe", target], ["cancel", target], ["update", target, "--update-labels", "owner=bob"],
                         ["stream-logs", target], ["logs", target], ["metrics", target]]
        attempts += [["report", study_id], ["study", "resume", study_id]]
        # Through his own store, and through Alice's (whose path he may know).
        alices_store = dict(self.bob_env, MLJOB_HOME=self.home)
        for env, where in ((self.bob_env, "his store"), (alices_store, "Alice's store")):
            for args in attempts:
                with self.subTest(args=args, store=where):
                    result = self.bob(*args, env=env)
                    self.assertNotEqual(result.returncode, 0, f"{args} as {OTHER_USER}: {result.stdout}")
                    self.assertRegex(result.stderr, r"^mljob: error: ", result.stderr)
                    self.assertNotIn("Traceback", result.stderr)
                    self.assertEqual(result.stdout, "")
            listed = self.bob("list", "--format", "json", env=env)
            if listed.returncode == 0:
                self.assertNotIn(job_id, listed.stdout)
                self.assertNotIn(study_id, listed.stdout)
            else:
                self.assertIn("MLJOB_HOME", listed.stderr)

        # Slurm itself refuses Bob too: his scancel of Alice's job changes nothing.
        slurm_id = self.describe(job_id)["slurmJobId"]
        subprocess.run(as_user(["scancel", slurm_id], OTHER_USER), env=self.bob_env, capture_output=True, timeout=60)

        for name in (job_id, study_id):
            self.assertEqual(self.describe(name)["state"], "RUNNING", name)
            after = snapshot(os.path.join(self.home, "jobs", name))
            self.assertEqual(sorted(after), sorted(before[name]), f"{name}'s files changed")
            self.assertEqual(after, before[name], f"{name} changed")
        self.mljob("cancel", job_id)
        self.mljob("cancel", study_id)
        cancelled = self.wait_for_state(job_id, {"CANCELLED"})
        # errorMessage says why a job was cancelled, and by whom (Alice, not Bob) once accounting
        # has the job's end: slurmctld's first answer does not say who.
        def says_who():
            job = self.describe(job_id)
            return job if "by user" in job.get("errorMessage", "") else NotYet(job)
        cancelled = poll_until(says_who, 60, what=f"{job_id}'s errorMessage to say by which user it was cancelled")
        self.assertIn(f"cancelled by user {USER}", cancelled.get("errorMessage", ""), cancelled)
        self.wait_for_state(study_id, {"CANCELLED"})

    def test_one_job_id_for_two_users_names_two_jobs(self):
        """Slurm comments and names are the same for both; every lookup is limited to one's own."""
        job_id = self.unique_id("same")
        self.submit_long_job(job_id)
        bob_submit = self.bob("submit", "training", job_id, "--scale-tier", "BASIC", "--module-name", "trainer.task",
                              "--package-path", "/nonexistent-for-bob", "--", "--epochs", "600", "--sleep", "1")
        self.assertEqual(bob_submit.returncode, 2, bob_submit.stderr)  # his own error, not "already used"
        self.assertIn("--package-path", bob_submit.stderr)
        bobs_trainer = os.path.join(user_folder("mljob-bob-trainer-", OTHER_USER), "trainer")
        subprocess.run(["cp", "-r", TRAINER, bobs_trainer], check=True)
        subprocess.run(["chown", "-R", f"{OTHER_USER}:{OTHER_USER}", bobs_trainer], check=True)
        bob_submit = self.bob("submit", "training", job_id, "--scale-tier", "BASIC", "--module-name", "trainer.task",
                              "--package-path", bobs_trainer, "--", "--epochs", "600", "--sleep", "1")
        self.assertEqual(bob_submit.returncode, 0, bob_submit.stderr)
        alices, bobs = self.describe(job_id), json.loads(self.bob("describe", job_id, "--format", "json").stdout)
        self.assertNotEqual(alices["slurmJobId"], bobs["slurmJobId"])
        self.mljob("cancel", job_id)
        self.wait_for_state(job_id, {"CANCELLED"})
        bobs_now = json.loads(self.bob("describe", job_id, "--format", "json").stdout)
        self.assertIn(bobs_now["state"], {"QUEUED", "PREPARING", "RUNNING"}, "Alice's cancel reached Bob's job")
        self.assertEqual(self.bob("cancel", job_id).returncode, 0)

    def test_records_are_the_owners_only_whatever_the_umask(self):
        job_id = self.unique_id("private")
        result = subprocess.run(self.user_argv([MLJOB, "submit", "training", job_id, "--scale-tier", "BASIC",
                                                "--module-name", "trainer.task", "--package-path", TRAINER,
                                                "--labels", "secret=x", "--", "--epochs", "1"]),
                                env=self.env, capture_output=True, text=True, timeout=120,
                                preexec_fn=lambda: os.umask(0))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.wait_for_state(job_id, {"SUCCEEDED"})
        alice = pwd.getpwnam(USER).pw_uid
        for folder in (self.home, os.path.join(self.home, "jobs"), os.path.join(self.home, "jobs", job_id)):
            self.assertEqual(stat.S_IMODE(os.stat(folder).st_mode), 0o700, folder)
        job_folder = os.path.join(self.home, "jobs", job_id)
        for name in ("job.json", "job.sbatch"):
            self.assertEqual(stat.S_IMODE(os.stat(os.path.join(job_folder, name)).st_mode) & 0o077, 0, name)
        # Nothing the plugin (in slurmstepd, as root) or the collector wrote is root's.
        for path, dirs, files in os.walk(self.home):
            for name in dirs + files:
                full = os.path.join(path, name)
                self.assertEqual(os.lstat(full).st_uid, alice, f"{full} is not {USER}'s")

    def test_a_store_shared_with_a_group_is_refused(self):
        shared = self.scratch("mljob-shared-store-")
        os.chmod(shared, 0o770)
        result = subprocess.run(self.user_argv([MLJOB, "list"]), env=dict(self.env, MLJOB_HOME=shared),
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn(f"MLJOB_HOME: value '{shared}'", result.stderr)
        self.assertIn("group", result.stderr)
