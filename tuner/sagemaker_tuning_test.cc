#include "tuner/sagemaker_tuning.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "base/input_error.h"
#include "tuner/test_support.h"

namespace mljob::tuner {
namespace {

using nlohmann::json;

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
  return testing::input_error_of(value);
}

// The error for request() with the field at `pointer` set to `value` ("" if none).
std::string error_with(const std::string& pointer, const json& value) {
  json r = request();
  r[json::json_pointer(pointer)] = value;
  return error_of(r);
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
  const std::string config = "/HyperParameterTuningJobConfig";
  EXPECT_NE(error_with(config + "/Strategy", "Hyperband")
                .find("hyperparameters.HyperParameterTuningJobConfig.Strategy: value 'Hyperband': is not offered"),
            std::string::npos);
  EXPECT_NE(
      error_with(config + "/ParameterRanges/ContinuousParameterRanges/0/MinValue", "0")
          .find("ContinuousParameterRanges[0].MinValue: value '0': must be greater than 0 for Logarithmic scaling"),
      std::string::npos);
  EXPECT_NE(
      error_with(config + "/ParameterRanges/IntegerParameterRanges/0/MaxValue", "2.5").find("must be a whole number"),
      std::string::npos);
  EXPECT_NE(error_with(config + "/ParameterRanges/IntegerParameterRanges/0/MaxValue", "1")
                .find("must be greater than MinValue"),
            std::string::npos);
  EXPECT_NE(error_with(config + "/ParameterRanges/CategoricalParameterRanges/0/Values", json::array({"a", "a"}))
                .find("is a duplicate"),
            std::string::npos);
  EXPECT_NE(error_with(config + "/ParameterRanges/CategoricalParameterRanges/0/Name", "eta")
                .find("Name: value 'eta': is a duplicate"),
            std::string::npos);
  EXPECT_NE(error_with(config + "/ResourceLimits/MaxParallelTrainingJobs", 0)
                .find("MaxParallelTrainingJobs: value '0': must be a whole number of at least 1"),
            std::string::npos);
  EXPECT_NE(error_with(config + "/HyperParameterTuningJobObjective/Type", "maximize")
                .find("must be one of Maximize, Minimize"),
            std::string::npos);
  EXPECT_NE(error_with(config + "/TrainingJobEarlyStoppingType", "On").find("must be one of Off, Auto"),
            std::string::npos);
  EXPECT_NE(error_with("/WarmStartConfig/WarmStartType", "Warm").find("WarmStartConfig.WarmStartType: value 'Warm'"),
            std::string::npos);
  EXPECT_NE(error_with("/WarmStartConfig/ParentHyperParameterTuningJobs", json::array())
                .find("must list 1 to 5 parent tuning jobs"),
            std::string::npos);
  EXPECT_NE(error_with(config + "/Stratgy", "Bayesian").find("unknown field (did you mean 'Strategy'?)"),
            std::string::npos);
  EXPECT_NE(error_with(config + "/Strategy", "Grid").find("Grid takes categorical ranges only"), std::string::npos);
}

// SageMaker's own bounds: 30 ranges of each kind, 30 values a categorical range; at them the
// request is taken, one past them it is refused, naming the field.
TEST(SageMakerTuning, RangesAndCategoricalValuesAtTheBoundAreTakenAndPastItRefused) {
  const std::string ranges = "/HyperParameterTuningJobConfig/ParameterRanges";
  auto with = [&](const std::string& kind, int count) {
    json r = request();
    json list = json::array();
    for (int i = 0; i < count; ++i) {
      std::string name = kind.substr(0, 3) + std::to_string(i);
      if (kind == "CategoricalParameterRanges")
        list.push_back({{"Name", name}, {"Values", {"a", "b"}}});
      else
        list.push_back({{"Name", name}, {"MinValue", "1"}, {"MaxValue", "10"}});
    }
    r[json::json_pointer(ranges)] = {{kind, list}};
    return r;
  };
  for (const std::string kind : {"ContinuousParameterRanges", "IntegerParameterRanges", "CategoricalParameterRanges"}) {
    EXPECT_EQ(parse_hyperparameter_spec(with(kind, 30), "h").params.size(), 30u) << kind;
    EXPECT_NE(error_of(with(kind, 31)).find(kind + ": value '"), std::string::npos) << kind;
    EXPECT_NE(error_of(with(kind, 31)).find("must be a list of at most 30 ranges"), std::string::npos) << kind;
  }
  json values = json::array();
  for (int i = 0; i < 30; ++i) values.push_back("v" + std::to_string(i));
  json r = request();
  r[json::json_pointer(ranges + "/CategoricalParameterRanges/0/Values")] = values;
  EXPECT_EQ(parse_hyperparameter_spec(r, "h").params[3].categorical_values.size(), 30u);
  values.push_back("v30");
  EXPECT_NE(error_with(ranges + "/CategoricalParameterRanges/0/Values", values)
                .find("CategoricalParameterRanges[0].Values: value '"),
            std::string::npos);
  EXPECT_NE(
      error_with(ranges + "/CategoricalParameterRanges/0/Values", values).find("must be a list of 1 to 30 strings"),
      std::string::npos);
}

TEST(SageMakerTuning, TheTrainingJobDefinitionGivesWhatATrialCanHonour) {
  json r = request();
  r["TrainingJobDefinition"] = json::parse(R"j({
      "AlgorithmSpecification": {"TrainingImage": "123.dkr.ecr/xgb:1", "TrainingInputMode": "File",
                                 "MetricDefinitions": [{"Name": "validation:rmse", "Regex": "rmse=([0-9.]+)"}]},
      "StaticHyperParameters": {"objective": "reg:squarederror", "num_round": "100"},
      "StoppingCondition": {"MaxRuntimeInSeconds": 3600, "MaxPendingTimeInSeconds": 7200, "MaxWaitTimeInSeconds": 7200},
      "RoleArn": "arn:aws:iam::1:role/r", "OutputDataConfig": {"S3OutputPath": "s3://b/o"},
      "ResourceConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 10},
      "Environment": {"DATA_ROOT": "/scratch/data", "_flag2": "it's \"quoted\""}})j");
  HyperparameterSpec spec = parse_hyperparameter_spec(r, "hyperparameters");
  ASSERT_TRUE(spec.trial_definition);
  EXPECT_EQ(spec.trial_definition->static_hyperparameters,
            (std::map<std::string, std::string>{{"num_round", "100"}, {"objective", "reg:squarederror"}}));
  EXPECT_EQ(spec.trial_definition->metric_definitions,
            r["TrainingJobDefinition"]["AlgorithmSpecification"]["MetricDefinitions"]);
  EXPECT_EQ(spec.trial_definition->max_runtime_seconds, 3600);
  EXPECT_EQ(spec.trial_definition->max_pending_seconds, 7200);
  EXPECT_EQ(spec.trial_definition->instance_type, "ml.m5.xlarge");
  EXPECT_EQ(spec.trial_definition->instance_count, 1);
  EXPECT_EQ(spec.trial_definition->environment,
            (std::map<std::string, std::string>{{"DATA_ROOT", "/scratch/data"}, {"_flag2", "it's \"quoted\""}}));
  EXPECT_FALSE(parse_hyperparameter_spec(request()["HyperParameterTuningJobConfig"], "h").trial_definition);
}

TEST(SageMakerTuning, TheTrainingJobDefinitionsRulesNameItsFields) {
  const std::string definition = "/TrainingJobDefinition";
  EXPECT_NE(
      error_with(definition + "/StaticHyperParameters/eta", "0.1")
          .find("hyperparameters.TrainingJobDefinition.StaticHyperParameters.eta: value '0.1': is also a tuned range"),
      std::string::npos);
  EXPECT_NE(
      error_with(definition + "/StaticHyperParameters/num_round", 100).find("num_round: value '100': must be a string"),
      std::string::npos);
  EXPECT_NE(error_with(definition + "/StaticHyperParameters/a=b", "1").find("without '='"), std::string::npos);
  EXPECT_NE(error_with(definition + "/AlgorithmSpecification/MetricDefinitions",
                       json::parse(R"j([{"Name": "validation:rmse", "Regex": "rmse=(["}])j"))
                .find("AlgorithmSpecification.MetricDefinitions[0].Regex: value 'rmse=([': cannot be run"),
            std::string::npos);
  EXPECT_NE(error_with(definition + "/AlgorithmSpecification/MetricDefinitions",
                       json::parse(R"j([{"Name": "loss", "Regex": "loss=([0-9.]+)"}])j"))
                .find("HyperParameterTuningJobObjective.MetricName: value 'validation:rmse': must be one of the "
                      "TrainingJobDefinition's "
                      "MetricDefinitions (loss)"),
            std::string::npos);
  EXPECT_NE(error_with(definition + "/StoppingCondition/MaxRuntimeInSeconds", 0)
                .find("MaxRuntimeInSeconds: value '0': must be a whole number of seconds from 1"),
            std::string::npos);
  EXPECT_NE(error_with(definition + "/StoppingCondition/MaxPendingTimeInSeconds", 60).find("from 7200 to 2419200"),
            std::string::npos);
  EXPECT_NE(error_with(definition + "/HyperParameterRanges", json::object())
                .find("several TrainingJobDefinitions, which are not offered"),
            std::string::npos);
  EXPECT_NE(error_with(definition + "/ResorceConfig", json::object()).find("did you mean 'ResourceConfig'"),
            std::string::npos);
  EXPECT_NE(error_with(definition, "${training_job_definition}")
                .find("hyperparameters.TrainingJobDefinition: value '${training_job_definition}': must be an object"),
            std::string::npos);
  EXPECT_NE(error_with("/TrainingJobDefinitions", json::array()).find("give one TrainingJobDefinition"),
            std::string::npos);
  EXPECT_NE(error_with(definition + "/ResourceConfig", json{{"InstanceType", "ml.m5.xlarge"}, {"InstanceCount", 0}})
                .find("ResourceConfig.InstanceCount: value '0': must be a whole number of at least 1"),
            std::string::npos);
  EXPECT_NE(error_with(definition + "/ResourceConfig/InstanceGroups", json::array())
                .find("heterogeneous clusters are not offered"),
            std::string::npos);
  EXPECT_NE(error_with(definition + "/ResourceConfig", json{{"InstanceCount", 2}})
                .find("ResourceConfig.InstanceType: value '': is required"),
            std::string::npos);
  EXPECT_NE(error_with(definition + "/HyperParameterTuningResourceConfig", json::object())
                .find("give the trials' machines in ResourceConfig"),
            std::string::npos);
  EXPECT_NE(error_with(definition + "/Environment/SM_HPS", "{}")
                .find("Environment.SM_HPS: value '{}': is set for every trial by mljob"),
            std::string::npos);
  EXPECT_NE(error_with(definition + "/Environment/SBATCH_PARTITION", "gpu").find("cannot be replaced"),
            std::string::npos);
  EXPECT_NE(error_with(definition + "/Environment/TF_CONFIG", "{}").find("cannot be replaced"), std::string::npos);
  EXPECT_NE(error_with(definition + "/Environment/1DATA", "x").find("must match [A-Za-z_][A-Za-z0-9_]*"),
            std::string::npos);
  EXPECT_NE(error_with(definition + "/Environment/DATA-ROOT", "x").find("must match"), std::string::npos);
  EXPECT_NE(error_with(definition + "/Environment/DATA", 3).find("Environment.DATA: value '3': must be a string"),
            std::string::npos);
  // bash's own: read-only (an export of them fails every array element), or set or read by bash.
  for (const char* name : {"UID", "EUID", "PPID", "SHELLOPTS", "BASHOPTS", "BASH_VERSINFO", "BASH_ENV", "BASHPID",
                           "RANDOM", "SECONDS", "PWD", "IFS", "SHLVL", "OPTIND"}) {
    EXPECT_NE(error_with(definition + "/Environment/" + name, "1")
                  .find(std::string("Environment.") + name + ": value '1': is a variable bash keeps for itself"),
              std::string::npos)
        << name;
  }
  EXPECT_NE(error_with(definition + "/Environment/DATA", std::string("a\0b", 3)).find("must not contain a NUL byte"),
            std::string::npos);
}

}  // namespace
}  // namespace mljob::tuner
