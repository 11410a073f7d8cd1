"""What every integration test shares: the real local cluster's environment, mljob as the
cluster's users run it, and helpers to wait for jobs. Nothing here is mocked: these tests submit
real jobs to the cluster that contrib/cluster/mljob-cluster runs.

Only the cluster's start and stop run as root. Every job is submitted, described, listed,
cancelled and read by an ordinary user of the cluster (USER, and OTHER_USER where a test needs
two), through setpriv, with the mljob that `mljob-cluster up` installed in the cluster's site
folder: the checkout itself may sit in a private folder (root's 0700 home) that no user reaches."""
import functools
import json
import os
import pwd
import resource
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("MLJOB_BUILD_DIR", os.path.join(ROOT, "build"))
CLUSTER = os.path.join(ROOT, "contrib", "cluster", "mljob-cluster")
# The cluster's ordinary users (mljob-cluster's MLJOB_CLUSTER_USERS): jobs run as USER; OTHER_USER
# is the neighbour who must never see or touch them.
USER, OTHER_USER = (os.environ.get("MLJOB_CLUSTER_USERS") or "mljob-alice mljob-bob").split()[:2]


@functools.lru_cache(maxsize=None)
def cluster_settings():
    """The variables `mljob-cluster env` prints (PATH aside, which it prints as an addition)."""
    out = subprocess.run([CLUSTER, "env"], check=True, capture_output=True, text=True).stdout
    settings = {}
    for line in out.splitlines():
        words = shlex.split(line)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            name, value = words[1].split("=", 1)
            if name != "PATH":
                settings[name] = value
    return settings


SITE = cluster_settings()["MLJOB_SITE"]
MLJOB = os.path.join(SITE, "bin", "mljob")
MLJOB_SUBMIT = os.path.join(SITE, "bin", "mljob-submit")
# The repository's example trainers, catalogs and spec files, copied where the users can read
# them (see fixtures()).
FIXTURES = os.path.join(cluster_settings()["MLJOB_CLUSTER_DIR"], "test-fixtures")
TRAINER = os.path.join(FIXTURES, "etc", "examples", "trainer")


def fixtures():
    """A world-readable copy of the files of the repository that tests hand to mljob, laid out
    as in the repository (so that contrib/cluster/tiers.yaml still extends ../../etc/tiers.yaml)."""
    for part in ("etc", os.path.join("tests", "specs"), os.path.join("contrib", "cluster", "tiers.yaml")):
        source, target = os.path.join(ROOT, part), os.path.join(FIXTURES, part)
        os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
        if os.path.isdir(source):
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copy(source, target)
    subprocess.run(["chmod", "-R", "a+rX,go-w", FIXTURES], check=True)
    return FIXTURES


def cluster_environment(user=USER):
    """Our environment with the cluster's settings, as `user` has it: their HOME and names, and
    the site's mljob first on PATH."""
    env = dict(os.environ)
    env.update(cluster_settings())
    account = pwd.getpwnam(user)
    env.update(HOME=account.pw_dir, USER=user, LOGNAME=user,
               PATH=os.path.join(SITE, "bin") + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"))
    for name in ("MAIL", "XDG_RUNTIME_DIR", "TMPDIR"):
        env.pop(name, None)
    return env


# By its path: a test may give the user a PATH without it.
SETPRIV = shutil.which("setpriv") or "/usr/bin/setpriv"


def as_user(argv, user=USER):
    """`argv` run as `user`: their uid, primary group and supplementary groups, nothing of root's."""
    return [SETPRIV, f"--reuid={user}", f"--regid={user}", "--init-groups", "--", *argv]


def user_folder(prefix, user=USER):
    """A new 0700 folder owned by `user`, under their home (so that it is theirs, as a real
    user's files are, and not in a /tmp that every user shares)."""
    account = pwd.getpwnam(user)
    base = os.path.join(account.pw_dir, "mljob-tests")
    if not os.path.isdir(base):
        os.makedirs(base, mode=0o700, exist_ok=True)
        os.chown(base, account.pw_uid, account.pw_gid)
    folder = tempfile.mkdtemp(prefix=prefix, dir=base)
    os.chown(folder, account.pw_uid, account.pw_gid)
    return folder


def hand_over(folder, user=USER):
    """Gives `user` what the test (as root) wrote into their scratch `folder`."""
    account = pwd.getpwnam(user)
    for path, dirs, files in os.walk(folder):
        for name in [path, *(os.path.join(path, f) for f in dirs + files)]:
            if os.lstat(name).st_uid == 0:
                os.lchown(name, account.pw_uid, account.pw_gid)


fixtures()


class NotYet:
    """What a poll_until condition returns while it waits: false, and carrying what it saw, so
    that a timeout can say so ("last seen: ...") instead of a bare False or None."""

    def __init__(self, seen):
        self.seen = seen

    def __bool__(self):
        return False

    def __repr__(self):
        return repr(self.seen)


def poll_until(condition, timeout, interval=1.0, what="the condition"):
    """Calls `condition` every `interval` seconds until it returns something true, and returns
    that. It is called at least once, and once more when `timeout` seconds have passed; if it is
    still false then, the test fails, naming `what` it waited for and the last value it returned
    (a NotYet's, where the condition wraps what it saw in one). An exception it raises, such as a
    failed assertion for a state it can never leave, ends the wait at once."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"gave up after {timeout}s waiting for {what}; last seen: {value!r}")
        time.sleep(interval)


class ClusterTestCase(unittest.TestCase):
    """A test with its own MLJOB_HOME, against the running local cluster."""

    def setUp(self):
        self.user = USER
        self.env = cluster_environment(USER)
        # In the user's home, not /tmp: theirs alone, and kept for a look after a failure.
        self.home = user_folder("mljob-test-home-")
        self.env["MLJOB_HOME"] = self.home
        self.env["MLJOB_TIERS"] = os.path.join(FIXTURES, "contrib", "cluster", "tiers.yaml")
        self.scratch_folders = []

    def scratch(self, prefix="mljob-test-work-"):
        """A scratch folder of the user's for files the test writes and hands to mljob or a job:
        what the test writes there is handed over to the user before every command they run."""
        folder = user_folder(prefix, self.user)
        self.scratch_folders.append(folder)
        return folder

    def user_argv(self, argv, user=None):
        """`argv` as the test's user runs it, after handing them their scratch files."""
        for folder in self.scratch_folders:
            hand_over(folder, self.user)
        return as_user(list(argv), user or self.user)

    def unique_id(self, stem):
        return f"{stem}_{uuid.uuid4().hex[:10]}"

    def mljob(self, *args, check=True):
        result = subprocess.run(self.user_argv([MLJOB, *args]), env=self.env, capture_output=True, text=True,
                                timeout=300)
        if check and result.returncode != 0:
            self.fail(f"mljob {' '.join(args)} exited {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}")
        return result

    def mljob_on_a_full_disk(self, largest_file, *args):
        """mljob as on a disk with room for no file over `largest_file` bytes: RLIMIT_FSIZE, with
        SIGXFSZ ignored, so that a write past it fails (EFBIG) as a write to a full disk does."""
        def limit_file_size():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (largest_file, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
        return subprocess.run(self.user_argv([MLJOB, *args]), env=self.env, capture_output=True, text=True,
                              timeout=300, preexec_fn=limit_file_size, restore_signals=False)

    def slurm_states_named(self, name):
        """The states slurmctld has for jobs named `name` (finished ones for MinJobAge too)."""
        out = self.slurm("squeue", "--noheader", "--states=all", f"--name={name}", "--format=%T")
        return out.split()

    def slurm(self, *args):
        return subprocess.run(self.user_argv(args), env=self.env, capture_output=True, text=True, check=True,
                              timeout=60).stdout

    def as_admin(self, *args):
        """A Slurm command as the cluster's administrator (root): only for what a user may not do
        and a test must, such as draining every node."""
        return subprocess.run(list(args), env=self.env, capture_output=True, text=True, check=True, timeout=60).stdout

    def describe(self, job_id):
        return json.loads(self.mljob("describe", job_id, "--format", "json").stdout)

    def wait_for_state(self, job_id, states, timeout=180):
        def reached():
            job = self.describe(job_id)
            return job if job["state"] in states else NotYet(job)
        return poll_until(reached, timeout, what=f"job {job_id} to reach {states}")

    def wait_for_accounting(self, slurm_job_id, expected_state, components=1, timeout=60):
        """sacct's view of each component once the job has ended there. Slurm 22.05 first
        records an ended het job as one plain row, then (seconds later) a row per component."""
        def ended():
            out = self.slurm("sacct", "-j", slurm_job_id, "--allocations", "--noheader", "--parsable2",
                             "--format=JobID,State,AllocTRES")
            rows = [line.split("|") for line in out.splitlines() if line]
            if len(rows) == components and all(row[1].split()[0] == expected_state for row in rows):
                return rows
            return NotYet(out)
        return poll_until(ended, timeout, what=f"sacct to show every component of {slurm_job_id} {expected_state}")

    def output_of(self, job_id):
        with open(os.path.join(self.home, "jobs", job_id, "output.log"), errors="replace") as log:
            return log.read()

    def submit_example(self, job_id, *flags, user_args=("--epochs", "2")):
        return self.mljob("submit", "training", job_id, "--module-name", "trainer.task",
                          "--package-path", TRAINER, *flags, "--", *user_args)
