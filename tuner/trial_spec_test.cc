#include "tuner/trial_spec.h"

#include <gtest/gtest.h>

#include "base/input_error.h"
#include "base/test_support.h"

namespace mljob::tuner {
namespace {

TEST(TrialSpec, JobIdIsDeterministic) {
  EXPECT_EQ(trial_job_id("study_1", 7), "study_1_trial_7");
}

TEST(TrialSpec, AppendsArgumentsGivesOwnJobDirAndKeepsOnlyTheMetricTag) {
  nlohmann::json study = {{"jobId", "s"},
                          {"labels", {{"team", "a"}}},
                          {"trainingInput",
                           {{"pythonModule", "trainer.task"},
                            {"args", {"--epochs=3"}},
                            {"jobDir", "/data/out"},
                            {"hyperparameters", {{"params", nlohmann::json::array()}, {"maxTrials", 4}}}}}};
  Trial trial;
  trial.id = 2;
  trial.parameters["lr"] = 0.5;
  trial.parameters["opt"] = std::string("adam");
  HyperparameterSpec spec;
  spec.metric_tag = "accuracy";
  nlohmann::json job = trial_job_spec(study, trial, spec);
  EXPECT_EQ(job["jobId"], "s_trial_2");
  EXPECT_EQ(job["labels"]["team"], "a");
  const auto& input = job["trainingInput"];
  ASSERT_EQ(input["args"].size(), 3u);
  EXPECT_EQ(input["args"][0], "--epochs=3");
  EXPECT_EQ(input["args"][1], "--lr=0.5");
  EXPECT_EQ(input["args"][2], "--opt=adam");
  EXPECT_EQ(input["jobDir"], "/data/out/2");
  EXPECT_EQ(input["hyperparameters"], (nlohmann::json{{"hyperparameterMetricTag", "accuracy"}}));
}

TEST(TrialSpec, SageMakersTrainingJobDefinitionShapesEveryTrial) {
  nlohmann::json study = {{"jobId", "s"},
                          {"trainingInput", {{"pythonModule", "trainer.task"}, {"args", {"--data=x"}}}},
                          {"MetricDefinitions", {{{"Name", "loss"}, {"Regex", "loss=([0-9.]+)"}}}}};
  HyperparameterSpec spec;
  spec.metric_tag = "rmse";
  TrialDefinition definition;
  definition.static_hyperparameters = {{"num_round", "100"}, {"objective", "reg:linear"}};
  definition.metric_definitions = {{{"Name", "rmse"}, {"Regex", "rmse=([0-9.]+)"}},
                                   {{"Name", "loss"}, {"Regex", "loss=([0-9.]+)"}}};
  definition.max_runtime_seconds = 3600;
  definition.max_pending_seconds = 7200;
  spec.trial_definition = definition;
  Trial trial;
  trial.id = 1;
  trial.parameters["eta"] = 0.25;
  nlohmann::json job = trial_job_spec(study, trial, spec);
  EXPECT_EQ(job["trainingInput"]["args"],
            (nlohmann::json{"--data=x", "--num_round=100", "--objective=reg:linear", "--eta=0.25"}));
  EXPECT_EQ(job["trainingInput"]["scheduling"],
            (nlohmann::json{{"maxRunningTime", "3600s"}, {"maxWaitTime", "7200s"}}));
  ASSERT_EQ(job["MetricDefinitions"].size(), 2u);  // the job's own loss, then rmse; loss given twice alike is kept once
  EXPECT_EQ(job["MetricDefinitions"][1]["Name"], "rmse");
  EXPECT_EQ(trial_hyperparameters(spec, trial),
            (nlohmann::json{{"eta", "0.25"}, {"num_round", "100"}, {"objective", "reg:linear"}}));

  // No ResourceConfig: the job spec's machines.
  EXPECT_FALSE(job["trainingInput"].contains("masterType"));
  auto error_with = [&](nlohmann::json changed) {
    try {
      trial_job_spec(changed, trial, spec);
    } catch (const InputError& error) {
      return std::string(error.what());
    }
    return std::string();
  };
  nlohmann::json other_limit = study;
  other_limit["trainingInput"]["scheduling"]["maxRunningTime"] = "60s";
  EXPECT_EQ(error_with(other_limit),
            "trainingInput.hyperparameters.TrainingJobDefinition.StoppingCondition.MaxRuntimeInSeconds: value '3600': "
            "trainingInput.scheduling.maxRunningTime says '\"60s\"': give only one of them");
  nlohmann::json other_regex = study;
  other_regex["MetricDefinitions"][0]["Regex"] = "Loss: (\\S+)";
  EXPECT_NE(error_with(other_regex)
                .find("MetricDefinitions: value 'loss': the job's MetricDefinitions give this metric another Regex"),
            std::string::npos);
}

TEST(TrialSpec, ResourceConfigGivesTheTrialsMachinesAndRefusesASpecThatChoosesThemToo) {
  nlohmann::json study = {{"jobId", "s"},
                          {"trainingInput", {{"scaleTier", "BASIC"}, {"pythonModule", "trainer.task"}}}};
  HyperparameterSpec spec;
  spec.trial_definition = TrialDefinition{};
  spec.trial_definition->instance_type = "ml.p3.2xlarge";
  spec.trial_definition->instance_count = 3;
  nlohmann::json input = trial_job_spec(study, Trial{}, spec)["trainingInput"];
  EXPECT_EQ(input["scaleTier"], "CUSTOM");
  EXPECT_EQ(input["masterType"], "ml.p3.2xlarge");
  EXPECT_EQ(input["workerType"], "ml.p3.2xlarge");
  EXPECT_EQ(input["workerCount"], "2");
  spec.trial_definition->instance_count = 1;
  EXPECT_FALSE(trial_job_spec(study, Trial{}, spec)["trainingInput"].contains("workerType"));
  for (auto [key, value] : {std::pair<const char*, nlohmann::json>{"scaleTier", "STANDARD_1"},
                            {"masterType", "n1-standard-4"},
                            {"workerCount", "2"}}) {
    nlohmann::json chooses = study;
    chooses["trainingInput"][key] = value;
    mljob::testing::expect_input_error(
        [&] { trial_job_spec(chooses, Trial{}, spec); },
        "trainingInput.hyperparameters.TrainingJobDefinition.ResourceConfig.InstanceType",
        "chooses the machines too: give them once");
  }
}

TEST(TrialOutcome, TheEndedJobsStateAndFinalMetricDecideIt) {
  auto succeeded = trial_outcome(nlohmann::json::parse(R"({"state": "SUCCEEDED",
      "trainingOutput": {"finalMetric": {"trainingStep": "300", "objectiveValue": 0.91}}})"),
                                 "acc");
  EXPECT_EQ(succeeded.value, 0.91);
  EXPECT_EQ(succeeded.step, 300);
  auto silent = trial_outcome(nlohmann::json{{"state", "SUCCEEDED"}}, "acc");
  EXPECT_FALSE(silent.value);
  EXPECT_EQ(silent.failure, "the trial ended without reporting the metric 'acc'");
  auto crashed =
      trial_outcome(nlohmann::json{{"state", "FAILED"}, {"errorMessage", "The master exited with status 1."}}, "acc");
  EXPECT_EQ(crashed.failure, "the trial's job ended FAILED: The master exited with status 1.");
  EXPECT_EQ(trial_outcome(nlohmann::json{{"state", "CANCELLED"}}, "acc").failure, "the trial's job ended CANCELLED");
}

}  // namespace
}  // namespace mljob::tuner
