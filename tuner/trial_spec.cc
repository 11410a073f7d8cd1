#include "tuner/trial_spec.h"

#include <algorithm>

#include "base/input_error.h"

namespace mljob::tuner {

std::string trial_job_id(const std::string& study_job_id, int trial_id) {
  return study_job_id + "_trial_" + std::to_string(trial_id);
}

namespace {

const std::string kDefinitionAt = "trainingInput.hyperparameters.TrainingJobDefinition";

// A StoppingCondition's seconds as the job's scheduling Duration; the job's own, where it sets
// one, must say the same.
void set_duration(nlohmann::json& input, const std::string& key, std::optional<long long> seconds,
                  const std::string& field) {
  if (!seconds) return;
  std::string duration = std::to_string(*seconds) + "s";
  nlohmann::json& scheduling = input["scheduling"];
  if (scheduling.is_object() && scheduling.contains(key) && scheduling[key] != duration) {
    throw InputError(
        kDefinitionAt + ".StoppingCondition." + field, std::to_string(*seconds),
        "trainingInput.scheduling." + key + " says '" + scheduling[key].dump() + "': give only one of them");
  }
  scheduling[key] = duration;
}

void add_metric_definitions(nlohmann::json& job, const nlohmann::json& definitions) {
  if (definitions.empty()) return;
  nlohmann::json& all = job["MetricDefinitions"];
  if (all.is_null()) all = nlohmann::json::array();
  for (const auto& definition : definitions) {
    auto same_name = std::find_if(all.begin(), all.end(),
                                  [&](const nlohmann::json& d) { return d.value("Name", "") == definition["Name"]; });
    if (same_name == all.end()) {
      all.push_back(definition);
    } else if ((*same_name)["Regex"] != definition["Regex"]) {
      throw InputError(kDefinitionAt + ".AlgorithmSpecification.MetricDefinitions",
                       definition["Name"].get<std::string>(),
                       "the job's MetricDefinitions give this metric another Regex: give it once");
    }
  }
}

// ResourceConfig: InstanceCount machines of InstanceType, as a CUSTOM tier (the master and
// InstanceCount - 1 workers). A job spec that chooses machines too is refused: BASIC, the API's
// default, is taken as no choice, since a spec without a scaleTier reads as BASIC.
void set_machines(nlohmann::json& input, const TrialDefinition& definition) {
  if (definition.instance_type.empty()) return;
  const std::string field = kDefinitionAt + ".ResourceConfig.InstanceType";
  for (const char* key : {"masterType", "masterConfig", "workerType", "workerConfig", "workerCount",
                          "parameterServerType", "parameterServerConfig", "parameterServerCount"}) {
    if (input.contains(key)) {
      throw InputError(field, definition.instance_type,
                       std::string("trainingInput.") + key + " chooses the machines too: give them once");
    }
  }
  if (input.value("scaleTier", "BASIC") != "BASIC") {
    throw InputError(field, definition.instance_type,
                     "trainingInput.scaleTier " + input["scaleTier"].get<std::string>() +
                         " chooses the machines too: give them once");
  }
  input["scaleTier"] = "CUSTOM";
  input["masterType"] = definition.instance_type;
  if (definition.instance_count > 1) {
    input["workerType"] = definition.instance_type;
    input["workerCount"] = std::to_string(definition.instance_count - 1);
  }
}

}  // namespace

nlohmann::json trial_hyperparameters(const HyperparameterSpec& spec, const Trial& trial) {
  nlohmann::json out = Study::trial_json(trial)["hyperparameters"];
  if (spec.trial_definition) {
    for (const auto& [name, value] : spec.trial_definition->static_hyperparameters) out[name] = value;
  }
  return out;
}

nlohmann::json trial_job_spec(const nlohmann::json& study_job, const Trial& trial, const HyperparameterSpec& spec) {
  nlohmann::json job = study_job;
  std::string study_id = study_job.at("jobId").get<std::string>();
  job["jobId"] = trial_job_id(study_id, trial.id);
  nlohmann::json& input = job["trainingInput"];
  nlohmann::json args = input.contains("args") ? input["args"] : nlohmann::json::array();
  if (spec.trial_definition) {
    for (const auto& [name, value] : spec.trial_definition->static_hyperparameters)
      args.push_back("--" + name + "=" + value);
    add_metric_definitions(job, spec.trial_definition->metric_definitions);
    set_duration(input, "maxRunningTime", spec.trial_definition->max_runtime_seconds, "MaxRuntimeInSeconds");
    set_duration(input, "maxWaitTime", spec.trial_definition->max_pending_seconds, "MaxPendingTimeInSeconds");
    set_machines(input, *spec.trial_definition);
  }
  for (const auto& argument : SearchSpace::as_arguments(trial.parameters)) args.push_back(argument);
  input["args"] = args;
  if (input.contains("jobDir") && input["jobDir"].is_string()) {
    input["jobDir"] = input["jobDir"].get<std::string>() + "/" + std::to_string(trial.id);
  }
  input["hyperparameters"] = {{"hyperparameterMetricTag", spec.metric_tag}};
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
