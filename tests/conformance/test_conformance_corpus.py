"""The AI Platform training configs of the conformance corpus (MLJOB_CONFORMANCE_DIR: real files
from public sample repositories) dry-run to sensible plans on the local cluster, as an ordinary
user, or are refused with the reason a site operator would give. Every file is accounted for,
none skipped."""
import os
import re
import shutil

import yaml

from harness import ClusterTestCase

# Where CMake was told the corpus is; this suite is not run without one.
CORPUS_ROOT = os.environ["MLJOB_CONFORMANCE_DIR"]

# Files the local cluster must refuse, with the field and the reason.
REFUSED = {
    # The seed_rl configs hold the shell variables of the script that generated them.
    "extracted/seed_rl/": ("trainingInput.workerCount", "must be an integer"),
    # TPUs are not offered by this site's catalog (nor by any Slurm GRES here).
    "tpu/config.yaml": ("trainingInput.workerType", "is not a machine type offered at this site"),
    "tpu/templates/config.yaml": ("trainingInput.workerType", "is not a machine type offered at this site"),
    "resnet-hptuning/config_resnet.yaml": ("trainingInput.workerType", "is not a machine type offered at this site"),
    "resnet-hypertune/config_resnet_hypertune.yaml": ("trainingInput.workerType", "is not a machine type offered at this site"),
    # Custom containers: the sample gives its image by a flag-provided machine type and an image.
    "custom_containers/hypertune/config_resnet_hypertune.yaml": ("trainingInput.masterType", "is required when scaleTier is CUSTOM"),
    "published_container/README.config.yaml": ("trainingInput.masterConfig.imageUri", "custom containers are not run by mljob"),
    # A model version config (prediction), not a training job.
    "OnlinePredictionWithScikitLearnInCMLE.version_config.yaml": ("deploymentUri", "unknown field"),
    # 60 workers of 16 CPUs: more than the six 96-CPU nodes of the local cluster hold.
    "criteo_tft/config-large.yaml": ("trainingInput.scaleTier", "can never start on this cluster"),
}


def corpus_files(corpus):
    for folder, _, files in os.walk(corpus):
        for name in files:
            if name.endswith(".yaml") and "/schema" not in folder:
                yield os.path.join(folder, name)


def expected_refusal(path):
    for suffix, refusal in REFUSED.items():
        if suffix in path:
            return refusal
    return None


def replica_count(spec):
    """How many replicas the file asks for: 1 + workers + parameter servers (CUSTOM), or the
    local catalog's counts for a named tier (BASIC: 1, STANDARD_1: 8, PREMIUM_1: 31...)."""
    training = spec.get("trainingInput", {})
    tier = training.get("scaleTier", "BASIC")
    if tier == "CUSTOM":
        return 1 + int(training.get("workerCount", 0)) + int(training.get("parameterServerCount", 0))
    return {"BASIC": 1, "BASIC_GPU": 1, "STANDARD_1": 8, "PREMIUM_1": 31}[tier]


class ConformanceCorpus(ClusterTestCase):
    def test_every_ai_platform_config_dry_runs_to_a_sensible_plan(self):
        # A copy the user can read: the corpus may sit beside a checkout in root's private home.
        CORPUS = os.path.join(self.scratch("mljob-corpus-"), "aiplatform")
        shutil.copytree(os.path.join(CORPUS_ROOT, "aiplatform"), CORPUS)
        files = sorted(corpus_files(CORPUS))
        self.assertGreaterEqual(len(files), 45, f"the corpus at {CORPUS} is missing or incomplete")
        planned = refused = 0
        for path in files:
            with self.subTest(config=os.path.relpath(path, CORPUS)):
                result = self.mljob("submit", "training", "corpus_check", "--config", path,
                                    "--module-name", "trainer.task", "--dry-run", check=False)
                refusal = expected_refusal(path)
                if refusal:
                    field, rule = refusal
                    self.assertEqual(result.returncode, 2, result.stderr)
                    self.assertIn(f"mljob: error: {field}: value '", result.stderr)
                    self.assertIn(rule, result.stderr)
                    refused += 1
                    continue
                self.assertEqual(result.returncode, 0, result.stderr)
                with open(path) as config:
                    spec = yaml.safe_load(config)
                plan = re.search(r"^# Plan: (\d+) heterogeneous component\(s\), (\d+) task\(s\)", result.stdout, re.M)
                self.assertIsNotNone(plan, result.stdout)
                self.assertEqual(int(plan.group(2)), replica_count(spec))
                self.assertIn("# Fit: the cluster can run this plan", result.stdout)
                self.assertIn("#SBATCH --job-name=corpus_check", result.stdout)
                self.assertRegex(result.stdout, r"\nexec .*srun .*--label")
                planned += 1
        self.assertEqual(planned + refused, len(files))
        self.assertFalse(os.path.exists(os.path.join(self.home, "jobs")), "a dry run left a job folder")
