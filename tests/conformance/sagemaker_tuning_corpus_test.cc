// The conformance corpus (real job specs from public sample repositories; see its SOURCES.md)
// is not part of the repository: these suites read it from MLJOB_CONFORMANCE_DIR, the CMake
// cache variable of the same name, and are built only when that folder exists.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "base/input_error.h"
#include "tests/conformance/corpus.h"
#include "tuner/sagemaker_tuning.h"
#include "tuner/test_support.h"

namespace mljob::tuner {
namespace {

using mljob::testing::corpus_path;
using nlohmann::json;

std::string error_of(const json& value) {
  return testing::input_error_of(value);
}

TEST(SageMakerTuning, TheCorpusRequestsAreRead) {
  std::filesystem::path folder = corpus_path("sagemaker/extracted/amazon-sagemaker-examples");
  ASSERT_TRUE(std::filesystem::exists(folder))
      << "no conformance corpus at " << folder << " (shared/ beside the project)";
  int read = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.path().string().find(".CreateHyperParameterTuningJob.json") == std::string::npos) continue;
    std::ifstream in(entry.path());
    json document = json::parse(in);
    const std::string name = entry.path().filename().string();
    if (document["TrainingJobDefinition"].is_string()) {
      // One sample leaves its TrainingJobDefinition a template placeholder ("${training_job_definition}"),
      // filled in by its notebook: as sent, it is refused by name, as SageMaker would.
      EXPECT_NE(error_of(document).find("TrainingJobDefinition: value '${"), std::string::npos) << name;
      ++read;
      continue;
    }
    HyperparameterSpec spec = parse_hyperparameter_spec(document, name);
    EXPECT_FALSE(spec.params.empty()) << name;
    EXPECT_FALSE(spec.metric_tag.empty()) << name;
    ASSERT_TRUE(spec.trial_definition) << name;
    EXPECT_EQ(json(spec.trial_definition->static_hyperparameters),
              document["TrainingJobDefinition"]["StaticHyperParameters"])
        << name;
    EXPECT_EQ(spec.trial_definition->max_runtime_seconds,
              document["TrainingJobDefinition"]["StoppingCondition"]["MaxRuntimeInSeconds"])
        << name;
    EXPECT_EQ(spec.trial_definition->instance_type, document["TrainingJobDefinition"]["ResourceConfig"]["InstanceType"])
        << name;
    EXPECT_EQ(spec.trial_definition->instance_count,
              document["TrainingJobDefinition"]["ResourceConfig"]["InstanceCount"])
        << name;
    ++read;
  }
  EXPECT_GE(read, 9);
}

}  // namespace
}  // namespace mljob::tuner
