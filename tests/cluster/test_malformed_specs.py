"""Every file in tests/specs/malformed breaks one rule; each must be refused with exit 2, an
error naming the field, the value and the rule, and nothing submitted or left behind."""
import os
import re

from harness import FIXTURES, TRAINER, ClusterTestCase

CORPUS = os.path.join(FIXTURES, "tests", "specs", "malformed")


def expectations(path):
    header = {}
    with open(path) as spec:
        for line in spec:
            match = re.match(r"#\s*(expect|job-id):\s*(.*)$", line.rstrip("\n"))
            if match:
                header[match.group(1)] = match.group(2)
    field, _, rule = header["expect"].partition(" :: ")
    return field, rule, header.get("job-id")


class MalformedSpecs(ClusterTestCase):
    def test_every_malformed_spec_is_refused_cleanly(self):
        files = sorted(f for f in os.listdir(CORPUS) if f.endswith(".yaml"))
        self.assertGreaterEqual(len(files), 30)
        before = self.slurm("squeue", "--noheader", "--states=all", "--format=%i")
        for name in files:
            with self.subTest(spec=name):
                path = os.path.join(CORPUS, name)
                field, rule, job_id = expectations(path)
                job_id = job_id or self.unique_id("malformed")
                if field == "SPEC":
                    field = path
                result = self.mljob("submit", "training", job_id, "--config", path, "--package-path", TRAINER,
                                    check=False)
                self.assertEqual(result.returncode, 2, f"{name}: {result.stderr}")
                self.assertEqual(result.stdout, "")
                # One line: "mljob: error: FIELD: value 'VALUE': RULE".
                self.assertRegex(result.stderr, r"^mljob: error: " + re.escape(field) + r": value '")
                self.assertIn(rule, result.stderr)
                self.assertEqual(os.listdir(os.path.join(self.home, "jobs")) if os.path.exists(
                    os.path.join(self.home, "jobs")) else [], [], f"{name} left a job folder")
        self.assertEqual(self.slurm("squeue", "--noheader", "--states=all", "--format=%i"), before)
        self.assertFalse(os.path.exists("/tmp/mljob-pwned"), "a job ID reached a shell")
