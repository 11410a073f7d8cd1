"""Fault injection on the real local cluster (issue 19, "Faults").

Each scenario runs N times, the fault injected at a random point drawn from random.Random, seeded
from MLJOB_FAULT_SEED (or a fresh seed, printed, so that a failure can be replayed: run again with
MLJOB_FAULT_SEED=<seed>; each scenario draws from its own Random(f"{seed}:{scenario}"), so one
scenario replays alone too). MLJOB_FAULTS_FULL=1 runs the full N of each scenario, the default a
small N that fits CI. Each scenario records a row (scenario, runs, faults injected, failures,
wrong states, lost results, duplicate trials), appended as a JSON line to MLJOB_FAULTS_REPORT when
set.

Jobs run as the cluster's ordinary user (the harness's setpriv); only the faults (killing and
restarting daemons, marking a node down) run as root. Nothing is mocked: the daemons are killed
for real, and after every test the cluster is made whole again (every daemon up, every node back
in service, the test's jobs gone) for the next one."""
import concurrent.futures
import contextlib
import json
import os
import pwd
import random
import signal
import subprocess
import sys
import textwrap
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "cluster"))

import harness  # noqa: E402
from harness import CLUSTER, FIXTURES, TRAINER, ClusterTestCase, NotYet, poll_until  # noqa: E402

FULL = os.environ.get("MLJOB_FAULTS_FULL") == "1"
SEED = int(os.environ.get("MLJOB_FAULT_SEED") or random.SystemRandom().randrange(1, 2**31))
REPORT = os.environ.get("MLJOB_FAULTS_REPORT")
print(f"faults: seed {SEED} (replay with MLJOB_FAULT_SEED={SEED}); {'full' if FULL else 'CI'} N", file=sys.stderr)

HPTRAINER = os.path.join(FIXTURES, "etc", "examples", "hptrainer")
FINAL = {"SUCCEEDED", "FAILED", "CANCELLED"}
# What mljob prints instead of a clear error when it breaks.
CRASH_SIGNS = ("Traceback", "terminate called", "Segmentation fault", "core dumped", "what():")


def runs(ci, full):
    return full if FULL else ci


def study_config(trials, parallel, algorithm="ALGORITHM_UNSPECIFIED", epochs=2, max_failed=None):
    max_failed_line = f"maxFailedTrials: {max_failed}" if max_failed else ""
    return textwrap.dedent(f'''
        trainingInput:
          scaleTier: BASIC
          pythonModule: hptrainer.task
          args: ["--epochs={epochs}", "--seconds-per-epoch=1"]
          hyperparameters:
            goal: MAXIMIZE
            hyperparameterMetricTag: objective
            maxTrials: {trials}
            maxParallelTrials: {parallel}
            algorithm: {algorithm}
            {max_failed_line}
            params:
              - {{parameterName: x, type: DOUBLE, minValue: 0.0, maxValue: 1.0}}
    ''')


def expected_objective(x):
    return round(1.0 - (x - 0.3) ** 2, 6)  # hptrainer's value at its last epoch


# What mljob says of a job that Slurm lost (jobs/job_view.cc lost_job).
SLURM_LOST = "Slurm lost "
# What the study says of a trial whose job was cancelled though no `mljob cancel` asked for it:
# in these scenarios, Slurm killed it (study/study_controller.cc cancelled_outside_mljob).
CANCELLED_OUTSIDE = "cancelled outside mljob"


class Tally:
    """One scenario's figures, over its runs. A problem found in a run is counted under its kind
    and kept, with the run and the seed, for the failure message."""

    def __init__(self, scenario):
        self.scenario = scenario
        self.rng = random.Random(f"{SEED}:{scenario}")
        self.runs = self.faults = self.failures = 0
        self.wrong_states = self.lost_results = self.duplicate_trials = 0
        self.lost_by_slurm = 0  # jobs and trials slurmctld lost or killed, and mljob said so
        self.problems = []
        self._run_failed = False

    def problem(self, kind, message):
        """`kind`: wrong_states, lost_results or duplicate_trials, counted as such; anything else
        (failures, None) only fails the run (end_run counts each failed run once)."""
        if kind in ("wrong_states", "lost_results", "duplicate_trials"):
            setattr(self, kind, getattr(self, kind) + 1)
        self.problems.append(f"run {self.runs}: {message}")
        self._run_failed = True

    def check(self, condition, kind, message):
        if not condition:
            self.problem(kind, message)
        return bool(condition)

    def start_run(self):
        self.runs += 1
        self._run_failed = False

    def end_run(self):
        if self._run_failed:
            self.failures += 1

    def row(self):
        return {"scenario": self.scenario, "runs": self.runs, "faults_injected": self.faults,
                "failures": self.failures, "wrong_states": self.wrong_states, "lost_results": self.lost_results,
                "duplicate_trials": self.duplicate_trials, "lost_by_slurm": self.lost_by_slurm, "seed": SEED,
                "full": FULL}


class FaultTestCase(ClusterTestCase):
    """A ClusterTestCase that injects faults, and heals the cluster after each test."""

    def setUp(self):
        super().setUp()
        self.ids = []  # every job ID the test submitted (a study's trials share its prefix)
        self.run_folder = os.path.join(self.env["MLJOB_CLUSTER_DIR"], "run")

    # --- the cluster's daemons, as root -------------------------------------------------------
    def daemon_pid(self, daemon):
        with open(os.path.join(self.run_folder, f"{daemon}.pid")) as f:
            return int(f.read().strip())

    def kill_daemon(self, daemon, sig=signal.SIGKILL):
        pid = self.daemon_pid(daemon)
        os.kill(pid, sig)
        poll_until(lambda: not self.alive(pid), 30, interval=0.1, what=f"{daemon} (pid {pid}) to end")
        return pid

    @staticmethod
    def alive(pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    def cluster_up(self):
        """`mljob-cluster up`: starts whatever daemon is missing (idempotent)."""
        result = subprocess.run([CLUSTER, "up"], env=self.env, capture_output=True, text=True, timeout=300)
        self.assertEqual(result.returncode, 0, f"mljob-cluster up failed:\n{result.stdout}\n{result.stderr}")

    def node_states(self):
        out = subprocess.run(["sinfo", "--noheader", "--Node", "--format=%N %T"], env=self.env, capture_output=True,
                             text=True, timeout=60).stdout
        return dict(line.split() for line in out.splitlines() if line.strip())

    def our_slurm_jobs(self):
        """Slurm IDs of the live jobs the test submitted (by their mljob:<ID> comments)."""
        out = subprocess.run(["squeue", "--noheader", "--all", "--format=%i|%k"], env=self.env, capture_output=True,
                             text=True, timeout=60).stdout
        mine = []
        for line in out.splitlines():
            slurm_id, _, comment = line.partition("|")
            if any(comment.startswith(f"mljob:{job_id}") for job_id in self.ids):
                mine.append(slurm_id.split("+")[0])
        return sorted(set(mine))

    def heal(self):
        """Every daemon up, every node back in service, none of the test's jobs left."""
        for attempt in range(2):  # before `up` (which waits for planned nodes too), and after
            if attempt:
                self.cluster_up()
            for slurm_id in self.our_slurm_jobs():
                subprocess.run(["scancel", slurm_id], env=self.env, capture_output=True, timeout=60)
        for node, state in self.node_states().items():
            if any(word in state for word in ("down", "drain", "fail")):
                subprocess.run(["scontrol", "update", f"nodename={node}", "state=resume"], env=self.env,
                               capture_output=True, timeout=60)

        def whole():
            states = self.node_states()
            bad = {n: s for n, s in states.items() if s.rstrip("*~#%$@^-") not in ("idle", "mixed", "allocated", "planned")
                   or s.endswith("*")}
            left = self.our_slurm_jobs()
            return (not bad and not left and len(states) > 0) or NotYet((bad, left))
        poll_until(whole, 120, what="every node back in service and the test's jobs gone")
        # Accounting answers again (sacct fails while slurmdbd is away).
        poll_until(lambda: subprocess.run(["sacct", "-n", "-X", "-j", "1"], env=self.env,
                                          capture_output=True, timeout=60).returncode == 0,
                   60, what="accounting (sacct) to answer")

    def tearDown(self):
        self.heal()
        super().tearDown()

    @contextlib.contextmanager
    def jobs_on_a_small_disk(self):
        """The user's job folders on a 32 MB tmpfs of their own: yields fill(seconds), which fills
        it (as root) so that every write there fails with ENOSPC, as on a full disk, and frees it
        after `seconds`."""
        jobs = os.path.join(self.home, "jobs")
        os.makedirs(jobs, exist_ok=True)
        account = pwd.getpwnam(self.user)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size=32m,mode=0700,uid={account.pw_uid},gid={account.pw_gid}",
                        "tmpfs", jobs], check=True, timeout=60)
        filler = os.path.join(jobs, ".filler")

        def fill(seconds):
            subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], capture_output=True, timeout=60)
            time.sleep(seconds)
            os.unlink(filler)
        try:
            yield fill
        finally:
            for slurm_id in self.our_slurm_jobs():  # nothing of the test's may still write there
                subprocess.run(["scancel", slurm_id], env=self.env, capture_output=True, timeout=60)
            subprocess.run(["umount", "-l", jobs], capture_output=True, timeout=60)

    # --- jobs, as the user ---------------------------------------------------------------------
    def new_id(self, stem):
        job_id = self.unique_id(stem)
        self.ids.append(job_id)
        return job_id

    def submit_trainer(self, job_id, tier, *user_args):
        return self.mljob("submit", "training", job_id, "--module-name", "trainer.task", "--package-path", TRAINER,
                          "--scale-tier", tier, "--", *user_args)

    def submit_study(self, config, stem, check=True, full_disk=None):
        study_id = self.new_id(stem)
        work = self.scratch("mljob-faults-")
        path = os.path.join(work, "study.yaml")
        with open(path, "w") as out:
            out.write(config)
        args = ("submit", "training", study_id, "--config", path, "--package-path", HPTRAINER)
        if full_disk:
            return study_id, self.mljob_on_a_full_disk(full_disk, *args)
        return study_id, self.mljob(*args, check=check)

    def record(self, job_id):
        with open(os.path.join(self.home, "jobs", job_id, "job.json")) as f:
            return json.load(f)

    def clear_describe(self, tally, job_id, away):
        """describe while `away` (a daemon) is down: the job's resource, or a clear error. Returns
        the state, or None after a clear error."""
        result = self.mljob("describe", job_id, "--format", "json", check=False)
        tally.check(not any(sign in result.stderr for sign in CRASH_SIGNS), "failures",
                    f"describe {job_id} with {away} away crashed: {result.stderr}")
        if result.returncode == 0:
            try:
                return json.loads(result.stdout)["state"]
            except (ValueError, KeyError):
                tally.problem("failures", f"describe {job_id} exited 0 with no Job resource: {result.stdout!r}")
                return None
        tally.check(result.returncode in (1, 2) and result.stderr.startswith("mljob: ") and away in result.stderr,
                    "failures", f"describe {job_id} with {away} away: exit {result.returncode}, not a clear error "
                    f"naming {away}: {result.stderr!r}")
        return None

    def final_state(self, job_id, timeout):
        return self.wait_for_state(job_id, FINAL, timeout=timeout)

    def trial_runs(self, study_id):
        """{trialId: [runs]} from accounting, as test_study counts them."""
        import test_study  # tests/cluster, on sys.path
        return test_study.Study.trial_runs(self, study_id)

    def check_study(self, tally, study_id, trials, timeout=300):
        """The study ends SUCCEEDED with `trials` trials, each SUCCEEDED with its objective, and
        run once; a trial whose runs the cluster lost (its lostRuns: a failed node stopped it, or
        Slurm lost the job) ran again once for each, and accounting may or may not keep the lost
        run (a job slurmctld forgot is kept only as a placeholder without its comment)."""
        study = self.final_state(study_id, timeout)
        if not tally.check(study["state"] == "SUCCEEDED", "wrong_states",
                           f"study {study_id} ended {study['state']}: {study.get('errorMessage')}"):
            return
        output = study["trainingOutput"]
        listed = sorted(int(t["trialId"]) for t in output.get("trials", []))
        tally.check(listed == list(range(1, trials + 1)), "lost_results",
                    f"study {study_id} lists trials {listed}, not 1..{trials}")
        lost_trials = set()
        expected_runs = {trial["trialId"]: 1 + len(trial.get("lostRuns", [])) for trial in output.get("trials", [])}
        for trial in output.get("trials", []):
            message = trial.get("errorMessage", "")
            if trial["state"] == "FAILED" and (SLURM_LOST in message or CANCELLED_OUTSIDE in message):
                tally.lost_by_slurm += 1  # Slurm lost its job: the study says so, and goes on
                lost_trials.add(trial["trialId"])
                continue
            if not tally.check(trial["state"] == "SUCCEEDED" and "finalMetric" in trial, "lost_results",
                               f"trial {trial['trialId']} of {study_id}: {trial}"):
                continue
            x = float(trial["hyperparameters"]["x"])
            tally.check(abs(trial["finalMetric"]["objectiveValue"] - expected_objective(x)) < 1e-5, "lost_results",
                        f"trial {trial['trialId']} of {study_id}: objective {trial['finalMetric']} for x={x}")

        def all_accounted():
            found = self.trial_runs(study_id)
            return found if len(found) >= trials - len(lost_trials) else NotYet(found)
        try:
            found = poll_until(all_accounted, 90, interval=2, what=f"accounting to have every trial of {study_id}")
        except AssertionError as e:
            tally.problem("lost_results", str(e))
            return
        twice = {trial: r for trial, r in found.items() if len(r) > expected_runs.get(trial, 1)}
        tally.check(not twice, "duplicate_trials", f"trials of {study_id} that ran more often than they should "
                    f"(once, and once more after each lost run {expected_runs}): {twice}")
        tally.check(set(found) | lost_trials >= {str(n) for n in range(1, trials + 1)}, "lost_results",
                    f"accounting's trials of {study_id}: {sorted(found)}")

    # --- the scenario loop ---------------------------------------------------------------------
    def scenario(self, name, n, one_run):
        tally = Tally(name)
        print(f"\nfaults: {name}: {n} runs, seed {SEED}", file=sys.stderr)
        for _ in range(n):
            tally.start_run()
            started = time.monotonic()
            try:
                one_run(tally)
            except Exception as e:  # noqa: BLE001 - an assertion or a command's failure: the run failed
                tally.problem(None, f"{type(e).__name__}: {e}")
            finally:
                tally.end_run()
                print(f"faults: {name}: run {tally.runs} {'FAILED' if tally._run_failed else 'ok'} "
                      f"({time.monotonic() - started:.0f}s)", file=sys.stderr)
                for problem in tally.problems:  # this run's, at once: a long scenario's log shows them as they come
                    if problem.startswith(f"run {tally.runs}: "):
                        print(f"faults: {name}:   {problem}", file=sys.stderr)
                if tally.runs < n:
                    self.heal()
        row = tally.row()
        for problem in tally.problems:
            print(f"faults: {name}: {problem}", file=sys.stderr)
        print("faults: " + json.dumps(row), file=sys.stderr)
        if REPORT:
            with open(REPORT, "a") as out:
                out.write(json.dumps(row) + "\n")
        self.assertEqual(tally.problems, [], f"{name} (replay with MLJOB_FAULT_SEED={SEED})")
        self.assertGreater(tally.faults, 0, f"{name}: no fault was injected in {n} runs")


class SlurmctldKilled(FaultTestCase):
    # slurmctld saves its state every few seconds, not at each change: SIGKILLed in between, it
    # restarts from a state that may predate a submission (the job is forgotten, its batch step
    # killed as an orphan, its ID handed out again) or a start (the job, PENDING in the saved
    # state, is found running on its nodes and is killed, since mljob's jobs are --no-requeue;
    # "CANCELLED by 0"). Those are Slurm's losses: the run then checks that mljob says so (FAILED
    # with the reason, or CANCELLED by root) and agrees with accounting, that nothing ran twice,
    # and that a study whose controller was lost finishes with `mljob study resume`. They are
    # counted as lost_by_slurm, apart from mljob's own failures.
    def slurm_lost(self, tally, job_id, job):
        if job["state"] == "FAILED" and SLURM_LOST in job.get("errorMessage", ""):
            tally.lost_by_slurm += 1
            return True
        if job["state"] == "CANCELLED" and "by user root (uid 0)" in job.get("errorMessage", ""):
            tally.lost_by_slurm += 1
            return True
        return False

    def check_job(self, tally, job_id):
        job = self.final_state(job_id, 240)
        slurm_id = self.record(job_id)["slurmJobId"]
        runs_of_job = self.slurm("sacct", "-j", slurm_id, "--duplicates", "--allocations", "--noheader",
                                 "--parsable2", "--format=JobID,State,Comment").split("\n")
        own = [row for row in runs_of_job if f"mljob:{job_id}:" in row]
        tally.check(not any("REQUEUED" in row or "NODE_FAIL" in row for row in own), "wrong_states",
                    f"job {job_id} ran more than once: {own}")
        if self.slurm_lost(tally, job_id, job):
            tally.check(not any("|COMPLETED|" in row for row in own), "wrong_states",
                        f"job {job_id} reads {job['state']} ({job.get('errorMessage')}) but accounting has {own}")
            return
        tally.check(job["state"] == "SUCCEEDED", "wrong_states",
                    f"job {job_id} ended {job['state']}: {job.get('errorMessage')}")
        tally.check("master:0 done" in self.output_of(job_id), "lost_results", f"job {job_id}: no 'master:0 done'")

    def submit_prediction(self, stem, instances):
        """A batch prediction job of an sklearn model over `instances`, in two input files and two
        shards. Returns its ID and its output folder."""
        import prediction_fixtures as fx  # tests/cluster, on sys.path
        job_id = self.new_id(stem)
        work = self.scratch("mljob-faults-prediction-")
        model = os.path.join(work, "model")
        fx.make_sklearn_model(model)
        half = len(instances) // 2
        fx.write_json_lines(os.path.join(work, "part-0.json"), instances[:half])
        fx.write_json_lines(os.path.join(work, "part-1.json"), instances[half:])
        output = os.path.join(work, "out")
        self.mljob("submit", "prediction", job_id, "--model-dir", model, "--data-format", "json",
                   "--input-paths", os.path.join(work, "part-*.json"), "--output-path", output,
                   "--max-worker-count", "2")
        return job_id, model, output

    def check_prediction(self, tally, job_id, model, output, instances):
        """The prediction job ends SUCCEEDED with one prediction per instance, each the model's,
        none twice; or Slurm lost a shard, mljob says so, and `mljob resume` runs what is left."""
        import prediction_fixtures as fx
        job = self.final_state(job_id, 300)
        message = job.get("errorMessage", "")
        # No one cancels it here: a shard cancelled was killed by Slurm (as a training job can be).
        if job["state"] == "FAILED" and (SLURM_LOST in message or "cancelled" in message.lower()):
            tally.lost_by_slurm += 1  # a shard Slurm lost or killed before its results were written
            self.mljob("resume", job_id)
            job = self.final_state(job_id, 300)
        if not tally.check(job["state"] == "SUCCEEDED", "wrong_states",
                           f"prediction {job_id} ended {job['state']}: {job.get('errorMessage')}"):
            return
        results = []
        for shard in range(2):
            path = os.path.join(output, f"prediction.results-{shard:05d}-of-00002")
            if os.path.exists(path):
                with open(path) as f:
                    results += [json.loads(line)["prediction"] for line in f if line.strip()]
        tally.check(len(results) <= len(instances), "duplicate_trials",
                    f"prediction {job_id}: {len(results)} results for {len(instances)} instances")
        tally.check(len(results) >= len(instances), "lost_results",
                    f"prediction {job_id}: {len(results)} results for {len(instances)} instances")
        if len(results) == len(instances):
            difference = fx.first_difference(fx.score_directly("sklearn", model, instances), results)
            tally.check(difference is None, "lost_results", f"prediction {job_id}: {difference}")

    def test_slurmctld_killed_mid_run_and_restarted(self):
        trials = runs(3, 10)
        import prediction_fixtures as fx
        instances = fx.make_instances(6000, seed=19)

        def one_run(tally):
            job_id = self.new_id("f1_job")
            self.submit_trainer(job_id, "STANDARD_1", "--epochs", "12", "--sleep", "1")
            # maxFailedTrials leaves room to run again every trial whose run Slurm loses.
            study_id, _ = self.submit_study(study_config(trials, 3, max_failed=2 * trials + 1), "f1_study")
            prediction_id, model, output = self.submit_prediction("f1_predict", instances)
            time.sleep(tally.rng.uniform(0, 8))  # while they run (the study takes some 10 s in CI)
            self.kill_daemon("slurmctld")
            tally.faults += 1
            away_until = time.monotonic() + tally.rng.uniform(2, 10)
            while time.monotonic() < away_until:
                for each in (job_id, study_id, prediction_id):
                    self.clear_describe(tally, each, "slurmctld")
                time.sleep(1)
            self.cluster_up()
            self.check_job(tally, job_id)
            self.check_prediction(tally, prediction_id, model, output, instances)
            # Long: slurmctld killed within its state-save interval after the controller ended
            # forgets that end, finds the job missing from its node minutes later and requeues it.
            study = self.final_state(study_id, 720)
            if self.slurm_lost(tally, study_id, study):
                self.mljob("study", "resume", study_id)
            self.check_study(tally, study_id, trials, timeout=720)
        self.scenario("slurmctld SIGKILL mid-run, restarted", runs(1, 10), one_run)


class SlurmdbdDown(FaultTestCase):
    def test_slurmdbd_down_during_submits_ends_and_cancels(self):
        outage = 60 if FULL else 15
        expected = {}  # job ID -> the final state it must reach

        def one_run(tally):
            ending, cancelled, submitted = self.new_id("f2_end"), self.new_id("f2_cancel"), self.new_id("f2_sub")
            self.submit_trainer(ending, "BASIC", "--epochs", "4", "--sleep", "1")
            self.submit_trainer(cancelled, "BASIC", "--epochs", "600", "--sleep", "1")
            self.wait_for_state(cancelled, {"RUNNING"}, timeout=120)
            time.sleep(tally.rng.uniform(0, 4))
            self.kill_daemon("slurmdbd")
            tally.faults += 1
            back_at = time.monotonic() + outage
            poll_until(lambda: subprocess.run(["sacct", "-n", "-X", "-j", "1"], env=self.env,
                                              capture_output=True).returncode != 0,
                       10, interval=0.2, what="sacct to fail without slurmdbd")
            expected.update({ending: "SUCCEEDED", cancelled: "CANCELLED", submitted: "SUCCEEDED"})
            # A submit and a cancel while accounting is away, at random points of the outage.
            time.sleep(tally.rng.uniform(0, outage / 3))
            self.submit_trainer(submitted, "BASIC", "--epochs", "2")
            time.sleep(tally.rng.uniform(0, outage / 3))
            self.mljob("cancel", cancelled)
            allowed = {ending: {"QUEUED", "PREPARING", "RUNNING", "SUCCEEDED"},
                       submitted: {"QUEUED", "PREPARING", "RUNNING", "SUCCEEDED"},
                       cancelled: {"CANCELLING", "CANCELLED"}}
            while time.monotonic() < back_at:
                for job_id, states in allowed.items():
                    state = self.clear_describe(tally, job_id, "accounting")
                    tally.check(state is None or state in states, "wrong_states",
                                f"{job_id} read {state} with slurmdbd away (allowed: {sorted(states)})")
                time.sleep(2)
            self.cluster_up()

            def from_accounting():  # describe answers from accounting again, each job in its end state
                seen = {}
                for job_id in allowed:
                    result = self.mljob("describe", job_id, "--format", "json")
                    seen[job_id] = json.loads(result.stdout)["state"]
                    if "unavailable" in result.stderr:
                        return NotYet(("accounting unavailable", seen))
                return seen if all(s in FINAL for s in seen.values()) else NotYet(seen)
            seen = poll_until(from_accounting, 120, interval=2, what="describe to answer from accounting again")
            for job_id, state in seen.items():
                tally.check(state == expected[job_id], "wrong_states", f"{job_id} ended {state}, not {expected[job_id]}")
            sacct_name = {"SUCCEEDED": "COMPLETED", "CANCELLED": "CANCELLED"}
            for job_id in allowed:
                slurm_id = self.record(job_id)["slurmJobId"]

                def accounted():  # slurmctld hands what it kept to slurmdbd in the background
                    out = self.slurm("sacct", "-j", slurm_id, "--allocations", "--noheader", "--parsable2",
                                     "--format=State")
                    rows = out.split()
                    return rows if rows and rows[0] not in ("PENDING", "RUNNING") else NotYet(out)
                try:
                    rows = poll_until(accounted, 120, interval=2,
                                      what=f"accounting to have {job_id} ({slurm_id}) ended")
                except AssertionError as e:
                    tally.problem("lost_results", f"accounting lost {job_id}: {e}")
                    continue
                tally.check(rows[0] == sacct_name[expected[job_id]], "wrong_states",
                            f"sacct has {job_id} {rows}, mljob {seen[job_id]}")
        self.scenario(f"slurmdbd down {outage} s during submits, ends and cancels", runs(1, 5), one_run)


class SlurmdKilled(FaultTestCase):
    # A node failure under a training job fails it: mljob's batch scripts say --no-requeue, so
    # Slurm does not queue the job again under the cluster's JobRequeue=1, and the NODE_FAIL's
    # message names the node from sacct's NodeList (found by this test, fixed in core/).
    def test_slurmd_killed_under_a_running_het_job(self):
        def one_run(tally):
            job_id = self.new_id("f3_node")
            self.submit_trainer(job_id, "STANDARD_1", "--epochs", "600", "--sleep", "1")
            self.wait_for_state(job_id, {"RUNNING"}, timeout=120)
            slurm_id = self.record(job_id)["slurmJobId"]
            out = self.slurm("squeue", "--noheader", "--jobs", slurm_id, "--format=%i|%N")
            nodes = sorted({line.split("|")[1] for line in out.splitlines() if line.split("|")[1]})
            node = tally.rng.choice(nodes)
            time.sleep(tally.rng.uniform(0, 5))
            self.kill_daemon(f"slurmd.{node}")
            # Marked down at once rather than after SlurmdTimeout (60 s): what slurmctld does then.
            self.as_admin("scontrol", "update", f"nodename={node}", "state=down", "reason=mljob faults: slurmd killed")
            tally.faults += 1

            def left_running():
                job = self.describe(job_id)
                return job if job["state"] not in ("RUNNING", "PREPARING") else NotYet(job)
            job = poll_until(left_running, 90, what=f"{job_id} to leave RUNNING after {node} failed")
            tally.check(job["state"] == "FAILED", "wrong_states",
                        f"{job_id} reads {job['state']} after its node {node} failed: {job.get('errorMessage')}")
            tally.check(node in job.get("errorMessage", ""), "failures",
                        f"{job_id}'s errorMessage does not name the node {node}: {job.get('errorMessage')!r}")
            # Stable: a second read agrees (a requeued job would start again).
            time.sleep(3)
            again = self.describe(job_id)
            tally.check(again["state"] == job["state"], "wrong_states",
                        f"{job_id} read {job['state']} then {again['state']}")
            self.mljob("cancel", job_id, check=False)
        self.scenario("slurmd SIGKILL under a running het job", runs(1, 5), one_run)

    def running_nodes(self, comment_prefix):
        """{Slurm job ID: node list} of the user's running jobs whose comment starts so."""
        out = self.slurm("squeue", "--noheader", "--states=RUNNING", "--format=%i|%N|%k")
        jobs = {}
        for line in out.splitlines():
            job_id, nodes, comment = line.split("|", 2)
            if comment.startswith(comment_prefix) and nodes:
                jobs[job_id] = nodes
        return jobs

    def test_slurmd_killed_under_a_study_trial_runs_it_again(self):
        # A trial whose node fails runs again with the same parameters while maxFailedTrials
        # leaves room (study/study_controller.cc rerun_lost_run). The node is one of the
        # trials' but not the study controller's (whose job is --requeue: Slurm's to restart).
        trials = 2

        def one_run(tally):
            study_id, _ = self.submit_study(study_config(trials, trials, epochs=20, max_failed=3), "f3_study")

            def trials_running():
                found = self.running_nodes(f"mljob:{study_id}_trial")
                return found if found else NotYet(found)
            trial_nodes = poll_until(trials_running, 180, interval=0.5, what=f"a trial of {study_id} to run")
            controller_nodes = set(self.running_nodes(f"mljob:{study_id}").values()) - set(trial_nodes.values())
            candidates = sorted(set(trial_nodes.values()) - controller_nodes)
            if not candidates:  # every trial shares the controller's node: no fault in this run
                print(f"faults: {study_id}: the trials run beside the controller; no node killed", file=sys.stderr)
                self.check_study(tally, study_id, trials)
                return
            node = tally.rng.choice(candidates)
            time.sleep(tally.rng.uniform(0, 3))
            self.kill_daemon(f"slurmd.{node}")
            self.as_admin("scontrol", "update", f"nodename={node}", "state=down", "reason=mljob faults: slurmd killed")
            tally.faults += 1
            self.check_study(tally, study_id, trials, timeout=400)
            output = self.describe(study_id).get("trainingOutput", {})
            reruns = [t for t in output.get("trials", []) if t.get("lostRuns")]
            tally.check(reruns, "wrong_states", f"no trial of {study_id} ran again after {node} failed under "
                        f"{sorted(trial_nodes)}: {output.get('trials')}")
            for trial in reruns:
                tally.check(any(node in reason for reason in trial["lostRuns"]), "failures",
                            f"trial {trial['trialId']}'s lostRuns do not name {node}: {trial['lostRuns']}")
        self.scenario("slurmd SIGKILL under a study trial, run again", runs(1, 5), one_run)


class StudyControllerKilled(FaultTestCase):
    def controller_pid(self, study_id):
        """The pid of the study's `mljob study run STUDY` process, or None."""
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if argv[1:4] == [b"study", b"run", study_id.encode()] and argv[0].endswith(b"mljob"):
                return int(entry)
        return None

    def test_the_controller_sigkilled_at_random_points_resumes_the_study(self):
        trials = runs(4, 5)

        def one_run(tally):
            study_id, _ = self.submit_study(study_config(trials, 2, epochs=3), "f4_study")
            poll_until(lambda: self.controller_pid(study_id), 120, interval=0.2, what=f"the controller of {study_id} to run")
            time.sleep(tally.rng.uniform(0, 10))  # the study takes some 12 s
            pid = self.controller_pid(study_id)
            if pid is None:  # the study ended first: no fault in this run
                self.check_study(tally, study_id, trials)
                return
            os.kill(pid, signal.SIGKILL)
            tally.faults += 1
            ended = self.final_state(study_id, 60)
            tally.check(ended["state"] in ("FAILED", "SUCCEEDED"), "wrong_states",
                        f"{study_id} read {ended['state']} after its controller was killed")
            if ended["state"] != "SUCCEEDED":
                self.mljob("study", "resume", study_id)
            self.check_study(tally, study_id, trials)
        self.scenario("study controller SIGKILL, study resume", runs(2, 20), one_run)


class DiskFull(FaultTestCase):
    def test_disk_full_at_submit_during_collection_and_study_saves(self):
        def at_submit(tally):
            job_id = self.new_id("f5_submit")
            # Labels make the record the largest file (some 40 KB); limits below and above it.
            labels = ",".join(f"k{i:03d}={'v' * 60}" for i in range(tally.rng.choice([0, 600])))
            limit = tally.rng.choice([2, 8, 16, 32, 48, 64]) * 1024
            args = ["submit", "training", job_id, "--module-name", "trainer.task", "--package-path", TRAINER,
                    "--scale-tier", "BASIC"] + (["--labels", labels] if labels else []) + ["--", "--epochs", "2"]
            result = self.mljob_on_a_full_disk(limit, *args)
            folder = os.path.join(self.home, "jobs", job_id)
            tally.check(not any(sign in result.stderr for sign in CRASH_SIGNS), "failures",
                        f"submit on a full disk ({limit} B) crashed: {result.stderr}")
            if result.returncode == 0:
                job = self.final_state(job_id, 120)  # it ran, with the limit too: on a disk with room
                tally.check(self.record(job_id)["job"]["jobId"] == job_id, "lost_results", f"{job_id}: record")
                tally.check(job["state"] in ("SUCCEEDED", "FAILED"), "wrong_states", f"{job_id}: {job['state']}")
                return
            tally.faults += 1
            # "mljob: error: ..." for what it refused; "mljob: the job's record could not be saved
            # (cannot write ...: File too large), so its Slurm job N was cancelled" once submitted.
            tally.check(result.returncode == 1 and result.stderr.startswith("mljob: ")
                        and ("cannot write" in result.stderr or "could not" in result.stderr), "failures",
                        f"submit on a full disk ({limit} B): exit {result.returncode}: {result.stderr!r}")
            if os.path.isdir(folder):  # what stays is whole
                try:
                    self.record(job_id)
                except (OSError, ValueError) as e:
                    tally.problem("lost_results", f"{job_id}: a folder without a whole record: {e}")
            states = self.slurm_states_named(job_id)
            tally.check(set(states) <= {"CANCELLED"}, "wrong_states",
                        f"{job_id} failed to submit, yet Slurm runs it: {states}")

        def while_collecting(tally):
            with self.jobs_on_a_small_disk() as fill:
                job_id = self.new_id("f5_collect")
                self.submit_trainer(job_id, "BASIC", "--epochs", "2000", "--sleep", "0.01")
                self.wait_for_state(job_id, {"RUNNING"}, timeout=120)
                time.sleep(tally.rng.uniform(0, 6))  # the trainer runs some 20-25 s
                # Full for a while, then room again before the trainer writes its model (there).
                fill(tally.rng.uniform(2, 5))
                if self.describe(job_id)["state"] == "RUNNING":
                    tally.faults += 1  # the collector met the full disk while the trainer ran
                job = self.final_state(job_id, 180)
                tally.check(job["state"] == "SUCCEEDED", "wrong_states",
                            f"{job_id} (its disk full while it ran) ended {job['state']}: {job.get('errorMessage')}")
                with open(os.path.join(self.home, "jobs", job_id, "job-dir", "model.txt")) as f:  # the trainer's end
                    tally.check(f.read().startswith("final loss"), "lost_results", f"{job_id}: no model")
                for command in (("logs", job_id), ("metrics", job_id)):
                    result = self.mljob(*command, check=False)
                    tally.check(not any(sign in result.stderr for sign in CRASH_SIGNS)
                                and (result.returncode == 0 or result.stderr.startswith("mljob: ")), "failures",
                                f"mljob {' '.join(command)} after a full disk: {result.returncode} {result.stderr!r}")
                self.record(job_id)

        def while_saving_a_study(tally):
            trials = 4
            with self.jobs_on_a_small_disk() as fill:
                study_id, _ = self.submit_study(study_config(trials, 2, epochs=2), "f5_study")
                poll_until(lambda: self.describe(study_id)["state"] == "RUNNING", 120, interval=0.5,
                           what=f"{study_id}'s controller to run")
                time.sleep(tally.rng.uniform(0, 8))
                fill(tally.rng.uniform(2, 6))
                study = self.final_state(study_id, 240)
                if study["state"] != "SUCCEEDED":
                    tally.faults += 1
                    tally.check(study.get("errorMessage"), "failures", f"{study_id} ended {study['state']} unexplained")
                    log = self.output_of(study_id)
                    tally.check(not any(sign in log for sign in CRASH_SIGNS), "failures",
                                f"{study_id}'s controller crashed on a full disk: {log[-2000:]}")
                    self.mljob("study", "resume", study_id)  # the disk has room again
                    study = self.final_state(study_id, 240)
                # The disk full may fail a trial (its trainer writes there too): it must then read
                # FAILED, in the study as in its own job; a trial that succeeded keeps its result.
                tally.check(study["state"] in ("SUCCEEDED", "FAILED"), "wrong_states", f"{study_id}: {study['state']}")
                listed = sorted(int(t["trialId"]) for t in study["trainingOutput"].get("trials", []))
                tally.check(listed == list(range(1, trials + 1)), "lost_results", f"{study_id} lists {listed}")
                for trial in study["trainingOutput"].get("trials", []):
                    own = self.describe(f"{study_id}_trial_{trial['trialId']}")
                    own_metric = own.get("trainingOutput", {}).get("finalMetric")
                    if own["state"] == "SUCCEEDED" and own_metric:
                        tally.check(trial.get("finalMetric") == own_metric, "lost_results",
                                    f"trial {trial['trialId']}: its job has {own_metric}, the study {trial}")
                    else:
                        tally.check(trial["state"] == "FAILED", "wrong_states",
                                    f"trial {trial['trialId']}: its job {own['state']} without a metric, the study "
                                    f"{trial['state']}")
                runs = poll_until(lambda: (lambda r: r if len(r) >= trials else NotYet(r))(self.trial_runs(study_id)),
                                  90, interval=2, what=f"accounting to have every trial of {study_id}")
                twice = {t: r for t, r in runs.items() if len(r) != 1}
                tally.check(not twice, "duplicate_trials", f"trials of {study_id} run more than once: {twice}")

        def one_run(tally):
            for part in (at_submit, while_collecting, while_saving_a_study):
                part(tally)
        self.scenario("disk full: submit, metrics collection, study save", runs(1, 5), one_run)


class Concurrency(FaultTestCase):
    def parallel(self, rng, argvs):
        def run(argv):
            time.sleep(rng.uniform(0, 0.2))
            return subprocess.run(self.user_argv([harness.MLJOB, *argv]), env=self.env, capture_output=True, text=True,
                                  timeout=300)
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(argvs)) as pool:
            return list(pool.map(run, argvs))

    def test_parallel_submits_updates_and_cancel_racing_completion(self):
        def one_run(tally):
            job_id = self.new_id("f6_same")
            argv = ["submit", "training", job_id, "--module-name", "trainer.task", "--package-path", TRAINER,
                    "--scale-tier", "BASIC", "--", "--epochs", "2"]
            results = self.parallel(tally.rng, [argv] * 50)
            tally.faults += 1
            winners = [r for r in results if r.returncode == 0]
            tally.check(len(winners) == 1, "wrong_states", f"{len(winners)} of 50 submits of {job_id} won")
            for r in results:
                if r.returncode != 0:
                    tally.check(r.returncode == 2 and "already used" in r.stderr, "failures",
                                f"a losing submit: exit {r.returncode}: {r.stderr!r}")
            states = self.slurm_states_named(job_id)
            tally.check(len(states) == 1, "wrong_states", f"Slurm has {len(states)} jobs named {job_id}: {states}")
            job = self.final_state(job_id, 120)
            tally.check(job["state"] == "SUCCEEDED", "wrong_states", f"{job_id} ended {job['state']}")

            etag = self.describe(job_id)["etag"]
            results = self.parallel(tally.rng, [["update", job_id, "--update-labels", f"k=v{i}", "--etag", etag]
                                                for i in range(20)])
            tally.faults += 1
            won = [i for i, r in enumerate(results) if r.returncode == 0]
            tally.check(len(won) == 1, "wrong_states", f"{len(won)} of 20 updates with one etag won")
            for r in results:
                if r.returncode != 0:
                    tally.check(r.returncode == 2 and "is stale" in r.stderr, "failures",
                                f"a losing update: exit {r.returncode}: {r.stderr!r}")
            labels = self.describe(job_id).get("labels", {})
            if won:
                tally.check(labels == {"k": f"v{won[0]}"}, "lost_results", f"labels {labels}, winner v{won[0]}")

            raced = self.new_id("f6_race")
            self.submit_trainer(raced, "BASIC", "--epochs", "3", "--sleep", "1")
            self.wait_for_state(raced, {"RUNNING"}, timeout=120)
            time.sleep(tally.rng.uniform(0, 6))  # the trainer ends some 3-4 s after it starts
            self.mljob("cancel", raced)
            tally.faults += 1
            first = self.final_state(raced, 60)["state"]
            reads = []
            for _ in range(5):
                time.sleep(2)
                reads.append(self.describe(raced)["state"])
            tally.check(first in ("SUCCEEDED", "CANCELLED") and set(reads) == {first}, "wrong_states",
                        f"cancel racing completion of {raced}: {first}, then {reads}")
            slurm_id = self.record(raced)["slurmJobId"]
            sacct = {"SUCCEEDED": "COMPLETED", "CANCELLED": "CANCELLED"}.get(first)

            def accounted():
                out = self.slurm("sacct", "-j", slurm_id, "--allocations", "--noheader", "--parsable2", "--format=State")
                return out.split() or NotYet(out)
            rows = poll_until(accounted, 60, interval=2, what=f"accounting to have {raced}")
            tally.check(rows[0].split()[0] == sacct, "wrong_states", f"{raced}: mljob {first}, sacct {rows}")
        self.scenario("concurrency: 50 submits, 20 updates, cancel racing completion", runs(1, 5), one_run)


if __name__ == "__main__":
    unittest.main()
