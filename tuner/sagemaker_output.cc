#include "tuner/sagemaker_output.h"

#include <algorithm>

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
// reports trials its early stopping ended, and so is one the study cancelled (with itself, or
// because it failed), as SageMaker stops a tuning job's training jobs when it stops.
std::string training_job_status(const Trial& trial) {
  switch (trial.state) {
    case TrialState::kActive:
      return "InProgress";
    case TrialState::kFailed:
      return "Failed";
    case TrialState::kCancelled:
      return "Stopped";
    case TrialState::kSucceeded:
      return trial.stopped_early ? "Stopped" : "Completed";
  }
  return "InProgress";
}

std::string objective_type(const Study& study) {
  return study.spec().goal == Goal::kMaximize ? "Maximize" : "Minimize";
}

// Both counters cover "the training jobs that this tuning job launched": never the trials it
// took over from a parent (a warm start, resumePreviousJobId), which ran in another job.
json status_counters(const Study& study) {
  int completed = 0, in_progress = 0, failed = 0, stopped = 0, objective_succeeded = 0, objective_failed = 0;
  int retried = 0;  // runs lost to the cluster, run again: SageMaker's "failed, but can be retried"
  for (const auto& trial : study.trials()) {
    if (!study.ran(trial)) continue;
    retried += static_cast<int>(trial.lost_runs.size());
    std::string status = training_job_status(trial);
    completed += status == "Completed", in_progress += status == "InProgress", failed += status == "Failed",
        stopped += status == "Stopped";
    objective_succeeded += trial.final_value.has_value();
    // Ended without an objective value: failed, or stopped before it reported one.
    objective_failed += status != "InProgress" && !trial.final_value.has_value();
  }
  return {{"TrainingJobStatusCounters",
           {{"Completed", completed},
            {"InProgress", in_progress},
            {"RetryableError", retried},
            {"NonRetryableError", failed},
            {"Stopped", stopped}}},
          {"ObjectiveStatusCounters",
           {{"Succeeded", objective_succeeded}, {"Pending", in_progress}, {"Failed", objective_failed}}}};
}

bool better(const Study& study, const Trial& a, const Trial& b) {
  bool maximize = study.spec().goal == Goal::kMaximize;
  return maximize ? *a.final_value > *b.final_value : *a.final_value < *b.final_value;
}

// The best succeeded trial among those `counts` takes, if any.
template <typename Predicate>
const Trial* best_where(const Study& study, Predicate counts) {
  const Trial* best = nullptr;
  for (const auto& trial : study.trials()) {
    if (trial.state != TrialState::kSucceeded || !trial.final_value || !counts(trial)) continue;
    if (best == nullptr || better(study, trial, *best)) best = &trial;
  }
  return best;
}

// "tune_1_trial_3" -> "tune_1": the tuning job that ran a parent's trial.
std::string tuning_job_of(const std::string& training_job) {
  auto suffix = training_job.rfind("_trial_");
  return suffix == std::string::npos ? training_job : training_job.substr(0, suffix);
}

// A trial's ObjectiveStatus: Succeeded once it has a final value, Pending while it runs.
std::string objective_status(const Trial& trial) {
  if (trial.final_value) return "Succeeded";
  return trial.state == TrialState::kActive ? "Pending" : "Failed";
}

// HyperParameterTrainingJobSummary of a trial: this study's, or (parent_job set) the parent's
// training job whose result it is.
json training_job_summary(const Study& study, const Trial& trial, const std::string& study_name) {
  std::string name =
      study.ran(trial) || trial.parent_job.empty() ? trial_job_id(study_name, trial.id) : trial.parent_job;
  json summary = {{"TrainingJobName", name},
                  {"TuningJobName", study.ran(trial) ? study_name : tuning_job_of(name)},
                  {"TrainingJobStatus", training_job_status(trial)},
                  {"TunedHyperParameters", Study::trial_json(trial)["hyperparameters"]},
                  {"ObjectiveStatus", objective_status(trial)}};
  if (trial.final_value) {
    summary["FinalHyperParameterTuningJobObjectiveMetric"] = {
        {"Type", objective_type(study)}, {"MetricName", study.spec().metric_tag}, {"Value", *trial.final_value}};
  }
  if (!trial.error_message.empty() && !trial.final_value) summary["FailureReason"] = trial.error_message;
  // SageMaker's summary requires a CreationTime; a study keeps no submit time per trial, so it is
  // the time the trial's job started (none before it has).
  if (!trial.start_time.empty()) summary["CreationTime"] = trial.start_time;
  if (!trial.start_time.empty()) summary["TrainingStartTime"] = trial.start_time;
  if (!trial.end_time.empty()) summary["TrainingEndTime"] = trial.end_time;
  return summary;
}

// Whether the study's first trials measured the same thing as its own: an
// IdenticalDataAndAlgorithm warm start (SageMaker then reports an OverallBestTrainingJob over
// them and its own), or AI Platform's resumePreviousJobId, which continues the same study.
bool parents_measured_the_same(const Study& study, const json& request) {
  if (!study.spec().resume_previous_job_id.empty()) return true;
  if (!request.is_object() || !request.contains("WarmStartConfig")) return false;
  std::string type = request["WarmStartConfig"].value("WarmStartType", "");
  return type == "IdenticalDataAndAlgorithm" || type == "IDENTICAL_DATA_AND_ALGORITHM";
}

void add_best_training_jobs(json& out, const Study& study, const json& request, const std::string& study_name) {
  // BestTrainingJob: the best of the training jobs this tuning job launched, never a parent's.
  if (const Trial* best = best_where(study, [&](const Trial& trial) { return study.ran(trial); })) {
    out["BestTrainingJob"] = training_job_summary(study, *best, study_name);
  }
  if (!parents_measured_the_same(study, request)) return;
  auto counts = [&](const Trial& trial) { return study.ran(trial) || !trial.parent_job.empty(); };
  if (const Trial* overall = best_where(study, counts))
    out["OverallBestTrainingJob"] = training_job_summary(study, *overall, study_name);
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
            .push_back({{"Name", param.name},
                        {"MinValue", bound_text(param.min_value)},
                        {"MaxValue", bound_text(param.max_value)},
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
  return {{"ContinuousParameterRanges", continuous},
          {"IntegerParameterRanges", integer},
          {"CategoricalParameterRanges", categorical}};
}

json tuning_job_config(const Study& study) {
  const HyperparameterSpec& spec = study.spec();
  json config = {
      {"Strategy", spec.algorithm == Algorithm::kBayesian     ? "Bayesian"
                   : spec.algorithm == Algorithm::kGridSearch ? "Grid"
                                                              : "Random"},
      {"HyperParameterTuningJobObjective", {{"Type", objective_type(study)}, {"MetricName", spec.metric_tag}}},
      {"ResourceLimits",
       {{"MaxNumberOfTrainingJobs", spec.max_trials}, {"MaxParallelTrainingJobs", spec.max_parallel_trials}}},
      {"ParameterRanges", parameter_ranges(spec)},
      {"TrainingJobEarlyStoppingType", spec.enable_trial_early_stopping ? "Auto" : "Off"}};
  if (spec.random_seed) config["RandomSeed"] = *spec.random_seed;
  return config;
}

}  // namespace

json sagemaker_training_jobs(const Study& study, const std::string& study_name, const TrainingJobQuery& query) {
  std::vector<json> summaries;
  for (const auto& trial : study.trials()) {
    if (!study.ran(trial)) continue;  // as SageMaker's: the training jobs this tuning job launched
    json summary = training_job_summary(study, trial, study_name);
    if (!query.status_equals.empty() && summary["TrainingJobStatus"] != query.status_equals) continue;
    summaries.push_back(std::move(summary));
  }
  auto key = [&](const json& summary) -> json {
    if (query.sort_by == "Name") return summary["TrainingJobName"];
    if (query.sort_by == "Status") return summary["TrainingJobStatus"];
    if (query.sort_by == "FinalObjectiveMetricValue") {
      return summary.contains("FinalHyperParameterTuningJobObjectiveMetric")
                 ? summary["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
                 : json();
    }
    return summary.value("CreationTime", "");
  };
  bool descending = query.sort_order == "Descending";
  std::stable_sort(summaries.begin(), summaries.end(), [&](const json& a, const json& b) {
    json ka = key(a), kb = key(b);
    // Jobs without an objective value come last, whichever the order, as SageMaker lists them.
    if (ka.is_null() != kb.is_null()) return kb.is_null();
    return descending ? kb < ka : ka < kb;
  });
  return {{"TrainingJobSummaries", summaries}};
}

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
  add_best_training_jobs(out, study, request, job_id);
  if (!study.failure().empty()) out["FailureReason"] = study.failure();
  // The latest change: the study's end, or its newest trial's start or end (RFC 3339 strings
  // in UTC, so the largest string is the latest time).
  std::string last = study_job.value("endTime", study_job.value("createTime", ""));
  for (const Trial& trial : study.trials()) last = std::max({last, trial.start_time, trial.end_time});
  if (!last.empty()) out["LastModifiedTime"] = last;
  return out;
}

}  // namespace mljob::tuner
