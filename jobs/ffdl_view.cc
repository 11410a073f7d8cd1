#include "jobs/ffdl_view.h"

#include <fstream>
#include <sstream>

namespace mljob::jobs {
namespace {

using ordered = nlohmann::ordered_json;
namespace fs = std::filesystem;

// FfDL's defaults for what a manifest leaves out (core/ffdl_manifest.cc, trainer_impl.go).
constexpr double kDefaultCpus = 5;
constexpr const char* kDefaultMemory = "12GiB";
// The phases file is two short lines; more is not the batch script's.
constexpr std::size_t kMaxPhasesBytes = 4096;

// Keys of a data store's connection that are secrets or name whose they are: not shown, as
// FfDL's own answers hide them.
bool is_credential(const std::string& key) {
  return key == "password" || key == "user_name";
}

std::string text_at(const nlohmann::json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_string()) return "";
  return object[key].get<std::string>();
}

// A number the manifest gives, as written (5, 0.5), or FfDL's default for it.
nlohmann::json number_at(const nlohmann::json& request, const char* key, double fallback) {
  if (request.contains(key) && request[key].is_number()) return request[key];
  return fallback == static_cast<int>(fallback) ? nlohmann::json(static_cast<int>(fallback)) : nlohmann::json(fallback);
}

nlohmann::json first_data_store(const nlohmann::json& request) {
  if (!request.contains("data_stores") || !request["data_stores"].is_array() || request["data_stores"].empty())
    return nlohmann::json::object();
  return request["data_stores"][0];
}

std::string status_description(const std::string& status) {
  if (status == "PENDING") return "Waiting for Slurm to start the learners";
  if (status == "DOWNLOADING") return "The learners' nodes are allocated; the training is about to start";
  if (status == "PROCESSING") return "The learners are running the training command";
  if (status == "STORING") return "The training command ended; the job is finishing";
  if (status == "COMPLETED") return "Training completed";
  if (status == "HALTED") return "Training halted by the user; its results are kept";
  return "Training failed";
}

std::string read_small_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return "";
  std::string text(kMaxPhasesBytes, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

ordered shown_data_store(const nlohmann::json& store) {
  ordered out;
  out["data_store_id"] = text_at(store, "id");
  out["type"] = text_at(store, "type");
  for (const char* container : {"training_data", "training_results"}) {
    if (store.contains(container) && store[container].is_object())
      out[container] = ordered::parse(store[container].dump());
  }
  if (store.contains("connection") && store["connection"].is_object()) {
    ordered connection = ordered::object();
    for (const auto& [key, value] : store["connection"].items())
      connection[key] = is_credential(key) ? ordered("(not shown)") : ordered::parse(value.dump());
    out["connection"] = connection;
  }
  return out;
}

}  // namespace

bool is_ffdl_job(const JobRecord& record) {
  return record.front_door.is_object() && record.front_door.value("api", "") == "ffdl";
}

nlohmann::json ffdl_folders_json(const FfdlFolders& folders) {
  return {{"JOB_STATE_DIR", folders.job_state_dir},
          {"MODEL_DIR", folders.model_dir},
          {"LOG_DIR", folders.log_dir},
          {"DATA_DIR", folders.data_dir},
          {"RESULT_BUCKET_DIR", folders.result_bucket_dir},
          {"RESULT_DIR", folders.result_dir},
          {"CHECKPOINT_DIR", folders.checkpoint_dir}};
}

fs::path model_dir_of(const JobRecord& record) {
  std::string kept = text_at(record.front_door.value("folders", nlohmann::json::object()), "MODEL_DIR");
  return kept.empty() ? record.folder / "model-definition" : fs::path(kept);
}

fs::path result_dir_of(const JobRecord& record) {
  std::string kept = text_at(record.front_door.value("folders", nlohmann::json::object()), "RESULT_DIR");
  return kept.empty() ? record.folder / "results" / record.job.value("jobId", "") : fs::path(kept);
}

FfdlPhases read_ffdl_phases(const std::string& text) {
  FfdlPhases phases;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string name;
    std::int64_t when = 0;
    if (!(words >> name >> when)) continue;
    if (name == "Processing" && !phases.processing) phases.processing = when;
    if (name == "Ended") {
      phases.ended = when;
      int status = 0;
      if (words >> status) phases.exit_status = status;
    }
  }
  return phases;
}

std::string ffdl_status(const std::string& state, bool halted, const FfdlPhases& phases) {
  if (state == "SUCCEEDED") return "COMPLETED";
  if (state == "FAILED") return "FAILED";
  // A halt is answered at once, as FfDL's is, while Slurm is still ending the learners.
  if (halted) return "HALTED";
  if (state == "CANCELLING" || state == "CANCELLED") return "FAILED";  // ended by someone else
  if (state == "RUNNING") {
    if (phases.ended) return "STORING";
    if (phases.processing) return "PROCESSING";
    return "DOWNLOADING";
  }
  return "PENDING";
}

ordered ffdl_model(const nlohmann::json& resource, const JobRecord& record, const FfdlPhases& phases) {
  const nlohmann::json request = record.front_door.value("request", nlohmann::json::object());
  const nlohmann::json framework = request.value("framework", nlohmann::json::object());
  const nlohmann::json store = first_data_store(request);
  std::string id = resource.value("jobId", record.job.value("jobId", ""));
  bool halted = record.cancel_requested || record.front_door.value("halted", false);
  std::string state = resource.value("state", "");
  std::string status = ffdl_status(state, halted, phases);

  ordered out;
  out["model_id"] = id;
  out["name"] = text_at(request, "name");
  out["description"] = text_at(request, "description");
  out["location"] = "/v1/models/" + id;
  out["framework"] = ordered::object();
  for (const char* key : {"name", "version", "image_tag"}) {
    if (framework.contains(key)) out["framework"][key] = framework[key];
  }
  ordered training;
  training["command"] = text_at(framework, "command");
  training["cpus"] = number_at(request, "cpus", kDefaultCpus);
  training["gpus"] = number_at(request, "gpus", 0);
  std::string memory = text_at(request, "memory");
  training["memory"] = parse_ffdl_memory_mb(memory.empty() ? kDefaultMemory : memory, "memory");
  training["memory_unit"] = "MiB";
  training["learners"] = number_at(request, "learners", 1);
  training["input_data"] = ordered::array({text_at(store, "id")});
  training["output_data"] = ordered::array({text_at(store, "id")});
  ordered training_status;
  training_status["status"] = status;
  training_status["status_description"] = status_description(status);
  if (resource.contains("createTime")) training_status["submitted"] = resource["createTime"];
  bool ended = status == "COMPLETED" || status == "FAILED" || (status == "HALTED" && state == "CANCELLED");
  if (ended && resource.contains("endTime")) training_status["completed"] = resource["endTime"];
  if (status == "FAILED") {
    // FfDL's error codes name its Kubernetes failures, which a Slurm job has none of: the
    // command's exit status stands in, when the batch script noted it.
    if (phases.exit_status && *phases.exit_status != 0)
      training_status["error_code"] = std::to_string(*phases.exit_status);
    training_status["status_message"] = resource.value("errorMessage", "");
  }
  training["training_status"] = training_status;
  out["training"] = training;
  out["data_stores"] = ordered::array();
  if (!store.empty()) out["data_stores"].push_back(shown_data_store(store));
  return out;
}

ordered ffdl_model(const nlohmann::json& resource, const JobRecord& record) {
  return ffdl_model(resource, record, read_ffdl_phases(read_small_file(record.folder / kFfdlPhasesFile)));
}

}  // namespace mljob::jobs
