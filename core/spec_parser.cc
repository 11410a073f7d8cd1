#include "core/spec_parser.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "base/did_you_mean.h"
#include "base/document_limits.h"
#include "base/durations.h"
#include "base/input_error.h"
#include "base/yaml_json.h"
#include "core/prediction_input.h"
#include "core/validation.h"

namespace mljob {
namespace {

using nlohmann::json;

// The lists and maps of a job spec whose items the API defines as strings. Their scalars are
// kept as written: read as numbers, `0x10`, `1e3` and `inf` would reach the trainer as 16.0,
// 1000.0 and null.
const std::set<std::string> kStringItems = {"trainingInput.args", "trainingInput.packageUris", "labels",
                                            "predictionInput.inputPaths"};

std::string join_field(const std::string& where, const std::string& key) {
  return where.empty() ? key : where + "." + key;
}

std::string short_text(const json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// Refuses any key of `object` not in `known`, suggesting the nearest known key.
void require_known_keys(const json& object, const std::string& where, const std::vector<std::string>& known) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string rule = "unknown field";
    if (auto guess = did_you_mean(key, known); !guess.empty()) rule += " (did you mean '" + guess + "'?)";
    throw InputError(join_field(where, key), short_text(value), rule);
  }
}

void require_object(const json& value, const std::string& where) {
  if (!value.is_object()) throw InputError(where, short_text(value), "must be a mapping");
}

std::string read_string(const json& object, const char* key, const std::string& where) {
  if (!object.contains(key) || object[key].is_null()) return {};
  const json& value = object[key];
  if (!value.is_string()) throw InputError(join_field(where, key), short_text(value), "must be a string");
  return value.get<std::string>();
}

// int64 fields arrive as numbers from YAML and as decimal strings from API JSON.
std::int64_t read_int64(const json& object, const char* key, const std::string& where) {
  if (!object.contains(key) || object[key].is_null()) return 0;
  const json& value = object[key];
  std::string field = where + "." + key;
  if (value.is_number_integer()) return value.get<std::int64_t>();
  if (value.is_string()) {
    const std::string text = value.get<std::string>();
    std::size_t used = 0;
    try {
      std::int64_t parsed = std::stoll(text, &used, 10);
      if (used == text.size()) return parsed;
    } catch (const std::exception&) {
    }
  }
  throw InputError(field, short_text(value), "must be an integer");
}

bool read_bool(const json& object, const char* key, const std::string& where) {
  if (!object.contains(key) || object[key].is_null()) return false;
  if (!object[key].is_boolean()) throw InputError(where + "." + key, short_text(object[key]), "must be true or false");
  return object[key].get<bool>();
}

std::vector<std::string> read_string_list(const json& object, const char* key, const std::string& where) {
  std::vector<std::string> out;
  if (!object.contains(key) || object[key].is_null()) return out;
  const json& value = object[key];
  std::string field = where + "." + key;
  if (!value.is_array()) throw InputError(field, short_text(value), "must be a list of strings");
  for (std::size_t i = 0; i < value.size(); ++i) {
    // Plain scalars such as `5` or `0x10` arrive as written (kStringItems): the program gets them as text.
    const json& item = value[i];
    if (!item.is_string())
      throw InputError(field + "[" + std::to_string(i) + "]", short_text(item), "must be a string");
    out.push_back(item.get<std::string>());
  }
  return out;
}

// What a replica's config may say that a replica on Slurm cannot use: said, not dropped silently.
const std::vector<std::pair<std::string, std::string>> kUnusedReplicaFields = {
    {"tpuTfVersion", "mljob runs no TPUs (it names the runtime of a TPU replica in a custom container)"},
    {"diskConfig", "a replica uses the disks of the node Slurm gives it"},
    {"containerCommand", "it is for a custom container (imageUri), which mljob does not run"},
    {"containerArgs", "it is for a custom container (imageUri), which mljob does not run"}};

void warn_unused_replica_fields(const json& config, const std::string& at) {
  for (const auto& [key, why] : kUnusedReplicaFields) {
    if (config.contains(key) && !config[key].is_null()) warn_ignored({at + "." + key, short_text(config[key]), why});
  }
}

ReplicaConfig read_replica_config(const json& object, const char* key, const std::string& where) {
  ReplicaConfig config;
  if (!object.contains(key) || object[key].is_null()) return config;
  std::string at = where + "." + key;
  const json& value = object[key];
  require_object(value, at);
  require_known_keys(
      value, at, {"acceleratorConfig", "imageUri", "containerCommand", "containerArgs", "tpuTfVersion", "diskConfig"});
  if (value.contains("acceleratorConfig") && !value["acceleratorConfig"].is_null()) {
    std::string acc_at = at + ".acceleratorConfig";
    const json& acc = value["acceleratorConfig"];
    require_object(acc, acc_at);
    require_known_keys(acc, acc_at, {"count", "type"});
    config.accelerator_config = AcceleratorConfig{read_int64(acc, "count", acc_at), read_string(acc, "type", acc_at)};
  }
  config.image_uri = read_string(value, "imageUri", at);
  warn_unused_replica_fields(value, at);
  return config;
}

Scheduling read_scheduling(const json& object, const std::string& where) {
  Scheduling scheduling;
  if (!object.contains("scheduling") || object["scheduling"].is_null()) return scheduling;
  std::string at = where + ".scheduling";
  const json& value = object["scheduling"];
  require_object(value, at);
  require_known_keys(value, at, {"maxRunningTime", "maxWaitTime", "priority"});
  scheduling.max_running_time = read_string(value, "maxRunningTime", at);
  if (!scheduling.max_running_time.empty()) {
    scheduling.max_running_seconds = parse_api_duration(scheduling.max_running_time, at + ".maxRunningTime");
  }
  scheduling.max_wait_time = read_string(value, "maxWaitTime", at);
  if (!scheduling.max_wait_time.empty()) {
    scheduling.max_wait_seconds = parse_api_duration(scheduling.max_wait_time, at + ".maxWaitTime");
  }
  if (value.contains("priority") && !value["priority"].is_null()) {
    std::int64_t priority = read_int64(value, "priority", at);
    if (priority < 0 || priority > 1000) {
      throw InputError(at + ".priority", std::to_string(priority), "must be between 0 and 1000");
    }
    scheduling.priority = priority;
  }
  return scheduling;
}

const std::vector<std::string> kTrainingInputFields = {"scaleTier",
                                                       "masterType",
                                                       "masterConfig",
                                                       "workerType",
                                                       "workerConfig",
                                                       "workerCount",
                                                       "parameterServerType",
                                                       "parameterServerConfig",
                                                       "parameterServerCount",
                                                       "evaluatorType",
                                                       "evaluatorConfig",
                                                       "evaluatorCount",
                                                       "packageUris",
                                                       "pythonModule",
                                                       "args",
                                                       "hyperparameters",
                                                       "region",
                                                       "jobDir",
                                                       "runtimeVersion",
                                                       "pythonVersion",
                                                       "encryptionConfig",
                                                       "scheduling",
                                                       "network",
                                                       "serviceAccount",
                                                       "useChiefInTfConfig",
                                                       "enableWebAccess"};

// Known fields that mljob keeps but does not act on yet.
const std::vector<std::string> kPassThroughFields = {"evaluatorType",    "evaluatorConfig", "evaluatorCount",
                                                     "encryptionConfig", "network",         "serviceAccount",
                                                     "enableWebAccess"};

TrainingInput read_training_input(const json& value, const std::string& at) {
  require_object(value, at);
  require_known_keys(value, at, kTrainingInputFields);
  TrainingInput in;
  in.scale_tier = read_string(value, "scaleTier", at);
  in.master_type = read_string(value, "masterType", at);
  in.master_config = read_replica_config(value, "masterConfig", at);
  in.worker_type = read_string(value, "workerType", at);
  in.worker_config = read_replica_config(value, "workerConfig", at);
  in.worker_count = read_int64(value, "workerCount", at);
  in.parameter_server_type = read_string(value, "parameterServerType", at);
  in.parameter_server_config = read_replica_config(value, "parameterServerConfig", at);
  in.parameter_server_count = read_int64(value, "parameterServerCount", at);
  in.package_uris = read_string_list(value, "packageUris", at);
  in.python_module = read_string(value, "pythonModule", at);
  in.args = read_string_list(value, "args", at);
  in.region = read_string(value, "region", at);
  in.job_dir = read_string(value, "jobDir", at);
  in.runtime_version = read_string(value, "runtimeVersion", at);
  in.python_version = read_string(value, "pythonVersion", at);
  in.use_chief_in_tf_config = read_bool(value, "useChiefInTfConfig", at);
  in.scheduling = read_scheduling(value, at);
  if (value.contains("hyperparameters") && !value["hyperparameters"].is_null()) {
    require_object(value["hyperparameters"], at + ".hyperparameters");
    in.hyperparameters = value["hyperparameters"];
  }
  for (const auto& key : kPassThroughFields) {
    if (value.contains(key)) in.extra[key] = value[key];
  }
  return in;
}

std::map<std::string, std::string> read_labels(const json& root) {
  std::map<std::string, std::string> labels;
  if (!root.contains("labels") || root["labels"].is_null()) return labels;
  require_object(root["labels"], "labels");
  for (const auto& [key, value] : root["labels"].items()) {
    if (!value.is_string()) throw InputError("labels." + key, short_text(value), "must be a string");
    labels[key] = value.get<std::string>();  // `010` as written (kStringItems), not 10
  }
  return labels;
}

}  // namespace

Job parse_job_spec(const std::string& text, const std::string& source_name) {
  json root = yaml_text_to_json(text, source_name, kStringItems);
  if (root.is_null()) root = json::object();  // an empty file: everything from flags
  require_object(root, "(top level)");
  // Output-only fields of a Job resource are accepted (a describe can be fed back) and ignored.
  require_known_keys(root, "",
                     {"jobId", "labels", "trainingInput", "predictionInput", "createTime", "startTime", "endTime",
                      "state", "errorMessage", "trainingOutput", "etag", "jobPosition", "predictionOutput",
                      "slurmJobId", "evaluation_metrics", "MetricDefinitions"});
  if (root.contains("predictionInput") && root.contains("trainingInput"))
    throw InputError("predictionInput", short_text(root["predictionInput"]),
                     "trainingInput and predictionInput are a union: set only one");
  Job job;
  job.job_id = read_string(root, "jobId", "");
  job.labels = read_labels(root);
  if (root.contains("trainingInput") && !root["trainingInput"].is_null()) {
    job.training_input = read_training_input(root["trainingInput"], "trainingInput");
  }
  if (root.contains("predictionInput")) job.prediction_input = parse_prediction_input(root["predictionInput"]);
  // In the document's order: FfDL tries evaluation_metrics.groups in the order they are written.
  nlohmann::ordered_json in_order;
  for (const char* key : {"evaluation_metrics", "MetricDefinitions"}) {
    if (!root.contains(key) || root[key].is_null()) continue;
    if (in_order.is_null()) in_order = yaml_text_to_ordered_json(text, source_name);
    job.metric_declarations[key] = in_order[key];
  }
  return job;
}

Job parse_job_spec_file(const std::filesystem::path& file) {
  return parse_job_spec(read_document_file(file, "--config"), file.string());
}

}  // namespace mljob
