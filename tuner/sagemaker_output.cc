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

// SageMaker writes range bounds as strings; whole numbers without a decimal point.
std::string bound_text(double value) {
  if (value == static_cast<double>(static_cast<long long>(value))) return std::to_string(static_cast<long long>(value));
  return json(value).dump();
}

std::string scaling_type(ScaleType scale) {
  return scale == ScaleType::kLog ? "Logarithmic" : scale == ScaleType::kReverseLog ? "ReverseLogarithmic" : "Linear";
}

json parameter_ranges(const HyperparameterSpec& spec) {
  json continuous = json::array(), integer = json::array(), categorical = json::array();
  for (const auto& param : spec.params) {
    switch (param.type) {
      case ParameterType::kDouble:
      case ParameterType::kInteger:
        (param.type == ParameterType::kDouble ? continuous : integer)
            .push_back({{"Name", param.name}, {"MinValue", bound_text(param.min_value)}, {"MaxValue", bound_text(param.max_value)},
                        {"ScalingType", scaling_type(param.scale)}});
        break;
      case ParameterType::kCategorical:
        categorical.push_back({{"Name", param.name}, {"Values", param.categorical_values}});
        break;
      case ParameterType::kDiscrete: {  // SageMaker has no discrete range: its values as categories
        json values = json::array();
        for (double value : param.discrete_values) values.push_back(bound_text(value));
        categorical.push_back({{"Name", param.name}, {"Values", values}});
        break;
      }
    }
  }
  return {{"ContinuousParameterRanges", continuous}, {"IntegerParameterRanges", integer}, {"CategoricalParameterRanges", categorical}};
}

json tuning_job_config(const Study& study) {
  const HyperparameterSpec& spec = study.spec();
  json config = {{"Strategy", spec.algorithm == Algorithm::kBayesian ? "Bayesian" : spec.algorithm == Algorithm::kGridSearch ? "Grid" : "Random"},
                 {"HyperParameterTuningJobObjective", {{"Type", objective_type(study)}, {"MetricName", spec.metric_tag}}},
                 {"ResourceLimits", {{"MaxNumberOfTrainingJobs", spec.max_trials}, {"MaxParallelTrainingJobs", spec.max_parallel_trials}}},
                 {"ParameterRanges", parameter_ranges(spec)},
                 {"TrainingJobEarlyStoppingType", spec.enable_trial_early_stopping ? "Auto" : "Off"}};
  if (spec.random_seed) config["RandomSeed"] = *spec.random_seed;
  return config;
}

}  // namespace

json sagemaker_tuning_job(const Study& study, const json& study_job) {
  const std::string job_id = study_job.value("jobId", "");
  json out = {{"HyperParameterTuningJobName", job_id},
              {"HyperParameterTuningJobStatus", tuning_job_status(study_job.value("state", ""))},
              {"HyperParameterTuningJobConfig", tuning_job_config(study)}};
  if (study_job.contains("createTime")) out["CreationTime"] = study_job["createTime"];
  if (study_job.contains("endTime")) out["HyperParameterTuningEndTime"] = study_job["endTime"];
  // What was submitted in SageMaker's form and is not in the study's state comes back as given.
  const json request = study_job.value("trainingInput", json::object()).value("hyperparameters", json::object());
  for (const char* key : {"TrainingJobDefinition", "WarmStartConfig"}) {
    if (request.is_object() && request.contains(key)) out[key] = request[key];
  }
  out.update(status_counters(study));
  if (const Trial* best = study.best_trial()) {
    out["BestTrainingJob"] = {
        {"TrainingJobName", trial_job_id(job_id, best->id)},
        {"TrainingJobStatus", training_job_status(*best)},
        {"TunedHyperParameters", Study::trial_json(*best)["hyperparameters"]},
        {"ObjectiveStatus", "Succeeded"},
        {"FinalHyperParameterTuningJobObjectiveMetric",
         {{"Type", objective_type(study)},
          {"MetricName", study.spec().metric_tag},
          {"Value", *best->final_value}}}};
    if (!best->start_time.empty()) out["BestTrainingJob"]["TrainingStartTime"] = best->start_time;
    if (!best->end_time.empty()) out["BestTrainingJob"]["TrainingEndTime"] = best->end_time;
  }
  if (!study.failure().empty()) out["FailureReason"] = study.failure();
  return out;
}

}  // namespace mljob::tuner
