#include "tuner/sagemaker_output.h"

#include "tuner/trial_spec.h"

namespace mljob::tuner {
namespace {

using nlohmann::json;

// HyperParameterTuningJobStatus: InProgress | Completed | Failed | Stopping | Stopped.
std::string tuning_job_status(const std::string& job_state) {
  if (job_state == "SUCCEEDED") return "Completed";
  if (job_state == "FAILED") return "Failed";
  if (job_state == "CANCELLING") return "Stopping";
  if (job_state == "CANCELLED") return "Stopped";
  return "InProgress";
}

// A trial's TrainingJobStatus: a trial the stopping rule ended is "Stopped", as SageMaker
// reports trials its early stopping ended.
std::string training_job_status(const Trial& trial) {
  switch (trial.state) {
    case TrialState::kActive: return "InProgress";
    case TrialState::kFailed: return "Failed";
    case TrialState::kSucceeded: return trial.stopped_early ? "Stopped" : "Completed";
  }
  return "InProgress";
}

std::string objective_type(const Study& study) { return study.spec().goal == Goal::kMaximize ? "Maximize" : "Minimize"; }

json status_counters(const Study& study) {
  int completed = 0, in_progress = 0, failed = 0, stopped = 0, objective_succeeded = 0;
  for (const auto& trial : study.trials()) {
    if (!trial.is_own()) continue;  // a TransferLearning parent's trial
    std::string status = training_job_status(trial);
    completed += status == "Completed", in_progress += status == "InProgress", failed += status == "Failed",
        stopped += status == "Stopped";
    objective_succeeded += trial.final_value.has_value();
  }
  return {{"TrainingJobStatusCounters",
           {{"Completed", completed}, {"InProgress", in_progress}, {"RetryableError", 0}, {"NonRetryableError", failed}, {"Stopped", stopped}}},
          {"ObjectiveStatusCounters", {{"Succeeded", objective_succeeded}, {"Pending", in_progress}, {"Failed", failed}}}};
}

}  // namespace

json sagemaker_tuning_job(const Study& study, const std::string& study_job_id, const std::string& job_state) {
  json out = {{"HyperParameterTuningJobName", study_job_id},
              {"HyperParameterTuningJobStatus", tuning_job_status(job_state)},
              {"HyperParameterTuningJobConfig",
               {{"Strategy", study.spec().algorithm == Algorithm::kBayesian ? "Bayesian"
                             : study.spec().algorithm == Algorithm::kGridSearch ? "Grid" : "Random"},
                {"HyperParameterTuningJobObjective",
                 {{"Type", objective_type(study)}, {"MetricName", study.spec().metric_tag}}},
                {"ResourceLimits",
                 {{"MaxNumberOfTrainingJobs", study.spec().max_trials}, {"MaxParallelTrainingJobs", study.spec().max_parallel_trials}}},
                {"TrainingJobEarlyStoppingType", study.spec().enable_trial_early_stopping ? "Auto" : "Off"}}}};
  out.update(status_counters(study));
  if (const Trial* best = study.best_trial()) {
    out["BestTrainingJob"] = {
        {"TrainingJobName", trial_job_id(study_job_id, best->id)},
        {"TrainingJobStatus", training_job_status(*best)},
        {"TunedHyperParameters", Study::trial_json(*best)["hyperparameters"]},
        {"ObjectiveStatus", "Succeeded"},
        {"FinalHyperParameterTuningJobObjectiveMetric",
         {{"Type", objective_type(study)},
          {"MetricName", study.spec().metric_tag},
          {"Value", *best->final_value}}}};
  }
  if (!study.failure().empty()) out["FailureReason"] = study.failure();
  return out;
}

}  // namespace mljob::tuner
