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
  json out = sagemaker_tuning_job(study, "s1", "RUNNING");
  EXPECT_EQ(out["HyperParameterTuningJobStatus"], "InProgress");
  EXPECT_EQ(out["TrainingJobStatusCounters"],
            (json{{"Completed", 3}, {"InProgress", 1}, {"RetryableError", 0}, {"NonRetryableError", 1}, {"Stopped", 0}}));
  EXPECT_EQ(out["ObjectiveStatusCounters"], (json{{"Succeeded", 3}, {"Pending", 1}, {"Failed", 1}}));
  EXPECT_EQ(out["BestTrainingJob"]["TrainingJobName"], "s1_trial_4");
  EXPECT_EQ(out["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"],
            (json{{"Type", "Minimize"}, {"MetricName", "loss"}, {"Value", 0.1}}));
  EXPECT_EQ(out["BestTrainingJob"]["TunedHyperParameters"]["x"], Study::trial_json(study.trials()[3])["hyperparameters"]["x"]);
  EXPECT_EQ(out["HyperParameterTuningJobConfig"]["TrainingJobEarlyStoppingType"], "Auto");
  EXPECT_EQ(sagemaker_tuning_job(study, "s1", "CANCELLED")["HyperParameterTuningJobStatus"], "Stopped");
}

}  // namespace
}  // namespace mljob::tuner
