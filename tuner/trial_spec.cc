#include "tuner/trial_spec.h"

namespace mljob::tuner {

std::string trial_job_id(const std::string& study_job_id, int trial_id) {
  return study_job_id + "_trial_" + std::to_string(trial_id);
}

nlohmann::json trial_job_spec(const nlohmann::json& study_job, const Trial& trial, const std::string& metric_tag) {
  nlohmann::json job = study_job;
  std::string study_id = study_job.at("jobId").get<std::string>();
  job["jobId"] = trial_job_id(study_id, trial.id);
  nlohmann::json& input = job["trainingInput"];
  nlohmann::json args = input.contains("args") ? input["args"] : nlohmann::json::array();
  for (const auto& argument : SearchSpace::as_arguments(trial.parameters)) args.push_back(argument);
  input["args"] = args;
  if (input.contains("jobDir") && input["jobDir"].is_string()) {
    input["jobDir"] = input["jobDir"].get<std::string>() + "/" + std::to_string(trial.id);
  }
  input["hyperparameters"] = {{"hyperparameterMetricTag", metric_tag}};
  return job;
}

TrialOutcome trial_outcome(const nlohmann::json& resource, const std::string& metric_tag) {
  std::string state = resource.value("state", "");
  const nlohmann::json output = resource.value("trainingOutput", nlohmann::json::object());
  TrialOutcome outcome;
  if (state == "SUCCEEDED" && output.contains("finalMetric")) {
    outcome.value = output["finalMetric"].at("objectiveValue").get<double>();
    outcome.step = std::stoll(output["finalMetric"].at("trainingStep").get<std::string>());
  } else if (state == "SUCCEEDED") {
    outcome.failure = "the trial ended without reporting the metric '" + metric_tag + "'";
  } else {
    std::string why = resource.value("errorMessage", "");
    outcome.failure = "the trial's job ended " + state + (why.empty() ? "" : ": " + why);
  }
  return outcome;
}

}  // namespace mljob::tuner
