"""packageUris as AI Platform takes them: sdists, wheels and tarballs, local or at http(s)
URLs. A real web server (in this process) serves them, including the failures a real one
has: 404s, 503s that pass, 503s that do not, bodies over the limit, a redirect to file://."""
import http.server
import os
import shutil
import signal
import subprocess
import tarfile
import threading
import time

from harness import MLJOB, TRAINER, ClusterTestCase, poll_until, user_folder


class PackageServer(http.server.BaseHTTPRequestHandler):
    root = None
    tries = {}
    released = threading.Event()  # ends the stalls of /stall/

    def log_message(self, *args):  # keep the test output clean
        pass

    def send_file(self, name, with_length=True):
        with open(os.path.join(self.root, name), "rb") as source:
            body = source.read()
        self.send_response(200)
        if with_length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        kind, _, name = self.path.lstrip("/").partition("/")
        PackageServer.tries[self.path] = PackageServer.tries.get(self.path, 0) + 1
        if kind == "files":
            self.send_file(name)
        elif kind == "flaky" and PackageServer.tries[self.path] <= 2:
            self.send_error(503)
        elif kind == "flaky":
            self.send_file(name)
        elif kind == "down":
            self.send_error(503)
        elif kind == "unsized":  # no Content-Length: the limit must hold while bytes arrive
            self.close_connection = True
            self.send_file(name, with_length=False)
        elif kind == "stall":  # a download that stops half-way, as over a slow link
            self.send_response(200)
            self.send_header("Content-Length", str(10_000_000))
            self.end_headers()
            self.wfile.write(b"\0" * 65536)
            self.wfile.flush()
            PackageServer.released.wait(60)
        elif kind == "to-file":
            self.send_response(302)
            self.send_header("Location", "file:///etc/hostname")
            self.end_headers()
        else:
            self.send_error(404)


class Packages(ClusterTestCase):
    @classmethod
    def setUpClass(cls):
        cls.served = user_folder("mljob-served-")  # also handed to mljob as local files
        # An sdist of the example trainer, shaped as `python3 setup.py sdist` makes it.
        project = os.path.join(cls.served, "build", "trainer-0.1")
        shutil.copytree(TRAINER, os.path.join(project, "trainer"))
        with open(os.path.join(project, "setup.py"), "w") as setup:
            setup.write("from setuptools import setup, find_packages\n"
                        "setup(name='trainer', version='0.1', packages=find_packages())\n")
        with tarfile.open(os.path.join(cls.served, "trainer-0.1.tar.gz"), "w:gz") as sdist:
            sdist.add(project, arcname="trainer-0.1")
        with open(os.path.join(cls.served, "big.tar.gz"), "wb") as big:
            big.write(os.urandom(300_000))
        PackageServer.root = cls.served
        cls.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), PackageServer)
        cls.base = f"http://127.0.0.1:{cls.server.server_address[1]}"
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()

    @classmethod
    def tearDownClass(cls):
        PackageServer.released.set()
        cls.server.shutdown()
        shutil.rmtree(cls.served)

    def submit_with(self, uri, *user_args, check=True):
        job_id = self.unique_id("pkg")
        result = self.mljob("submit", "training", job_id, "--scale-tier", "BASIC", "--module-name", "trainer.task",
                            "--packages", uri, "--stream-logs", "--", "--epochs", "1", *user_args, check=check)
        return job_id, result

    def test_sdist_from_a_flaky_server_runs_after_retries(self):
        job_id, result = self.submit_with(f"{self.base}/flaky/trainer-0.1.tar.gz")
        self.assertEqual(PackageServer.tries["/flaky/trainer-0.1.tar.gz"], 3)
        self.assertEqual(self.describe(job_id)["state"], "SUCCEEDED")
        self.assertIn("epoch=1", self.output_of(job_id))
        staged = os.path.join(self.home, "jobs", job_id, "packages", "unpacked", "trainer-0.1", "trainer-0.1")
        self.assertTrue(os.path.exists(os.path.join(staged, "trainer", "task.py")))
        self.assertEqual(self.describe(job_id)["trainingInput"]["packageUris"], [f"{self.base}/flaky/trainer-0.1.tar.gz"])

    def test_local_sdist_runs(self):
        job_id, _ = self.submit_with(os.path.join(self.served, "trainer-0.1.tar.gz"))
        self.assertEqual(self.describe(job_id)["state"], "SUCCEEDED")

    def assert_refused(self, uri, exit_code, *message_parts, env=None):
        job_id = self.unique_id("badpkg")
        before = self.slurm("squeue", "--noheader", "--states=all", "--format=%i")
        saved = dict(self.env)
        self.env.update(env or {})
        try:
            result = self.mljob("submit", "training", job_id, "--scale-tier", "BASIC", "--module-name", "trainer.task",
                                "--packages", uri, check=False)
        finally:
            self.env = saved
        self.assertEqual(result.returncode, exit_code, result.stderr)
        self.assertIn("trainingInput.packageUris[0]", result.stderr)
        for part in message_parts:
            self.assertIn(part, result.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.home, "jobs", job_id)), "a refused job left its folder")
        self.assertEqual(self.slurm("squeue", "--noheader", "--states=all", "--format=%i"), before)

    def test_not_found_is_bad_input(self):
        self.assert_refused(f"{self.base}/nothing/trainer-0.1.tar.gz", 2, "HTTP 404")

    def test_a_server_that_stays_down_fails_after_three_tries(self):
        self.assert_refused(f"{self.base}/down/trainer-0.1.tar.gz", 1, "HTTP 503", "gave up after 3 tries")
        self.assertEqual(PackageServer.tries["/down/trainer-0.1.tar.gz"], 3)

    def test_size_limit_with_and_without_a_content_length(self):
        limit = {"MLJOB_PACKAGE_MAX_BYTES": "100000"}
        self.assert_refused(f"{self.base}/files/big.tar.gz", 2, "larger than the limit", env=limit)
        self.assert_refused(f"{self.base}/unsized/big.tar.gz", 2, "larger than the limit", env=limit)

    def test_a_redirect_to_a_local_file_is_not_followed(self):
        self.assert_refused(f"{self.base}/to-file/trainer-0.1.tar.gz", 2, "could not be fetched")

    def test_an_interrupted_submit_leaves_nothing_behind(self):
        """Ctrl-C or SIGTERM while a package downloads: the folder goes, nothing is submitted."""
        for sig, status in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
            job_id = self.unique_id("interrupted")
            path = f"/stall/{job_id}/trainer-0.1.tar.gz"
            submit = subprocess.Popen(self.user_argv([MLJOB, "submit", "training", job_id, "--scale-tier", "BASIC",
                                                      "--module-name", "trainer.task", "--packages", self.base + path]),
                                      env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            # Until the server is asked for the package (or the submit has ended, which the
            # assertions below catch).
            poll_until(lambda: path in PackageServer.tries or submit.poll() is not None, 60, interval=0.1,
                       what=f"the package server to be asked for {path}")
            time.sleep(0.5)  # bytes arrived: staging is under way
            self.assertTrue(os.path.isdir(os.path.join(self.home, "jobs", job_id)), "the download never started")
            submit.send_signal(sig)
            out, err = submit.communicate(timeout=30)
            self.assertEqual(submit.returncode, status, err)
            self.assertEqual(out, "")
            self.assertIn(f"mljob: interrupted by {sig.name}: nothing was submitted", err)
            self.assertFalse(os.path.exists(os.path.join(self.home, "jobs", job_id)), "an interrupted submit left its folder")
            self.assertEqual(self.slurm_states_named(job_id), [])

    def test_cloud_storage_urls_say_what_to_do(self):
        self.assert_refused("gs://bucket/trainer-0.1.tar.gz", 2, "only http and https")
