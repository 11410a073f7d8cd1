#include "tuner/trial_spec.h"

#include <gtest/gtest.h>

namespace mljob::tuner {
namespace {

TEST(TrialSpec, JobIdIsDeterministic) { EXPECT_EQ(trial_job_id("study_1", 7), "study_1_trial_7"); }

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
  nlohmann::json job = trial_job_spec(study, trial, "accuracy");
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

TEST(TrialOutcome, TheEndedJobsStateAndFinalMetricDecideIt) {
  auto succeeded = trial_outcome(nlohmann::json::parse(R"({"state": "SUCCEEDED",
      "trainingOutput": {"finalMetric": {"trainingStep": "300", "objectiveValue": 0.91}}})"), "acc");
  EXPECT_EQ(succeeded.value, 0.91);
  EXPECT_EQ(succeeded.step, 300);
  auto silent = trial_outcome(nlohmann::json{{"state", "SUCCEEDED"}}, "acc");
  EXPECT_FALSE(silent.value);
  EXPECT_EQ(silent.failure, "the trial ended without reporting the metric 'acc'");
  auto crashed = trial_outcome(nlohmann::json{{"state", "FAILED"}, {"errorMessage", "The master exited with status 1."}}, "acc");
  EXPECT_EQ(crashed.failure, "the trial's job ended FAILED: The master exited with status 1.");
  EXPECT_EQ(trial_outcome(nlohmann::json{{"state", "CANCELLED"}}, "acc").failure, "the trial's job ended CANCELLED");
}

}  // namespace
}  // namespace mljob::tuner
