// Every CreateTrainingJob request of the corpus, as its notebook or guide sends it, through
// `mljob submit sagemaker`'s checks and planning (what --dry-run does), against a catalog that
// maps every image and every s3:// bucket. Each either plans or is refused for a reason that
// docs/sagemaker.md lists; the table below names every file and its outcome, so that a change
// in what mljob takes shows up here file by file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include "base/input_error.h"
#include "core/planner.h"
#include "core/sagemaker_training.h"
#include "core/validation.h"
#include "tests/conformance/corpus.h"
#include "tuner/hyperparameter_spec.h"

namespace mljob {
namespace {

using mljob::testing::corpus_path;
namespace fs = std::filesystem;

tiers::TierCatalog catalog_mapping_everything() {
  tiers::TierCatalog c;
  c.source = "the conformance test's catalog";
  c.runtimes["default"] = {"default", "python3", "", "", ""};
  c.images["*"] = {"*", {"train"}, false, "default"};  // SageMaker starts a container as `IMAGE train`
  c.storage["s3://"] = "/data/s3/";                    // every bucket
  for (const char* type : {"ml.m4.xlarge", "ml.m4.4xlarge", "ml.m4.10xlarge", "ml.m5.large", "ml.m5.xlarge",
                           "ml.m5.2xlarge", "ml.m5.4xlarge", "ml.c4.xlarge", "ml.c4.2xlarge", "ml.c4.8xlarge",
                           "ml.c5.xlarge", "ml.c5.2xlarge", "ml.c5.4xlarge", "ml.p2.xlarge", "ml.p2.8xlarge",
                           "ml.p3.2xlarge", "ml.p3.8xlarge", "ml.p3.16xlarge", "ml.g4dn.xlarge"}) {
    tiers::MachineType machine;
    machine.name = type;
    machine.cpus = 4;
    machine.memory_mb = 16384;
    c.machine_types[type] = machine;
  }
  return c;
}

// What each file comes to: "plans", or the start of the refusal (field: value '...': rule).
const std::map<std::string, std::string>& expected_outcomes() {
  static const std::map<std::string, std::string> outcomes = {
#include "tests/conformance/sagemaker_training_outcomes.inc"
  };
  return outcomes;
}

using json = nlohmann::ordered_json;

bool is_placeholder(const json& value) {
  return value.is_string() && value.get<std::string>().starts_with("${");
}

// The corpus keeps what a notebook computes at run time as "${python expression}" (SOURCES.md).
// Filled in here as the notebook would: a job name, a role, s3:// URIs, booleans; an image
// stays as it is (the catalog maps every one).
void fill_placeholders(json& value, const std::string& key, const std::string& stem) {
  if (value.is_object()) {
    for (auto& [child_key, child] : value.items()) fill_placeholders(child, child_key, stem);
    return;
  }
  if (value.is_array()) {
    for (auto& child : value) fill_placeholders(child, key, stem);
    return;
  }
  if (!is_placeholder(value)) return;
  if (key == "TrainingJobName") {
    std::string name;
    for (char c : stem.substr(0, 40)) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
    while (name.find("--") != std::string::npos) name.erase(name.find("--"), 1);
    while (!name.empty() && name.back() == '-') name.pop_back();
    value = name;
  } else if (key == "RoleArn") {
    value = "arn:aws:iam::123456789012:role/SageMakerRole";
  } else if (key.ends_with("Uri") || key.ends_with("Path")) {
    value = "s3://notebook-bucket/" + key;
  } else if (key.starts_with("Enable")) {
    value = false;
  }
}

std::string outcome_of(const fs::path& file) {
  std::ifstream in(file);
  json request = json::parse(in);
  std::string stem = file.filename().string();
  fill_placeholders(request, "", stem.substr(0, stem.find('.')));
  tiers::TierCatalog catalog = catalog_mapping_everything();
  try {
    SageMakerTraining training = parse_sagemaker_training(request, catalog, {"/jobs/J"});
    validate_job(training.job);
    plan_job(training.job, catalog, {training.folders.root, {}});
    return "plans";
  } catch (const InputError& error) {
    return error.what();
  }
}

// A CreateHyperParameterTuningJob as `mljob submit sagemaker-tuning` takes it: its tuning config
// read by the tuner, and its first trial (the TrainingJobDefinition with the static
// hyperparameters) read, checked and planned as a SageMaker training job.
std::string tuning_outcome_of(const fs::path& file) {
  std::ifstream in(file);
  json request = json::parse(in);
  std::string stem = file.filename().string();
  fill_placeholders(request, "", stem.substr(0, stem.find('.')));
  tiers::TierCatalog catalog = catalog_mapping_everything();
  try {
    tuner::HyperparameterSpec spec =
        tuner::parse_hyperparameter_spec(nlohmann::json::parse(request.dump()), "(request)");
    if (!request.contains("TrainingJobDefinition"))
      throw InputError("TrainingJobDefinition", "", "is required: a tuning job on its own runs its trials from it");
    json statics = request["TrainingJobDefinition"].value("StaticHyperParameters", json::object());
    json trial = sagemaker_trial_request(request["TrainingJobDefinition"], "tuning-job_trial_1", statics);
    SageMakerTraining training = parse_sagemaker_training(trial, catalog, {"/jobs/tuning-job_trial_1", true});
    validate_job(training.job);
    plan_job(training.job, catalog, {training.folders.root, {}});
    return spec.trial_definition ? "plans" : "plans (no TrainingJobDefinition read by the tuner)";
  } catch (const InputError& error) {
    return error.what();
  }
}

// Every corpus file whose name holds `kind` against the table: its outcome starts as written
// down, and every row of that kind names a file that is still there. Returns how many planned.
int check_outcomes(const std::string& kind, const std::function<std::string(const fs::path&)>& outcome_of_file) {
  fs::path folder = corpus_path("sagemaker/extracted/amazon-sagemaker-examples");
  if (!fs::exists(folder)) {
    ADD_FAILURE() << "no conformance corpus at " << folder;
    return 0;
  }
  std::map<std::string, std::string> seen;
  for (const auto& entry : fs::directory_iterator(folder)) {
    std::string name = entry.path().filename().string();
    if (name.find(kind) != std::string::npos) seen[name] = outcome_of_file(entry.path());
  }
  int planned = 0;
  for (const auto& [name, outcome] : seen) {
    auto expected = expected_outcomes().find(name);
    if (expected == expected_outcomes().end()) {
      ADD_FAILURE() << "no outcome written down for " << name << "; it gives:\n    {\"" << name << "\", \"" << outcome
                    << "\"},";
      continue;
    }
    EXPECT_TRUE(outcome.starts_with(expected->second))
        << name << "\n  gives:    " << outcome << "\n  expected: " << expected->second;
    planned += outcome == "plans";
  }
  for (const auto& [name, outcome] : expected_outcomes()) {
    if (name.find(kind) == std::string::npos) continue;
    EXPECT_TRUE(seen.contains(name)) << name << " is gone from the corpus";
  }
  std::cout << planned << " of " << seen.size() << " " << kind.substr(1) << " requests plan\n";
  return planned;
}

TEST(SageMakerTrainingCorpus, EveryTuningRequestPlansItsTrialsOrIsRefusedForAListedReason) {
  EXPECT_EQ(check_outcomes(".CreateHyperParameterTuningJob", tuning_outcome_of), 8);
}

TEST(SageMakerTrainingCorpus, EveryRequestPlansOrIsRefusedForAListedReason) {
  EXPECT_EQ(check_outcomes(".CreateTrainingJob", outcome_of), 23);
}

}  // namespace
}  // namespace mljob
