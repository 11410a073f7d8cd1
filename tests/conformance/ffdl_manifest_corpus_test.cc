// Every file of the corpus's FfDL folder (shared/conformance/ffdl, see its SOURCES.md) has its
// outcome written here: the manifests translate against a site-like catalog, or are refused
// with the reason given; the two files that are not manifests are named and say what they are.
// A file added to the corpus fails the test until its outcome is written down.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "base/input_error.h"
#include "core/ffdl_manifest.h"
#include "core/planner.h"
#include "core/validation.h"
#include "metrics/metrics_spec.h"
#include "tests/conformance/corpus.h"

namespace mljob {
namespace {

namespace fs = std::filesystem;
using mljob::testing::corpus_path;

tiers::MachineType machine(const std::string& name, int cpus, std::int64_t memory_mb, const std::string& gpu = "",
                           int gpus = 0) {
  tiers::MachineType type;
  type.name = name;
  type.cpus = cpus;
  type.memory_mb = memory_mb;
  if (gpus > 0) type.accelerator = tiers::AcceleratorRequest{gpu, gpus};
  return type;
}

// A lab's catalog: CPU nodes up to 32 cores, K80 and V100 nodes; the buckets of IBM's examples
// mirrored on Lustre, but not IBM's CI buckets (dlaas-ci-*), the converter's placeholder
// buckets, nor the Kubernetes host folder /cosdata.
tiers::TierCatalog lab_catalog() {
  tiers::TierCatalog catalog;
  catalog.source = "lab catalog";
  for (const auto& type :
       {machine("cpu-2", 2, 8192), machine("cpu-8", 8, 32768), machine("cpu-32", 32, 131072),
        machine("k80-1", 8, 30720, "NVIDIA_TESLA_K80", 1), machine("k80-2", 16, 61440, "NVIDIA_TESLA_K80", 2),
        machine("v100-4", 32, 245760, "NVIDIA_TESLA_V100", 4)})
    catalog.machine_types[type.name] = type;
  catalog.accelerator_types["NVIDIA_TESLA_K80"] = {"NVIDIA_TESLA_K80", "k80"};
  catalog.accelerator_types["NVIDIA_TESLA_V100"] = {"NVIDIA_TESLA_V100", "v100"};
  catalog.runtimes["default"] = tiers::RuntimeEnvironment{"default", "python3", "", "", ""};
  for (const std::string bucket :
       {"tf_training_data", "tf_trained_model", "fashion-mnist", "mnist-trained-model", "trainingdata", "trainedmodel",
        "h2o3_training_data", "h2o3_trained_model", "mnist_pytorch", "mnist_trained_model"})
    catalog.storage["s3://" + bucket + "/"] = "/lustre/buckets/" + bucket + "/";
  return catalog;
}

// What becomes of a file: translated to `machine_type` x `learners`, refused at `field` with a
// rule containing `reason`, or not a manifest (`reason` says what it is).
struct Outcome {
  enum Kind { kTranslated, kRefused, kNotAManifest } kind;
  std::string machine_type_or_field;
  int learners = 0;
  std::string reason;
};

Outcome translated(const std::string& machine_type, int learners) {
  return {Outcome::kTranslated, machine_type, learners, ""};
}
Outcome refused(const std::string& field, const std::string& reason) {
  return {Outcome::kRefused, field, 0, reason};
}
Outcome not_a_manifest(const std::string& what) {
  return {Outcome::kNotAManifest, "", 0, what};
}

const std::string kUnmapped = "which no prefix of the tier catalog's storage: section maps";

const std::map<std::string, Outcome> kExpected = {
    {"IBM-FfDL/_history/etc/examples/horovod/manifest_kerasmnist.yml",
     refused("data_stores[0].training_data.container", "is at s3://dlaas-ci-asood-horovod-benchmarks/, " + kUnmapped)},
    {"IBM-FfDL/_history/etc/examples/horovod/manifest_tfcnn.yml",
     refused("data_stores[0].training_data.container", "is at s3://dlaas-ci-asood-horovod-benchmarks/, " + kUnmapped)},
    {"IBM-FfDL/_history/etc/examples/pytorch-distributed/manifest.yml", translated("k80-1", 2)},
    {"IBM-FfDL/community/FfDL-H2Oai/h2o-model/manifest-h2o.yml", translated("cpu-2", 2)},
    {"IBM-FfDL/demos/fashion-mnist-training/fashion-train/manifest-cpu.yml", translated("cpu-32", 1)},
    {"IBM-FfDL/demos/fashion-mnist-training/fashion-train/manifest.yml", translated("k80-1", 1)},
    {"IBM-FfDL/etc/converter/sample-FfDL.yaml",
     refused("data_stores[0].training_data.container", "is at s3://training-data-bucket-name/, " + kUnmapped)},
    {"IBM-FfDL/etc/examples/c10d-dist-onnx/manifest.yml", translated("k80-1", 2)},
    {"IBM-FfDL/etc/examples/c10d-mpi-parallelism/manifest.yml", translated("k80-2", 2)},
    {"IBM-FfDL/etc/examples/c10d-native-parallelism/manifest.yml", translated("k80-2", 2)},
    {"IBM-FfDL/etc/examples/c10d-onnx-mpi/manifest.yml", translated("k80-2", 2)},
    {"IBM-FfDL/etc/examples/caffe-model/gpu-manifest.yml", translated("k80-1", 1)},
    {"IBM-FfDL/etc/examples/caffe-model/manifest.yml", translated("cpu-2", 1)},
    {"IBM-FfDL/etc/examples/caffe2-model/manifest.yml", translated("cpu-2", 1)},
    {"IBM-FfDL/etc/examples/horovod/manifest_pytorchmnist.yml", translated("cpu-8", 2)},
    {"IBM-FfDL/etc/examples/horovod/manifest_tfmnist.yml", translated("cpu-2", 2)},
    {"IBM-FfDL/etc/examples/keras-test/manifest-py3.yml",
     refused("data_stores[0].training_data.container", "is at s3://dlaas-ci-keras-training-data/, " + kUnmapped)},
    {"IBM-FfDL/etc/examples/pytorch-dist-onnx/manifest.yml", translated("k80-1", 2)},
    {"IBM-FfDL/etc/examples/pytorch-launch-dist/manifest.yml", translated("k80-1", 2)},
    {"IBM-FfDL/etc/examples/pytorch-model/manifest.yml", translated("cpu-2", 1)},
    {"IBM-FfDL/etc/examples/tf-distributed/manifest.yml", translated("cpu-2", 2)},
    {"IBM-FfDL/etc/examples/tf-model/gpu-manifest.yml", translated("k80-1", 1)},
    {"IBM-FfDL/etc/examples/tf-model/manifest-for-test.yml", translated("cpu-2", 1)},
    {"IBM-FfDL/etc/examples/tf-model/manifest-hostmount.yml",
     refused("data_stores[0].training_data.container",
             "is at file:///cosdata/local-dlaas-ci-tf-training-data/, " + kUnmapped)},
    {"IBM-FfDL/etc/examples/tf-model/manifest.yml", translated("cpu-2", 1)},
    {"IBM-FfDL/etc/examples/tf-summary-model/gpu-manifest.yml", translated("k80-1", 1)},
    {"IBM-FfDL/etc/examples/tf-summary-model/manifest.yml", translated("cpu-2", 1)},
    // The CLI's printout of a parsed manifest, with Go's field names: not what FfDL reads either.
    {"extracted/AISphere-ffdl-cli/README.train-printout.caffe-regex_extractor.json",
     refused("Name", "unknown field of an FfDL manifest (did you mean 'name'?)")},
    {"IBM-FfDL/metrics/log_collectors/regex_extractor/src/patterns/common-patterns",
     not_a_manifest("the regex_extractor's macro library, read by metrics/ (metrics_corpus_test)")},
};

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const FfdlContext kContext{"training-C0rpusTst", "/home/alice/.mljob/jobs/training-C0rpusTst"};

void expect_translated(const std::string& name, const std::string& text, const Outcome& expected) {
  FfdlJob ffdl;
  try {
    ffdl = parse_ffdl_manifest(text, name, lab_catalog(), kContext);
  } catch (const InputError& e) {
    ADD_FAILURE() << name << ": refused: " << e.what();
    return;
  }
  EXPECT_EQ(ffdl.machine_type, expected.machine_type_or_field) << name;
  EXPECT_EQ(ffdl.learners, expected.learners) << name;
  EXPECT_NO_THROW(validate_job(ffdl.job)) << name;
  SlurmPlan plan = plan_job(ffdl.job, lab_catalog(), {kContext.job_folder, {}});
  ASSERT_EQ(plan.components.size(), 1u) << name;
  EXPECT_EQ(plan.components[0].tasks, expected.learners) << name;
  // evaluation_metrics reach the collector as FfDL wrote them, and it can read them.
  if (ffdl.job.metric_declarations.contains("evaluation_metrics")) {
    std::vector<std::string> warnings;
    EXPECT_NO_THROW(
        metrics::parse_ffdl_spec(ffdl.job.metric_declarations["evaluation_metrics"], "evaluation_metrics", &warnings))
        << name;
  }
}

void expect_refused(const std::string& name, const std::string& text, const Outcome& expected) {
  try {
    parse_ffdl_manifest(text, name, lab_catalog(), kContext);
    ADD_FAILURE() << name << ": translated, expected a refusal at " << expected.machine_type_or_field;
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), expected.machine_type_or_field) << name << ": " << e.what();
    EXPECT_NE(e.rule().find(expected.reason), std::string::npos) << name << ": " << e.what();
  }
}

TEST(FfdlManifestCorpus, EveryFileTranslatesOrIsRefusedAsWrittenDown) {
  fs::path corpus = corpus_path("ffdl");
  if (!fs::exists(corpus)) GTEST_FAIL() << "conformance corpus missing at " << corpus;
  int seen = 0, translated_count = 0;
  for (const auto& entry : fs::recursive_directory_iterator(corpus)) {
    if (!entry.is_regular_file()) continue;
    std::string name = entry.path().lexically_relative(corpus).string();
    ++seen;
    auto expected = kExpected.find(name);
    if (expected == kExpected.end()) {
      ADD_FAILURE() << name << ": a corpus file with no outcome written down here";
      continue;
    }
    const Outcome& outcome = expected->second;
    if (outcome.kind == Outcome::kNotAManifest) continue;
    std::string text = read_text(entry.path());
    if (outcome.kind == Outcome::kTranslated) {
      expect_translated(name, text, outcome);
      ++translated_count;
    } else {
      expect_refused(name, text, outcome);
    }
  }
  EXPECT_EQ(seen, static_cast<int>(kExpected.size())) << "a file written down here is gone from the corpus";
  EXPECT_GT(translated_count * 2, seen) << "most of the corpus should translate";
}

}  // namespace
}  // namespace mljob
