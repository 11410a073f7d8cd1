#include "tuner/sagemaker_tuning.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/spec_error.h"

namespace mljob::tuner {
namespace {

using nlohmann::json;

// The conformance corpus's SageMaker tuning requests (real ones from public sample repositories).
std::filesystem::path corpus_dir() {
  return std::filesystem::path(MLJOB_SOURCE_DIR) / ".." / "shared" / "conformance" / "sagemaker" / "extracted";
}

json request() {
  return json::parse(R"({
    "HyperParameterTuningJobName": "xgb-tune",
    "HyperParameterTuningJobConfig": {
      "Strategy": "Bayesian",
      "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "validation:rmse"},
      "ResourceLimits": {"MaxNumberOfTrainingJobs": 20, "MaxParallelTrainingJobs": 3},
      "ParameterRanges": {
        "ContinuousParameterRanges": [{"Name": "eta", "MinValue": "0.01", "MaxValue": "0.5", "ScalingType": "Logarithmic"},
                                      {"Name": "subsample", "MinValue": "0.5", "MaxValue": "0.99", "ScalingType": "ReverseLogarithmic"}],
        "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "2", "MaxValue": "10"}],
        "CategoricalParameterRanges": [{"Name": "booster", "Values": ["gbtree", "dart"]}]
      },
      "TrainingJobEarlyStoppingType": "Auto",
      "RandomSeed": 7
    },
    "TrainingJobDefinition": {"StaticHyperParameters": {"objective": "reg:squarederror"}},
    "WarmStartConfig": {"ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": "xgb-tune-1"}],
                        "WarmStartType": "TransferLearning"}
  })");
}

std::string error_of(const json& value) {
  try {
    parse_hyperparameter_spec(value, "hyperparameters");
  } catch (const SpecError& error) {
    return error.what();
  }
  return "";
}

TEST(SageMakerTuning, ARequestBecomesTheStudysSpec) {
  HyperparameterSpec spec = parse_hyperparameter_spec(request(), "hyperparameters");
  EXPECT_EQ(spec.algorithm, Algorithm::kBayesian);
  EXPECT_EQ(spec.goal, Goal::kMinimize);
  EXPECT_EQ(spec.metric_tag, "validation:rmse");
  EXPECT_EQ(spec.max_trials, 20);
  EXPECT_EQ(spec.max_parallel_trials, 3);
  EXPECT_TRUE(spec.enable_trial_early_stopping);
  EXPECT_EQ(spec.random_seed, 7u);
  ASSERT_EQ(spec.params.size(), 4u);
  EXPECT_EQ(spec.params[0].name, "eta");
  EXPECT_EQ(spec.params[0].scale, ScaleType::kLog);
  EXPECT_EQ(spec.params[1].scale, ScaleType::kReverseLog);
  EXPECT_EQ(spec.params[2].type, ParameterType::kInteger);
  EXPECT_EQ(spec.params[2].max_value, 10);
  EXPECT_EQ(spec.params[3].categorical_values, (std::vector<std::string>{"gbtree", "dart"}));
  ASSERT_TRUE(spec.warm_start);
  EXPECT_EQ(spec.warm_start->type, WarmStartType::kTransferLearning);
  EXPECT_EQ(spec.warm_start->parents, (std::vector<std::string>{"xgb-tune-1"}));
  // The config alone is taken too.
  EXPECT_EQ(parse_hyperparameter_spec(request()["HyperParameterTuningJobConfig"], "h").params.size(), 4u);
}

TEST(SageMakerTuning, EveryRuleNamesTheSageMakerField) {
  auto with = [](const std::string& pointer, const json& value) {
    json r = request();
    r[json::json_pointer(pointer)] = value;
    return error_of(r);
  };
  const std::string config = "/HyperParameterTuningJobConfig";
  EXPECT_NE(with(config + "/Strategy", "Hyperband").find("hyperparameters.HyperParameterTuningJobConfig.Strategy: value 'Hyperband': is not offered"),
            std::string::npos);
  EXPECT_NE(with(config + "/ParameterRanges/ContinuousParameterRanges/0/MinValue", "0").find(
                "ContinuousParameterRanges[0].MinValue: value '0': must be greater than 0 for Logarithmic scaling"),
            std::string::npos);
  EXPECT_NE(with(config + "/ParameterRanges/IntegerParameterRanges/0/MaxValue", "2.5").find("must be a whole number"), std::string::npos);
  EXPECT_NE(with(config + "/ParameterRanges/IntegerParameterRanges/0/MaxValue", "1").find("must be greater than MinValue"), std::string::npos);
  EXPECT_NE(with(config + "/ParameterRanges/CategoricalParameterRanges/0/Values", json::array({"a", "a"})).find("is a duplicate"),
            std::string::npos);
  EXPECT_NE(with(config + "/ParameterRanges/CategoricalParameterRanges/0/Name", "eta").find("Name: value 'eta': is a duplicate"),
            std::string::npos);
  EXPECT_NE(with(config + "/ResourceLimits/MaxParallelTrainingJobs", 0).find("MaxParallelTrainingJobs: value '0': must be a whole number of at least 1"),
            std::string::npos);
  EXPECT_NE(with(config + "/HyperParameterTuningJobObjective/Type", "maximize").find("must be one of Maximize, Minimize"), std::string::npos);
  EXPECT_NE(with(config + "/TrainingJobEarlyStoppingType", "On").find("must be one of Off, Auto"), std::string::npos);
  EXPECT_NE(with("/WarmStartConfig/WarmStartType", "Warm").find("WarmStartConfig.WarmStartType: value 'Warm'"), std::string::npos);
  EXPECT_NE(with("/WarmStartConfig/ParentHyperParameterTuningJobs", json::array()).find("must list 1 to 5 parent tuning jobs"),
            std::string::npos);
  EXPECT_NE(with(config + "/Stratgy", "Bayesian").find("unknown field (did you mean 'Strategy'?)"), std::string::npos);
  EXPECT_NE(with(config + "/Strategy", "Grid").find("Grid takes categorical ranges only"), std::string::npos);
}

TEST(SageMakerTuning, TheCorpusRequestsAreRead) {
  std::filesystem::path folder = corpus_dir() / "amazon-sagemaker-examples";
  ASSERT_TRUE(std::filesystem::exists(folder)) << "no conformance corpus at " << folder << " (shared/ beside the project)";
  int read = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.path().string().find(".CreateHyperParameterTuningJob.json") == std::string::npos) continue;
    std::ifstream in(entry.path());
    json document = json::parse(in);
    HyperparameterSpec spec = parse_hyperparameter_spec(document, entry.path().filename().string());
    EXPECT_FALSE(spec.params.empty()) << entry.path();
    EXPECT_FALSE(spec.metric_tag.empty()) << entry.path();
    ++read;
  }
  EXPECT_GE(read, 9);
}

}  // namespace
}  // namespace mljob::tuner
