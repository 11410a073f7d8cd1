#include "core/ffdl_manifest.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "base/did_you_mean.h"
#include "base/input_error.h"
#include "base/text.h"
#include "base/yaml_json.h"
#include "core/batch_script.h"
#include "core/validation.h"

namespace mljob {

const char* const kFfdlLearnerPrelude =
    "export LEARNER_ID=$((SLURM_PROCID + 1))\n"
    "mkdir -p -- \"$RESULT_DIR/learner-$LEARNER_ID\" \"$CHECKPOINT_DIR\" \"$LOG_DIR\"\n"
    "export PYTHONPATH=\"$MODEL_DIR${PYTHONPATH:+:$PYTHONPATH}\"\n";

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// FfDL's defaults for what a manifest leaves out (trainer_impl.go, setDefaultResourceRequirements).
constexpr double kDefaultCpus = 5;
constexpr const char* kDefaultMemory = "12GiB";

// Maps whose items FfDL reads as strings (map[string]string or string fields): kept as written,
// so that `version: 1.10` stays "1.10" and a password of digits is not a number.
const std::set<std::string> kStringItems = {"framework", "data_stores[].connection", "data_stores[].training_data",
                                            "data_stores[].training_results"};

const std::vector<std::string> kTopLevelFields = {"name",    "description", "version",   "cpus",
                                                  "gpus",    "gpu_type",    "learners",  "memory",
                                                  "storage", "data_stores", "framework", "evaluation_metrics"};

// Names users reach for that FfDL's manifest does not have, with where the thing goes instead.
const std::vector<std::pair<std::string, std::string>> kMisplacedFields = {
    {"training_data", "FfDL's manifest has no top-level training_data: it is data_stores[0].training_data"},
    {"training_results", "FfDL's manifest has no top-level training_results: it is data_stores[0].training_results"},
};

const std::vector<std::string> kDataStoreFields = {"id", "type", "training_data", "training_results", "connection"};
const std::vector<std::string> kConnectionFields = {"auth_url",   "user_name", "password", "region", "domain_name",
                                                    "project_id", "type",      "name",     "path"};
const std::vector<std::string> kFrameworkFields = {"name", "version", "image_tag", "command"};

const std::vector<std::string> kS3Types = {"mount_cos", "s3_datastore"};
const std::vector<std::string> kSwiftTypes = {"swift_datastore", "softlayer_objectstore", "bluemix_objectstore"};
constexpr const char* kVolumeType = "mount_volume";

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

template <typename Json>
std::string short_text(const Json& value) {
  return value.is_string() ? value.template get<std::string>() : value.dump();
}

bool present(const json& object, const std::string& key) {
  return object.contains(key) && !object[key].is_null();
}

void require_object(const json& value, const std::string& field) {
  if (!value.is_object()) throw InputError(field, short_text(value), "must be a mapping");
}

// Json: json, or ordered_json for the top level, so that the first unknown key named is the first written.
template <typename Json>
void require_known_keys(const Json& object, const std::string& where, const std::vector<std::string>& known) {
  for (const auto& [key, value] : object.items()) {
    if (contains(known, key)) continue;
    std::string field = where.empty() ? key : where + "." + key;
    if (where.empty()) {
      for (const auto& [name, why] : kMisplacedFields)
        if (key == name) throw InputError(field, short_text(value), why);
    }
    std::string rule = "unknown field of an FfDL manifest";
    if (auto guess = did_you_mean(key, known); !guess.empty()) rule += " (did you mean '" + guess + "'?)";
    throw InputError(field, short_text(value), rule);
  }
}

// A string field of a map whose items stay as written (kStringItems).
std::string read_text(const json& object, const std::string& key, const std::string& where) {
  if (!present(object, key)) return {};
  if (!object[key].is_string()) throw InputError(where + "." + key, short_text(object[key]), "must be a string");
  return object[key].get<std::string>();
}

// A top-level scalar as the document writes it: FfDL's Go strings take `version: 1.0` as "1.0".
std::string read_top_level_text(const json& root, const YAML::Node& document, const std::string& key) {
  if (!present(root, key)) return {};
  if (root[key].is_object() || root[key].is_array()) throw InputError(key, short_text(root[key]), "must be a string");
  return document[key].Scalar();
}

// cpus and gpus are float64 in FfDL, learners int32: numbers, never quoted text.
std::optional<double> read_number(const json& root, const std::string& key) {
  if (!present(root, key)) return std::nullopt;
  const json& value = root[key];
  if (!value.is_number()) throw InputError(key, short_text(value), "must be a number");
  double number = value.get<double>();
  if (!std::isfinite(number) || number < 0) throw InputError(key, short_text(value), "must be 0 or more");
  return number;
}

// FfDL takes 0 as "not given" (a Go zero value) and puts its default in its place; a 0 that
// quietly means 5 CPUs is refused, leaving the field out means the default.
[[noreturn]] void refuse_zero_meaning_default(const std::string& field, const std::string& text,
                                              const std::string& fallback) {
  throw InputError(field, text,
                   "must be more than 0 (FfDL reads 0 as unset and would use its default, " + fallback +
                       ": leave the field out for that)");
}

bool is_whole(double number) {
  return std::floor(number) == number;
}

// ---- resources ---------------------------------------------------------------------------

struct LearnerRequest {
  double cpus = kDefaultCpus;
  std::int64_t memory_mb = 0;
  std::string memory_text;
  int gpus = 0;
  std::string gpu_type;
};

double read_cpus(const json& root) {
  auto cpus = read_number(root, "cpus");
  if (!cpus) return kDefaultCpus;
  if (*cpus == 0) refuse_zero_meaning_default("cpus", short_text(root["cpus"]), "5 CPUs");
  return *cpus;
}

int read_gpus(const json& root) {
  auto gpus = read_number(root, "gpus");
  if (!gpus) return 0;
  // Kubernetes got int64(gpus) GPUs from FfDL: 0.5 would have been none.
  if (!is_whole(*gpus) || *gpus > 1024)
    throw InputError("gpus", short_text(root["gpus"]),
                     "must be a whole number of GPUs per learner (FfDL gives a learner int(gpus): 0.5 is 0)");
  return static_cast<int>(*gpus);
}

int read_learners(const json& root) {
  auto learners = read_number(root, "learners");
  if (!learners) return 1;
  if (!is_whole(*learners) || *learners > std::numeric_limits<std::int32_t>::max())
    throw InputError("learners", short_text(root["learners"]), "must be a whole number (FfDL's learners is int32)");
  if (*learners == 0) refuse_zero_meaning_default("learners", "0", "1 learner");
  return static_cast<int>(*learners);
}

std::int64_t read_memory_mb(const std::string& text, const std::string& field, const std::string& fallback) {
  if (text.empty()) return parse_ffdl_memory_mb(kDefaultMemory, field);
  std::int64_t mb = parse_ffdl_memory_mb(text, field);
  if (mb == 0) refuse_zero_meaning_default(field, text, fallback);
  return mb;
}

// "nvidia-TeslaK80" (FfDL's gpu_type) and "NVIDIA_TESLA_K80" (the catalog's) name the same GPU.
std::string accelerator_key(const std::string& name) {
  std::string key;
  for (char c : name)
    if (std::isalnum(static_cast<unsigned char>(c)))
      key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

bool is_gpu_type(const std::string& catalog_name, const std::string& gpu_type) {
  return gpu_type.empty() || catalog_name == gpu_type || accelerator_key(catalog_name) == accelerator_key(gpu_type);
}

void check_gpu_type(const LearnerRequest& request, const tiers::TierCatalog& catalog) {
  if (request.gpu_type.empty()) return;
  if (request.gpus == 0)
    throw InputError("gpu_type", request.gpu_type, "is set but gpus is 0: a learner without GPUs has no GPU type");
  for (const auto& name : catalog.accelerator_type_names())
    if (is_gpu_type(name, request.gpu_type)) return;
  throw InputError("gpu_type", request.gpu_type,
                   "matches none of the tier catalog's accelerator types (" +
                       join(catalog.accelerator_type_names(), ", ") + "; FfDL's nvidia-TeslaK80 is NVIDIA_TESLA_K80)");
}

int accelerator_count(const tiers::MachineType& type) {
  return type.accelerator ? type.accelerator->count : 0;
}

bool has_requested_gpus(const tiers::MachineType& type, const LearnerRequest& request,
                        const tiers::TierCatalog& catalog) {
  if (request.gpus == 0) return accelerator_count(type) == 0;
  return accelerator_count(type) >= request.gpus && catalog.accelerator_type(type.accelerator->type) &&
         is_gpu_type(type.accelerator->type, request.gpu_type);
}

bool holds(const tiers::MachineType& type, const LearnerRequest& request, const tiers::TierCatalog& catalog) {
  return has_requested_gpus(type, request, catalog) && type.cpus >= request.cpus && type.memory_mb >= request.memory_mb;
}

auto size_rank(const tiers::MachineType& type) {
  return std::make_tuple(accelerator_count(type), type.cpus, type.memory_mb, type.name);
}

std::string describe_machine_type(const tiers::MachineType& type) {
  std::string text = type.name + " (" + std::to_string(type.cpus) + " CPUs, " + std::to_string(type.memory_mb) + " MiB";
  if (type.accelerator) text += ", " + std::to_string(type.accelerator->count) + " x " + type.accelerator->type;
  return text + ")";
}

std::string describe_request(const LearnerRequest& request) {
  std::string gpus = request.gpus == 0 ? "no GPU"
                                       : std::to_string(request.gpus) + " GPU(s)" +
                                             (request.gpu_type.empty() ? "" : " of type " + request.gpu_type);
  std::ostringstream cpus;
  cpus << request.cpus;
  return cpus.str() + " CPUs, " + std::to_string(request.memory_mb) + " MiB and " + gpus;
}

// Which field to blame when nothing fits: the first of gpus, cpus, memory that no machine type
// meets together with the ones before it.
[[noreturn]] void refuse_unheld_learner(const LearnerRequest& request, const tiers::TierCatalog& catalog) {
  bool gpus_met = false, cpus_met = false;
  for (const auto& [name, type] : catalog.machine_types) {
    if (!has_requested_gpus(type, request, catalog)) continue;
    gpus_met = true;
    if (type.cpus >= request.cpus) cpus_met = true;
  }
  std::vector<std::string> offered;
  for (const auto& [name, type] : catalog.machine_types) offered.push_back(describe_machine_type(type));
  std::string rule = "no machine type of the tier catalog holds a learner of " + describe_request(request) +
                     "; its machine types: " + (offered.empty() ? "none" : join(offered, ", "));
  std::ostringstream cpus;
  cpus << request.cpus;
  if (!gpus_met)
    throw InputError(request.gpu_type.empty() ? "gpus" : "gpu_type",
                     request.gpu_type.empty() ? std::to_string(request.gpus) : request.gpu_type, rule);
  if (!cpus_met) throw InputError("cpus", cpus.str(), rule);
  throw InputError("memory", request.memory_text, rule);
}

const tiers::MachineType& choose_machine_type(const LearnerRequest& request, const tiers::TierCatalog& catalog) {
  check_gpu_type(request, catalog);
  const tiers::MachineType* best = nullptr;
  for (const auto& [name, type] : catalog.machine_types) {
    if (holds(type, request, catalog) && (!best || size_rank(type) < size_rank(*best))) best = &type;
  }
  if (!best) refuse_unheld_learner(request, catalog);
  return *best;
}

// ---- data stores -------------------------------------------------------------------------

struct DataStore {
  std::string type;
  std::string data_container;
  std::string results_container;  // "" when the manifest gives none
  std::vector<std::string> connection_keys;
};

// A bucket (or, for a mounted volume, a sub-folder): never a way out of the folder it names.
void check_container(const std::string& container, const std::string& field, bool may_have_slashes) {
  if (container.empty()) throw InputError(field, container, "is required");
  for (char c : container) {
    if (std::iscntrl(static_cast<unsigned char>(c)))
      throw InputError(field, container, "must not hold control characters");
  }
  if (!may_have_slashes && container.find('/') != std::string::npos)
    throw InputError(field, container, "is a bucket name, which has no '/'");
  if (container.front() == '/') throw InputError(field, container, "must be relative to the data store");
  for (const auto& part : split(container, '/')) {
    if (part == "..") throw InputError(field, container, "must not contain '..'");
  }
}

std::string read_container(const json& store, const std::string& key, const std::string& where, bool required) {
  std::string at = where + "." + key;
  if (!present(store, key)) {
    if (required) throw InputError(at + ".container", "", "is required (FfDL reads the training data from it)");
    return {};
  }
  require_object(store[key], at);
  require_known_keys(store[key], at, {"container"});
  std::string container = read_text(store[key], "container", at);
  if (container.empty()) throw InputError(at + ".container", "", "is required when " + at + " is given");
  return container;
}

DataStore read_data_store(const json& root) {
  if (!present(root, "data_stores"))
    throw InputError("data_stores", "", "is required: FfDL reads the training data from the first data store");
  const json& stores = root["data_stores"];
  if (!stores.is_array() || stores.empty())
    throw InputError("data_stores", short_text(stores), "must be a list of one data store");
  if (stores.size() > 1)
    throw InputError("data_stores[1]", short_text(stores[1]),
                     "FfDL uses only the first data store (manifest.go reads data_stores[0]) and would ignore this "
                     "one: keep one");
  const std::string at = "data_stores[0]";
  const json& store = stores[0];
  require_object(store, at);
  require_known_keys(store, at, kDataStoreFields);
  DataStore out;
  out.type = read_text(store, "type", at);
  if (out.type.empty()) throw InputError(at + ".type", "", "is required (mount_cos, s3_datastore, mount_volume, ...)");
  out.data_container = read_container(store, "training_data", at, true);
  out.results_container = read_container(store, "training_results", at, false);
  if (present(store, "connection")) {
    require_object(store["connection"], at + ".connection");
    require_known_keys(store["connection"], at + ".connection", kConnectionFields);
    for (const auto& [key, value] : store["connection"].items()) {
      if (!value.is_string() && !value.is_null())
        throw InputError(at + ".connection." + key, short_text(value), "must be a string");
      out.connection_keys.push_back(key);
    }
  }
  return out;
}

std::string strip_trailing_slashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

// Where a host_mount volume is on FfDL's Kubernetes hosts: connection.path.
std::string host_mount_path(const json& connection) {
  const std::string at = "data_stores[0].connection";
  std::string type = read_text(connection, "type", at);
  if (type != "host_mount")
    throw InputError(at + ".type", type, "a mount_volume data store must have connection type host_mount");
  std::string path = read_text(connection, "path", at);
  if (path.empty() || path.front() != '/') throw InputError(at + ".path", path, "must be an absolute folder");
  for (const auto& part : split(path, '/'))
    if (part == "..") throw InputError(at + ".path", path, "must not contain '..'");
  return strip_trailing_slashes(path);
}

// The object-store (or host-folder) URI of a container, as the catalog's storage: keys name it.
std::string container_uri(const DataStore& store, const json& connection, const std::string& container,
                          const std::string& field) {
  if (contains(kS3Types, store.type)) {
    check_container(container, field, false);
    return "s3://" + container + "/";
  }
  if (contains(kSwiftTypes, store.type)) {
    check_container(container, field, false);
    return "swift://" + container + "/";
  }
  if (store.type == kVolumeType) {
    check_container(container, field, true);
    return "file://" + host_mount_path(connection) + "/" + strip_trailing_slashes(container) + "/";
  }
  std::vector<std::string> types = kS3Types;
  types.insert(types.end(), kSwiftTypes.begin(), kSwiftTypes.end());
  types.push_back(kVolumeType);
  std::string rule = "is not a data store type of FfDL's (" + join(types, ", ") + ")";
  if (auto guess = did_you_mean(store.type, types); !guess.empty()) rule += " (did you mean '" + guess + "'?)";
  throw InputError("data_stores[0].type", store.type, rule);
}

std::string local_folder(const std::string& uri, const std::string& field, const std::string& container,
                         const tiers::TierCatalog& catalog) {
  if (auto folder = catalog.local_path(uri)) return strip_trailing_slashes(*folder);
  std::vector<std::string> prefixes;
  for (const auto& [prefix, folder] : catalog.storage) prefixes.push_back(prefix);
  throw InputError(field, container,
                   "is at " + uri +
                       ", which no prefix of the tier catalog's storage: section maps to a folder of "
                       "the cluster (mapped prefixes: " +
                       (prefixes.empty() ? "none" : join(prefixes, ", ")) +
                       "); the site admin adds one, or the data is copied under a mapped prefix");
}

FfdlFolders resolve_folders(const DataStore& store, const json& connection, const FfdlContext& context,
                            const tiers::TierCatalog& catalog) {
  const std::string at = "data_stores[0].";
  FfdlFolders folders;
  folders.job_state_dir = strip_trailing_slashes(context.job_folder);
  folders.model_dir = folders.job_state_dir + "/model-definition";
  folders.log_dir = folders.job_state_dir + "/logs";
  std::string data_field = at + "training_data.container";
  folders.data_dir = local_folder(container_uri(store, connection, store.data_container, data_field), data_field,
                                  store.data_container, catalog);
  if (store.results_container.empty()) {
    // Without one FfDL keeps results in its own object store; the job's folder stands in for it.
    folders.result_bucket_dir = folders.job_state_dir + "/results";
  } else {
    std::string results_field = at + "training_results.container";
    folders.result_bucket_dir = local_folder(container_uri(store, connection, store.results_container, results_field),
                                             results_field, store.results_container, catalog);
  }
  folders.result_dir = folders.result_bucket_dir + "/" + context.training_id;
  folders.checkpoint_dir = folders.result_bucket_dir + "/_wml_checkpoints";
  return folders;
}

// ---- framework and command ---------------------------------------------------------------

struct Framework {
  std::string name, version, image_tag, command;
};

Framework read_framework(const json& root) {
  if (!present(root, "framework")) throw InputError("framework", "", "is required (name, version and command)");
  const json& value = root["framework"];
  require_object(value, "framework");
  require_known_keys(value, "framework", kFrameworkFields);
  Framework framework{read_text(value, "name", "framework"), read_text(value, "version", "framework"),
                      read_text(value, "image_tag", "framework"), read_text(value, "command", "framework")};
  if (framework.name.empty())
    throw InputError("framework.name", "", "is required (FfDL picks the learner image by it)");
  if (framework.version.empty()) throw InputError("framework.version", "", "is required");
  if (trim(framework.command).empty())
    throw InputError("framework.command", framework.command, "is required: the command every learner runs");
  if (framework.command.find('\0') != std::string::npos)
    throw InputError("framework.command", framework.command, "must not hold a NUL byte");
  return framework;
}

// FfDL's trainer puts the command in TRAINING_COMMAND with every line break made a space, and the
// learner runs that: a folded `>` block and a literal `|` block both run as one line.
std::string one_line(const std::string& command) {
  std::string out;
  for (std::size_t i = 0; i < command.size(); ++i) {
    if (command[i] == '\r' && i + 1 < command.size() && command[i + 1] == '\n') continue;
    out += command[i] == '\n' ? ' ' : command[i];
  }
  return out;
}

// ---- the job -----------------------------------------------------------------------------

// Object-store secrets have no use here, and a job's record is shown by describe: not kept.
ordered_json without_secrets(ordered_json manifest) {
  if (!manifest.contains("data_stores") || !manifest["data_stores"].is_array()) return manifest;
  for (auto& store : manifest["data_stores"]) {
    if (!store.is_object() || !store.contains("connection") || !store["connection"].is_object()) continue;
    for (auto& [key, value] : store["connection"].items()) {
      if (key == "password" && !value.is_null()) value = "(not kept)";
    }
  }
  return manifest;
}

std::string gpu_count_text(int gpus) {
  return std::to_string(static_cast<double>(gpus));  // FfDL's GPU_COUNT: "%f" of a float, "1.000000"
}

std::vector<std::pair<std::string, std::string>> learner_environment(const FfdlFolders& folders,
                                                                     const FfdlContext& context, int learners, int gpus,
                                                                     const std::string& command) {
  return {{"TRAINING_ID", context.training_id},
          {"DLAAS_JOB_ID", context.training_id},
          {"NUM_LEARNERS", std::to_string(learners)},
          {"GPU_COUNT", gpu_count_text(gpus)},
          {"JOB_STATE_DIR", folders.job_state_dir},
          {"MODEL_DIR", folders.model_dir},
          {"DATA_DIR", folders.data_dir},
          {"RESULT_BUCKET_DIR", folders.result_bucket_dir},
          {"RESULT_DIR", folders.result_dir},
          {"CHECKPOINT_DIR", folders.checkpoint_dir},
          {"LOG_DIR", folders.log_dir},
          {"TRAINING_COMMAND", command}};
}

std::vector<IgnoredField> ignored_fields(const Framework& framework, const DataStore& store,
                                         const std::string& storage) {
  std::vector<IgnoredField> ignored;
  std::string image = framework.name + " " + framework.version +
                      (framework.image_tag.empty() ? "" : " (image_tag " + framework.image_tag + ")");
  ignored.push_back({"framework", image,
                     "FfDL picks a learner image by it; mljob runs the command on the cluster's nodes, in the tier "
                     "catalog's default runtime environment"});
  if (!store.connection_keys.empty()) {
    ignored.push_back({"data_stores[0].connection", join(store.connection_keys, ", "),
                       "the data is read from the cluster's folder for the container (the tier catalog's storage: "
                       "section), so the object store's endpoint and credentials are not used (nor kept)"});
  }
  if (!storage.empty()) {
    ignored.push_back({"storage", storage,
                       "FfDL sizes a volume for the job's state by it; here that state is the job's folder in your "
                       "store, which has no size of its own"});
  }
  return ignored;
}

void check_context(const FfdlContext& context) {
  check_stored_job_name(context.training_id, "training ID");
  if (context.job_folder.empty() || context.job_folder.front() != '/')
    throw std::invalid_argument("FfdlContext.job_folder must be an absolute folder: '" + context.job_folder + "'");
}

Job make_job(const FfdlContext& context, const tiers::MachineType& machine_type, int learners) {
  Job job;
  job.job_id = context.training_id;
  TrainingInput& in = job.training_input;
  in.scale_tier = "CUSTOM";
  in.master_type = machine_type.name;
  if (learners > 1) {
    in.worker_type = machine_type.name;
    in.worker_count = learners - 1;
  }
  return job;
}

}  // namespace

std::int64_t parse_ffdl_memory_mb(const std::string& text, const std::string& field) {
  const std::string written = trim(text);
  const std::string lost = " (FfDL would run this learner with 512 MB)";
  std::size_t digits = 0;
  while (digits < written.size() && std::isdigit(static_cast<unsigned char>(written[digits]))) ++digits;
  if (digits == 0) throw InputError(field, text, "must start with a whole number, e.g. 16GB or 2048MiB" + lost);
  if (digits < written.size() && (written[digits] == '.' || written[digits] == ','))
    throw InputError(field, text,
                     "must be a whole number: FfDL reads no fractions" + lost + "; write 1536MiB, not 1.5GiB");
  std::size_t unit_start = digits;
  while (unit_start < written.size() && std::isblank(static_cast<unsigned char>(written[unit_start]))) ++unit_start;
  const std::string unit = written.substr(unit_start);
  if (unit.empty()) throw InputError(field, text, "has no unit: add MB, MiB, GB or GiB" + lost);

  struct SizeUnit {
    const char* name;
    std::uint64_t bytes;
  };
  constexpr SizeUnit kUnits[] = {{"mb", 1000000}, {"mib", 1 << 20}, {"gb", 1000000000}, {"gib", 1 << 30}};
  std::string lower;
  for (char c : unit) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const SizeUnit* chosen = nullptr;
  for (const auto& candidate : kUnits)
    if (lower == candidate.name) chosen = &candidate;
  if (!chosen) {
    if (lower.starts_with("tb") || lower.starts_with("tib"))
      throw InputError(field, text, "FfDL knows no TB or TiB" + lost + ": write 1000GB or 1024GiB for each");
    for (const auto& candidate : kUnits)
      if (lower.starts_with(candidate.name))
        throw InputError(field, text,
                         "nothing may follow the unit (FfDL would ignore '" +
                             unit.substr(std::string(candidate.name).size()) + "')");
    throw InputError(field, text, "unit '" + unit + "' is not one of FfDL's MB, MiB, GB, GiB" + lost);
  }
  std::uint64_t amount = 0;
  auto [end, error] = std::from_chars(written.data(), written.data() + digits, amount);
  constexpr std::uint64_t kMaxBytes = std::uint64_t{1} << 60;  // 1 EiB: beyond any machine
  if (error != std::errc() || end != written.data() + digits || amount > kMaxBytes / chosen->bytes)
    throw InputError(field, text, "is more memory than any machine has");
  constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;
  return static_cast<std::int64_t>((amount * chosen->bytes + kMiB - 1) / kMiB);
}

std::string new_ffdl_training_id() {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::random_device entropy;
  std::uniform_int_distribution<std::size_t> pick(0, sizeof(kAlphabet) - 2);
  std::string id = "training-";
  for (int i = 0; i < 9; ++i) id += kAlphabet[pick(entropy)];
  return id;
}

FfdlJob parse_ffdl_manifest(const std::string& yaml_text, const std::string& source_name,
                            const tiers::TierCatalog& catalog, const FfdlContext& context) {
  check_context(context);
  json root = yaml_text_to_json(yaml_text, source_name, kStringItems);
  if (!root.is_object()) throw InputError("(top level)", short_text(root), "an FfDL manifest is a mapping");
  ordered_json in_order = yaml_text_to_ordered_json(yaml_text, source_name);
  require_known_keys(in_order, "", kTopLevelFields);
  const YAML::Node document = YAML::Load(yaml_text);

  if (trim(read_top_level_text(root, document, "name")).empty())
    throw InputError("name", "", "is required (the model's name)");
  read_top_level_text(root, document, "description");
  read_top_level_text(root, document, "version");
  Framework framework = read_framework(root);
  DataStore store = read_data_store(root);
  const json connection =
      present(root["data_stores"][0], "connection") ? root["data_stores"][0]["connection"] : json::object();

  LearnerRequest request;
  request.cpus = read_cpus(root);
  request.gpus = read_gpus(root);
  request.gpu_type = read_top_level_text(root, document, "gpu_type");
  request.memory_text = read_top_level_text(root, document, "memory");
  request.memory_mb = read_memory_mb(request.memory_text, "memory", "12GiB");
  if (request.memory_text.empty()) request.memory_text = std::string(kDefaultMemory) + " (FfDL's default)";
  std::string storage = read_top_level_text(root, document, "storage");
  if (!storage.empty()) parse_ffdl_memory_mb(storage, "storage");  // FfDL's default is 0: no volume
  int learners = read_learners(root);
  if (present(root, "evaluation_metrics")) require_object(root["evaluation_metrics"], "evaluation_metrics");

  const tiers::MachineType& machine_type = choose_machine_type(request, catalog);
  FfdlFolders folders = resolve_folders(store, connection, context, catalog);

  FfdlJob out;
  out.job = make_job(context, machine_type, learners);
  if (present(root, "evaluation_metrics"))
    out.job.metric_declarations["evaluation_metrics"] = in_order["evaluation_metrics"];
  std::string command = one_line(framework.command);
  Launch launch;
  launch.api = "ffdl";
  launch.request = without_secrets(in_order);
  launch.command = {"/bin/bash", "-c", std::string(kFfdlLearnerPrelude) + command};
  launch.working_dir = folders.model_dir;
  launch.environment = learner_environment(folders, context, learners, request.gpus, command);
  // When the command began and ended, for FfDL's PROCESSING and STORING (kFfdlPhasesFile).
  const std::string phases = shell_quote(folders.job_state_dir + "/" + kFfdlPhasesFile);
  launch.before_step = {"echo \"Processing $(date +%s)\" >> " + phases};
  launch.after_step = {"echo \"Ended $(date +%s) $step_status\" >> " + phases};
  out.job.launch = std::move(launch);
  out.folders = std::move(folders);
  out.machine_type = machine_type.name;
  out.learners = learners;
  out.memory_mb = request.memory_mb;
  out.ignored = ignored_fields(framework, store, storage);
  return out;
}

}  // namespace mljob
