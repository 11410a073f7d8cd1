#include "tuner/sagemaker_output.h"

#include <gtest/gtest.h>

namespace mljob::tuner {
namespace {

using nlohmann::json;

TEST(SageMakerOutput, CountersAndTheBestTrainingJob) {
  HyperparameterSpec spec = parse_hyperparameter_spec(json{
      {"goal", "MINIMIZE"}, {"hyperparameterMetricTag", "loss"}, {"maxTrials", 5}, {"maxParallelTrials", 5},
      {"enableTrialEarlyStopping", true}, {"algorithm", "RANDOM_SEARCH"},
      {"params", {{{"parameterName", "x"}, {"type", "DOUBLE"}, {"minValue", 0}, {"maxValue", 1}}}}});
  Study study(spec, 1);
  auto trials = study.ask(5);
  study.tell(1, 0.4);
  study.tell(2, 0.2);
  study.tell_failed(3, "crashed");
  for (int step = 1; step <= 3; ++step) study.report(4, step, 0.1);  // too few completed trials to stop
  study.tell(4, 0.1);
  json out = sagemaker_tuning_job(study, json{{"jobId", "s1"}, {"state", "RUNNING"}, {"createTime", "2026-11-22T09:00:00Z"}});
  EXPECT_EQ(out["HyperParameterTuningJobStatus"], "InProgress");
  EXPECT_EQ(out["TrainingJobStatusCounters"],
            (json{{"Completed", 3}, {"InProgress", 1}, {"RetryableError", 0}, {"NonRetryableError", 1}, {"Stopped", 0}}));
  EXPECT_EQ(out["ObjectiveStatusCounters"], (json{{"Succeeded", 3}, {"Pending", 1}, {"Failed", 1}}));
  EXPECT_EQ(out["BestTrainingJob"]["TrainingJobName"], "s1_trial_4");
  EXPECT_EQ(out["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"],
            (json{{"Type", "Minimize"}, {"MetricName", "loss"}, {"Value", 0.1}}));
  EXPECT_EQ(out["BestTrainingJob"]["TunedHyperParameters"]["x"], Study::trial_json(study.trials()[3])["hyperparameters"]["x"]);
  EXPECT_EQ(out["HyperParameterTuningJobConfig"]["TrainingJobEarlyStoppingType"], "Auto");
  EXPECT_EQ(out["HyperParameterTuningJobConfig"]["ParameterRanges"]["ContinuousParameterRanges"],
            (json::parse(R"([{"Name": "x", "MinValue": "0", "MaxValue": "1", "ScalingType": "Linear"}])")));
  EXPECT_EQ(out["CreationTime"], "2026-11-22T09:00:00Z");
  EXPECT_FALSE(out.contains("HyperParameterTuningEndTime"));
  EXPECT_FALSE(out.contains("TrainingJobDefinition"));
  EXPECT_EQ(sagemaker_tuning_job(study, json{{"state", "CANCELLED"}})["HyperParameterTuningJobStatus"], "Stopped");
}

TEST(SageMakerOutput, RangesOfEveryTypeAndWhatWasSubmittedInSageMakersForm) {
  json request = json::parse(R"j({
    "HyperParameterTuningJobConfig": {
      "Strategy": "Bayesian", "RandomSeed": 3,
      "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "acc"},
      "ResourceLimits": {"MaxNumberOfTrainingJobs": 4, "MaxParallelTrainingJobs": 2},
      "ParameterRanges": {
        "ContinuousParameterRanges": [{"Name": "lr", "MinValue": "0.001", "MaxValue": "0.1", "ScalingType": "Logarithmic"}],
        "IntegerParameterRanges": [{"Name": "layers", "MinValue": "1", "MaxValue": "8"}],
        "CategoricalParameterRanges": [{"Name": "opt", "Values": ["adam", "sgd"]}]}},
    "TrainingJobDefinition": {"StaticHyperParameters": {"epochs": "3"}, "StoppingCondition": {"MaxRuntimeInSeconds": 600}}})j");
  Study study(parse_hyperparameter_spec(request), 1);
  json out = sagemaker_tuning_job(study, json{{"jobId", "s2"}, {"state", "SUCCEEDED"}, {"endTime", "2026-11-22T10:00:00Z"},
                                              {"trainingInput", {{"hyperparameters", request}}}});
  json config = out["HyperParameterTuningJobConfig"];
  EXPECT_EQ(config["ParameterRanges"]["ContinuousParameterRanges"], request["HyperParameterTuningJobConfig"]["ParameterRanges"]["ContinuousParameterRanges"]);
  EXPECT_EQ(config["ParameterRanges"]["IntegerParameterRanges"][0],
            (json{{"Name", "layers"}, {"MinValue", "1"}, {"MaxValue", "8"}, {"ScalingType", "Linear"}}));
  EXPECT_EQ(config["ParameterRanges"]["CategoricalParameterRanges"], request["HyperParameterTuningJobConfig"]["ParameterRanges"]["CategoricalParameterRanges"]);
  EXPECT_EQ(config["RandomSeed"], 3);
  EXPECT_EQ(out["TrainingJobDefinition"], request["TrainingJobDefinition"]);
  EXPECT_EQ(out["HyperParameterTuningEndTime"], "2026-11-22T10:00:00Z");
  EXPECT_EQ(out["HyperParameterTuningJobStatus"], "Completed");

  // AI Platform's DISCRETE, which SageMaker lacks, reads as a categorical range of its values.
  Study discrete(parse_hyperparameter_spec(json{{"params", {{{"parameterName", "batch"}, {"type", "DISCRETE"}, {"discreteValues", {16, 32, 64.5}}}}}}), 1);
  EXPECT_EQ(sagemaker_tuning_job(discrete, json::object())["HyperParameterTuningJobConfig"]["ParameterRanges"]["CategoricalParameterRanges"],
            (json::parse(R"([{"Name": "batch", "Values": ["16", "32", "64.5"]}])")));
}

}  // namespace
}  // namespace mljob::tuner
