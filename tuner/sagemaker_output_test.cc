#include "tuner/sagemaker_output.h"

#include <gtest/gtest.h>

namespace mljob::tuner {
namespace {

using nlohmann::json;

TEST(SageMakerOutput, CountersAndTheBestTrainingJob) {
  HyperparameterSpec spec = parse_hyperparameter_spec(
      json{{"goal", "MINIMIZE"},
           {"hyperparameterMetricTag", "loss"},
           {"maxTrials", 5},
           {"maxParallelTrials", 5},
           {"enableTrialEarlyStopping", true},
           {"algorithm", "RANDOM_SEARCH"},
           {"params", {{{"parameterName", "x"}, {"type", "DOUBLE"}, {"minValue", 0}, {"maxValue", 1}}}}});
  Study study(spec, 1);
  auto trials = study.ask(5);
  study.tell(1, 0.4);
  study.tell(2, 0.2);
  study.tell_failed(3, "crashed");
  for (int step = 1; step <= 3; ++step) study.report(4, step, 0.1);  // too few completed trials to stop
  study.tell(4, 0.1);
  json out =
      sagemaker_tuning_job(study, json{{"jobId", "s1"}, {"state", "RUNNING"}, {"createTime", "2026-11-22T09:00:00Z"}});
  EXPECT_EQ(out["HyperParameterTuningJobStatus"], "InProgress");
  EXPECT_EQ(
      out["TrainingJobStatusCounters"],
      (json{{"Completed", 3}, {"InProgress", 1}, {"RetryableError", 0}, {"NonRetryableError", 1}, {"Stopped", 0}}));
  EXPECT_EQ(out["ObjectiveStatusCounters"], (json{{"Succeeded", 3}, {"Pending", 1}, {"Failed", 1}}));
  EXPECT_EQ(out["BestTrainingJob"]["TrainingJobName"], "s1_trial_4");
  EXPECT_EQ(out["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"],
            (json{{"Type", "Minimize"}, {"MetricName", "loss"}, {"Value", 0.1}}));
  EXPECT_EQ(out["BestTrainingJob"]["TunedHyperParameters"]["x"],
            Study::trial_json(study.trials()[3])["hyperparameters"]["x"]);
  EXPECT_EQ(out["HyperParameterTuningJobConfig"]["TrainingJobEarlyStoppingType"], "Auto");
  EXPECT_EQ(out["HyperParameterTuningJobConfig"]["ParameterRanges"]["ContinuousParameterRanges"],
            (json::parse(R"([{"Name": "x", "MinValue": "0", "MaxValue": "1", "ScalingType": "Linear"}])")));
  EXPECT_EQ(out["CreationTime"], "2026-11-22T09:00:00Z");
  EXPECT_FALSE(out.contains("HyperParameterTuningEndTime"));
  EXPECT_FALSE(out.contains("TrainingJobDefinition"));
  EXPECT_EQ(sagemaker_tuning_job(study, json{{"state", "CANCELLED"}})["HyperParameterTuningJobStatus"], "Stopped");
  EXPECT_EQ(out["LastModifiedTime"], "2026-11-22T09:00:00Z");  // no trial has a time yet

  // The best trial's summary has SageMaker's required CreationTime, and the study's
  // LastModifiedTime is its newest trial's last time.
  study.set_trial_times(4, "2026-11-22T09:05:00Z", "2026-11-22T09:20:00Z");
  study.set_trial_times(2, "2026-11-22T09:01:00Z", "2026-11-22T09:30:00Z");
  out =
      sagemaker_tuning_job(study, json{{"jobId", "s1"}, {"state", "RUNNING"}, {"createTime", "2026-11-22T09:00:00Z"}});
  EXPECT_EQ(out["BestTrainingJob"]["CreationTime"], "2026-11-22T09:05:00Z");
  EXPECT_EQ(out["BestTrainingJob"]["TuningJobName"], "s1");
  EXPECT_EQ(out["LastModifiedTime"], "2026-11-22T09:30:00Z");
}

TEST(SageMakerOutput, TheStudysTrainingJobsAreFilteredAndSortedAsSageMakerListsThem) {
  Study study(parse_hyperparameter_spec(
                  json{{"goal", "MINIMIZE"},
                       {"hyperparameterMetricTag", "loss"},
                       {"maxTrials", 4},
                       {"maxParallelTrials", 4},
                       {"algorithm", "RANDOM_SEARCH"},
                       {"params", {{{"parameterName", "x"}, {"type", "DOUBLE"}, {"minValue", 0}, {"maxValue", 1}}}}},
                  "hyperparameters"),
              1);
  study.ask(4);
  study.tell(1, 0.4);
  study.tell(2, 0.2);
  study.tell_failed(3, "crashed");
  study.set_trial_times(1, "2026-11-22T09:03:00Z", "");
  study.set_trial_times(2, "2026-11-22T09:01:00Z", "");
  study.set_trial_times(3, "2026-11-22T09:02:00Z", "");
  auto names = [](const json& answer) {
    std::vector<std::string> out;
    for (const auto& summary : answer["TrainingJobSummaries"]) out.push_back(summary["TrainingJobName"]);
    return out;
  };
  EXPECT_EQ(names(sagemaker_training_jobs(study, "s", {})),  // newest first; trial 4 has no time yet
            (std::vector<std::string>{"s_trial_1", "s_trial_3", "s_trial_2", "s_trial_4"}));
  EXPECT_EQ(names(sagemaker_training_jobs(study, "s", {"", "FinalObjectiveMetricValue", "Ascending"})),
            (std::vector<std::string>{"s_trial_2", "s_trial_1", "s_trial_3", "s_trial_4"}));  // no value: last
  json failed = sagemaker_training_jobs(study, "s", {"Failed", "Name", "Ascending"});
  ASSERT_EQ(names(failed), (std::vector<std::string>{"s_trial_3"}));
  EXPECT_EQ(failed["TrainingJobSummaries"][0]["ObjectiveStatus"], "Failed");
  EXPECT_EQ(failed["TrainingJobSummaries"][0]["FailureReason"], "crashed");
  EXPECT_FALSE(failed["TrainingJobSummaries"][0].contains("FinalHyperParameterTuningJobObjectiveMetric"));
  EXPECT_EQ(sagemaker_training_jobs(study, "s",
                                    {"InProgress", "Name", "Ascending"})["TrainingJobSummaries"][0]["ObjectiveStatus"],
            "Pending");
}

// A run a failed node stopped, and that ran again, is SageMaker's RetryableError: a training
// job that failed for the service's (here the cluster's) fault, not the trial's.
TEST(SageMakerOutput, RunsStoppedByAFailedNodeAreRetryableErrors) {
  Study study(parse_hyperparameter_spec(
                  json{{"goal", "MINIMIZE"},
                       {"hyperparameterMetricTag", "loss"},
                       {"maxTrials", 2},
                       {"maxParallelTrials", 2},
                       {"maxFailedTrials", 5},
                       {"algorithm", "RANDOM_SEARCH"},
                       {"params", {{{"parameterName", "x"}, {"type", "DOUBLE"}, {"minValue", 0}, {"maxValue", 1}}}}}),
              1);
  study.ask(2);
  ASSERT_TRUE(study.retry_lost_run(1, "its node n2 failed"));
  ASSERT_TRUE(study.retry_lost_run(1, "its node n3 failed"));
  study.tell(1, 0.3);
  study.tell_failed(2, "exit 1");
  json out = sagemaker_tuning_job(study, json{{"jobId", "s2"}, {"state", "SUCCEEDED"}});
  EXPECT_EQ(
      out["TrainingJobStatusCounters"],
      (json{{"Completed", 1}, {"InProgress", 0}, {"RetryableError", 2}, {"NonRetryableError", 1}, {"Stopped", 0}}));
}

TEST(SageMakerOutput, TrialsCancelledWithTheStudyAreStoppedNotErrors) {
  Study study(parse_hyperparameter_spec(
                  json{{"maxTrials", 3},
                       {"maxParallelTrials", 3},
                       {"params", {{{"parameterName", "x"}, {"type", "DOUBLE"}, {"minValue", 0}, {"maxValue", 1}}}}}),
              1);
  study.ask(3);
  study.tell(1, 0.4);
  study.tell_cancelled(2, "cancelled with the study");
  study.tell_cancelled(3, "cancelled with the study");
  json out = sagemaker_tuning_job(study, json{{"jobId", "s3"}, {"state", "CANCELLED"}});
  EXPECT_EQ(
      out["TrainingJobStatusCounters"],
      (json{{"Completed", 1}, {"InProgress", 0}, {"RetryableError", 0}, {"NonRetryableError", 0}, {"Stopped", 2}}));
  // Stopped before they reported a value: their objective was never evaluated.
  EXPECT_EQ(out["ObjectiveStatusCounters"], (json{{"Succeeded", 1}, {"Pending", 0}, {"Failed", 2}}));
}

// A parent study "tune_1" of three trials (x = its value), its best trial 3 (0.9, MAXIMIZE).
Study parent_study() {
  Study parent(parse_hyperparameter_spec(json{
                   {"maxTrials", 3},
                   {"maxParallelTrials", 3},
                   {"algorithm", "GRID_SEARCH"},
                   {"params", {{{"parameterName", "x"}, {"type", "DISCRETE"}, {"discreteValues", {0.1, 0.5, 0.9}}}}}}),
               1);
  for (const auto& trial : parent.ask(3)) parent.tell(trial.id, trial.parameters["x"].get<double>());
  return parent;
}

const char* kWarmStartRequest = R"j({
  "HyperParameterTuningJobConfig": {
    "Strategy": "Random",
    "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "training/hptuning/metric"},
    "ResourceLimits": {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 2},
    "ParameterRanges": {"ContinuousParameterRanges": [{"Name": "x", "MinValue": "0", "MaxValue": "1"}]}},
  "WarmStartConfig": {"ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": "tune_1"}],
                      "WarmStartType": "IdenticalDataAndAlgorithm"}})j";

TEST(SageMakerOutput, AWarmStartedStudyCountsAndBestsOnlyItsOwnTrainingJobsItsParentsBestIsOverallBest) {
  json request = json::parse(kWarmStartRequest);
  Study study(parse_hyperparameter_spec(request), 2);
  study.warm_start_from(parent_study(), "tune_1", WarmStartType::kIdenticalDataAndAlgorithm, "WarmStartConfig");
  auto own = study.ask(2);
  ASSERT_EQ(own.size(), 2u);
  EXPECT_EQ(own[0].id, 4);  // after the parent's three
  study.tell(own[0].id, 0.6);
  study.tell_failed(own[1].id, "crashed");
  json out = sagemaker_tuning_job(
      study, json{{"jobId", "tune_2"}, {"state", "SUCCEEDED"}, {"trainingInput", {{"hyperparameters", request}}}});
  // "the training jobs that this tuning job launched": two, not five.
  EXPECT_EQ(
      out["TrainingJobStatusCounters"],
      (json{{"Completed", 1}, {"InProgress", 0}, {"RetryableError", 0}, {"NonRetryableError", 1}, {"Stopped", 0}}));
  EXPECT_EQ(out["ObjectiveStatusCounters"], (json{{"Succeeded", 1}, {"Pending", 0}, {"Failed", 1}}));
  EXPECT_EQ(out["BestTrainingJob"]["TrainingJobName"], "tune_2_trial_4");
  EXPECT_EQ(out["BestTrainingJob"]["TuningJobName"], "tune_2");
  // The parent's trial 3 (0.9) beats the study's own 0.6: named by the job that ran it.
  EXPECT_EQ(out["OverallBestTrainingJob"]["TrainingJobName"], "tune_1_trial_3");
  EXPECT_EQ(out["OverallBestTrainingJob"]["TuningJobName"], "tune_1");
  EXPECT_EQ(out["OverallBestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"], 0.9);
  // The same after the study has been saved and read back.
  EXPECT_EQ(sagemaker_tuning_job(
                Study::from_json(json::parse(study.to_json().dump())),
                json{{"jobId", "tune_2"}, {"state", "SUCCEEDED"}, {"trainingInput", {{"hyperparameters", request}}}}),
            out);

  // TransferLearning's parents measured other data: no overall best over them.
  request["WarmStartConfig"]["WarmStartType"] = "TransferLearning";
  EXPECT_FALSE(sagemaker_tuning_job(study, json{{"jobId", "tune_2"}, {"trainingInput", {{"hyperparameters", request}}}})
                   .contains("OverallBestTrainingJob"));
}

TEST(SageMakerOutput, AStudyWhoseOwnTrialsAllFailedHasNoBestTrainingJobWhateverItsParentsDid) {
  json request = json::parse(kWarmStartRequest);
  Study study(parse_hyperparameter_spec(request), 2);
  study.warm_start_from(parent_study(), "tune_1", WarmStartType::kIdenticalDataAndAlgorithm, "WarmStartConfig");
  for (const auto& trial : study.ask(2)) study.tell_failed(trial.id, "crashed");
  json out = sagemaker_tuning_job(study, json{{"jobId", "tune_2"}, {"trainingInput", {{"hyperparameters", request}}}});
  EXPECT_FALSE(out.contains("BestTrainingJob"));  // no trial of tune_2 ran to a result
  EXPECT_EQ(out["OverallBestTrainingJob"]["TrainingJobName"], "tune_1_trial_3");
}

TEST(SageMakerOutput, AResumedStudysCarriedOverTrialsAreNotItsTrainingJobs) {
  HyperparameterSpec spec = parse_hyperparameter_spec(
      json{{"maxTrials", 1},
           {"resumePreviousJobId", "tune_1"},
           {"params", {{{"parameterName", "x"}, {"type", "DOUBLE"}, {"minValue", 0}, {"maxValue", 1}}}}});
  Study study(spec, 3);
  study.continue_from(parent_study(), "tune_1");
  auto own = study.ask(1);
  ASSERT_EQ(own.size(), 1u);
  study.tell(own[0].id, 0.3);
  json out = sagemaker_tuning_job(study, json{{"jobId", "tune_2"}});
  EXPECT_EQ(out["TrainingJobStatusCounters"]["Completed"], 1);
  EXPECT_EQ(out["BestTrainingJob"]["TrainingJobName"], "tune_2_trial_4");  // tune_2_trial_1..3 never ran
  EXPECT_EQ(out["OverallBestTrainingJob"]["TrainingJobName"], "tune_1_trial_3");
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
  json out = sagemaker_tuning_job(study, json{{"jobId", "s2"},
                                              {"state", "SUCCEEDED"},
                                              {"endTime", "2026-11-22T10:00:00Z"},
                                              {"trainingInput", {{"hyperparameters", request}}}});
  json config = out["HyperParameterTuningJobConfig"];
  EXPECT_EQ(config["ParameterRanges"]["ContinuousParameterRanges"],
            request["HyperParameterTuningJobConfig"]["ParameterRanges"]["ContinuousParameterRanges"]);
  EXPECT_EQ(config["ParameterRanges"]["IntegerParameterRanges"][0],
            (json{{"Name", "layers"}, {"MinValue", "1"}, {"MaxValue", "8"}, {"ScalingType", "Linear"}}));
  EXPECT_EQ(config["ParameterRanges"]["CategoricalParameterRanges"],
            request["HyperParameterTuningJobConfig"]["ParameterRanges"]["CategoricalParameterRanges"]);
  EXPECT_EQ(config["RandomSeed"], 3);
  EXPECT_EQ(out["TrainingJobDefinition"], request["TrainingJobDefinition"]);
  EXPECT_EQ(out["HyperParameterTuningEndTime"], "2026-11-22T10:00:00Z");
  EXPECT_EQ(out["HyperParameterTuningJobStatus"], "Completed");

  // AI Platform's DISCRETE, which SageMaker lacks, reads as a categorical range of its values.
  Study discrete(
      parse_hyperparameter_spec(
          json{{"params", {{{"parameterName", "batch"}, {"type", "DISCRETE"}, {"discreteValues", {16, 32, 64.5}}}}}}),
      1);
  EXPECT_EQ(
      sagemaker_tuning_job(
          discrete, json::object())["HyperParameterTuningJobConfig"]["ParameterRanges"]["CategoricalParameterRanges"],
      (json::parse(R"([{"Name": "batch", "Values": ["16", "32", "64.5"]}])")));
}

}  // namespace
}  // namespace mljob::tuner
