#include "core/job.h"

namespace mljob {
namespace {

nlohmann::json replica_to_json(const ReplicaConfig& config) {
  nlohmann::json out = nlohmann::json::object();
  if (config.accelerator_config) {
    // int64 fields are strings in the API's JSON.
    out["acceleratorConfig"] = {{"count", std::to_string(config.accelerator_config->count)},
                                {"type", config.accelerator_config->type}};
  }
  if (!config.image_uri.empty()) out["imageUri"] = config.image_uri;
  return out;
}

void put_if(nlohmann::json& out, const char* key, const std::string& value) {
  if (!value.empty()) out[key] = value;
}

}  // namespace

nlohmann::json to_json(const TrainingInput& in) {
  nlohmann::json out = in.extra;
  put_if(out, "scaleTier", in.scale_tier);
  put_if(out, "masterType", in.master_type);
  if (auto c = replica_to_json(in.master_config); !c.empty()) out["masterConfig"] = c;
  put_if(out, "workerType", in.worker_type);
  if (auto c = replica_to_json(in.worker_config); !c.empty()) out["workerConfig"] = c;
  if (in.worker_count) out["workerCount"] = std::to_string(in.worker_count);
  put_if(out, "parameterServerType", in.parameter_server_type);
  if (auto c = replica_to_json(in.parameter_server_config); !c.empty()) out["parameterServerConfig"] = c;
  if (in.parameter_server_count) out["parameterServerCount"] = std::to_string(in.parameter_server_count);
  if (!in.package_uris.empty()) out["packageUris"] = in.package_uris;
  put_if(out, "pythonModule", in.python_module);
  if (!in.args.empty()) out["args"] = in.args;
  put_if(out, "region", in.region);
  put_if(out, "jobDir", in.job_dir);
  put_if(out, "runtimeVersion", in.runtime_version);
  put_if(out, "pythonVersion", in.python_version);
  if (in.use_chief_in_tf_config) out["useChiefInTfConfig"] = true;
  if (!in.hyperparameters.is_null()) out["hyperparameters"] = in.hyperparameters;
  nlohmann::json scheduling = nlohmann::json::object();
  put_if(scheduling, "maxRunningTime", in.scheduling.max_running_time);
  put_if(scheduling, "maxWaitTime", in.scheduling.max_wait_time);
  if (in.scheduling.priority) scheduling["priority"] = *in.scheduling.priority;
  if (!scheduling.empty()) out["scheduling"] = scheduling;
  return out;
}

nlohmann::json to_json(const Job& job) {
  nlohmann::json out;
  out["jobId"] = job.job_id;
  if (!job.labels.empty()) out["labels"] = job.labels;
  if (job.prediction_input)
    out["predictionInput"] = to_json(*job.prediction_input);
  else
    out["trainingInput"] = to_json(job.training_input);
  for (const auto& [key, value] : job.metric_declarations.items()) out[key] = value;
  return out;
}

}  // namespace mljob
