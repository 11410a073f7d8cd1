#include "core/validation.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <mutex>
#include <set>

#include "base/input_error.h"

namespace mljob {
namespace {

constexpr std::size_t kMaxPackageUris = 100;
constexpr std::size_t kMaxLabelLength = 63;
// Bounds that keep every count a Slurm option can carry (an int) far from overflowing, sums
// included; the fit check then refuses what the cluster cannot hold.
constexpr std::int64_t kMaxReplicaCount = 10000;   // workers, or parameter servers, of one job
constexpr std::int64_t kMaxAcceleratorCount = 64;  // accelerators of one replica
constexpr std::array kScaleTiers = {"BASIC", "STANDARD_1", "PREMIUM_1", "BASIC_GPU", "BASIC_TPU", "CUSTOM"};
constexpr std::array kAcceleratorTypes = {"NVIDIA_TESLA_K80",
                                          "NVIDIA_TESLA_P100",
                                          "NVIDIA_TESLA_V100",
                                          "NVIDIA_TESLA_P4",
                                          "NVIDIA_TESLA_T4",
                                          "NVIDIA_TESLA_A100",
                                          "TPU_V2",
                                          "TPU_V3",
                                          "TPU_V2_POD",
                                          "TPU_V3_POD"};

bool is_letter(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0;
}
bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

void validate_accelerator(const std::optional<AcceleratorConfig>& config, const std::string& field) {
  if (!config) return;
  if (config->count <= 0) throw InputError(field + ".count", std::to_string(config->count), "must be at least 1");
  if (config->count > kMaxAcceleratorCount)
    throw InputError(field + ".count", std::to_string(config->count),
                     "must be at most " + std::to_string(kMaxAcceleratorCount));
  if (std::find(kAcceleratorTypes.begin(), kAcceleratorTypes.end(), config->type) == kAcceleratorTypes.end()) {
    throw InputError(field + ".type", config->type, "is not an AI Platform accelerator type");
  }
}

void validate_replica_count(std::int64_t count, const std::string& field) {
  if (count < 0) throw InputError(field, std::to_string(count), "must not be negative");
  if (count > kMaxReplicaCount)
    throw InputError(field, std::to_string(count), "must be at most " + std::to_string(kMaxReplicaCount));
}

// A NUL byte cannot pass through a path, a command line or a batch script (bash drops it, a
// path ends at it): the program would get something else than what was written.
void refuse_nul(const std::string& field, const std::string& value) {
  if (value.find('\0') == std::string::npos) return;
  std::string shown;
  for (char c : value) shown += c == '\0' ? std::string("\\0") : std::string(1, c);
  throw InputError(field, shown, "must not contain a NUL byte");
}

void refuse_nul_bytes(const TrainingInput& in, const std::string& at) {
  refuse_nul(at + ".pythonModule", in.python_module);
  refuse_nul(at + ".jobDir", in.job_dir);
  for (std::size_t i = 0; i < in.args.size(); ++i) refuse_nul(at + ".args[" + std::to_string(i) + "]", in.args[i]);
  for (std::size_t i = 0; i < in.package_uris.size(); ++i)
    refuse_nul(at + ".packageUris[" + std::to_string(i) + "]", in.package_uris[i]);
}

// A kept field that asks for something: not null, false, zero or empty.
bool asks_for_something(const nlohmann::json& value) {
  if (value.is_null() || value == false || value == 0 || value == "0") return false;
  if (value.is_string() || value.is_object() || value.is_array()) return !value.empty();
  return true;
}

std::string shown(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// Why each field that mljob keeps only to give back (core/spec_parser.cc) has no effect.
const std::vector<std::pair<std::string, std::string>> kKeptOnlyFields = {
    {"evaluatorType", "mljob runs no evaluator replicas"},
    {"evaluatorConfig", "mljob runs no evaluator replicas"},
    {"evaluatorCount", "mljob runs no evaluator replicas"},
    {"encryptionConfig", "mljob manages no encryption keys: the job's files are the cluster's"},
    {"network", "the job runs on the cluster's own network"},
    {"serviceAccount", "the job runs as the Slurm user who submitted it"},
    {"enableWebAccess", "mljob opens no web shells into a job (srun --overlap --jobid reaches a running one)"}};

// runtimeVersion and pythonVersion choose an environment through the catalog's runtimes:
// section ("RUNTIME/PYTHON", then "RUNTIME", then "default"); one that chose nothing there is
// ignored. No environment at all is the planner's refusal, not a warning.
void add_unmapped_runtime(const TrainingInput& in, const tiers::TierCatalog& catalog, std::vector<IgnoredField>& out) {
  const tiers::RuntimeEnvironment* runtime = catalog.runtime(in.runtime_version, in.python_version);
  if (!runtime || !runtime->refusal.empty()) return;
  std::string runs_in = "the job runs in the catalog's '" + runtime->key + "' environment (" + runtime->python + "; " +
                        catalog.source + ")";
  if (!in.runtime_version.empty() && runtime->key == "default") {
    out.push_back({"trainingInput.runtimeVersion", in.runtime_version,
                   "the tier catalog's runtimes: section has no entry for it, so " + runs_in});
  }
  if (!in.python_version.empty() && runtime->key != in.runtime_version + "/" + in.python_version) {
    std::string entry = (in.runtime_version.empty() ? "RUNTIME" : in.runtime_version) + "/" + in.python_version;
    out.push_back({"trainingInput.pythonVersion", in.python_version,
                   "the tier catalog's runtimes: section has no entry '" + entry + "', so " + runs_in});
  }
}

}  // namespace

// Google Cloud label rules: keys start with a lowercase letter; keys and values use lowercase
// letters, digits, '_' and '-', at most 63 characters.
void validate_labels(const std::map<std::string, std::string>& labels) {
  auto label_char = [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_' ||
           c == '-';
  };
  for (const auto& [key, value] : labels) {
    std::string field = "labels." + key;
    if (key.empty() || !std::islower(static_cast<unsigned char>(key[0])))
      throw InputError(field, key, "a label key must start with a lowercase letter");
    if (key.size() > kMaxLabelLength || value.size() > kMaxLabelLength)
      throw InputError(field, value, "label keys and values are at most 63 characters");
    if (!std::all_of(key.begin(), key.end(), label_char))
      throw InputError(field, key, "a label key may contain only lowercase letters, digits, '_' and '-'");
    if (!std::all_of(value.begin(), value.end(), label_char))
      throw InputError(field, value, "a label value may contain only lowercase letters, digits, '_' and '-'");
  }
}

std::vector<IgnoredField> ignored_fields(const Job& job, const tiers::TierCatalog& catalog) {
  const TrainingInput& in = job.training_input;
  std::vector<IgnoredField> out;
  if (!in.region.empty()) {
    out.push_back(
        {"trainingInput.region", in.region, "a Slurm cluster has no regions: the job runs where Slurm places it"});
  }
  add_unmapped_runtime(in, catalog, out);
  if (in.scheduling.priority) {
    out.push_back({"trainingInput.scheduling.priority", std::to_string(*in.scheduling.priority),
                   "on Slurm, priority is the site's policy (QOS, fair share), not the job's to raise"});
  }
  for (const auto& [key, why] : kKeptOnlyFields) {
    if (in.extra.contains(key) && asks_for_something(in.extra[key]))
      out.push_back({"trainingInput." + key, shown(in.extra[key]), why});
  }
  return out;
}

void check_job_id(const std::string& id, const std::string& field) {
  if (id.empty()) throw InputError(field, id, "is required");
  if (id.size() > kMaxJobIdLength)
    throw InputError(field, id, "must be at most " + std::to_string(kMaxJobIdLength) + " characters");
  if (!is_letter(id[0])) throw InputError(field, id, "must start with a letter");
  if (!std::all_of(id.begin(), id.end(), is_word_char)) {
    throw InputError(field, id, "may contain only letters, digits and underscores");
  }
}

void check_sagemaker_job_name(const std::string& name, const std::string& field) {
  if (name.empty()) throw InputError(field, name, "is required");
  const std::string rule =
      "must match ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}: letters, digits and hyphens, at most "
      "63 characters, starting and ending with a letter or digit";
  auto alphanumeric = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (name.size() > 63 || !alphanumeric(name.front()) || !alphanumeric(name.back()))
    throw InputError(field, name, rule);
  for (char c : name) {
    if (!alphanumeric(c) && c != '-') throw InputError(field, name, rule);
  }
}

void check_stored_job_name(const std::string& name, const std::string& field) {
  try {
    check_job_id(name, field);
  } catch (const InputError& not_an_id) {
    try {
      // A SageMaker tuning study's trial: <its name>_trial_<n> (tuner/trial_spec.h's trial_job_id).
      auto trial = name.rfind("_trial_");
      bool numbered = trial != std::string::npos && trial + 7 < name.size() &&
                      std::all_of(name.begin() + static_cast<long>(trial) + 7, name.end(),
                                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
      check_sagemaker_job_name(numbered ? name.substr(0, trial) : name, field);
    } catch (const InputError&) {
      throw InputError(field, name,
                       not_an_id.rule() +
                           " (an AI Platform job ID), or match ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62} "
                           "(a SageMaker job name)");
    }
  }
}

std::vector<std::string> apply_api_defaults(Job& job) {
  std::vector<std::string> filled;
  if (job.training_input.scale_tier.empty()) {
    job.training_input.scale_tier = "BASIC";
    filled.push_back("trainingInput.scaleTier: BASIC (not given; the API's default)");
  }
  return filled;
}

void validate_job(const Job& job) {
  // A front door's job was named by its own rule, which it checked (SageMaker's allows '-').
  if (job.launch)
    check_stored_job_name(job.job_id, "jobId");
  else
    check_job_id(job.job_id);
  validate_labels(job.labels);
  const TrainingInput& in = job.training_input;
  const std::string at = "trainingInput";

  if (in.scale_tier.empty()) throw InputError(at + ".scaleTier", "", "is required");
  if (std::find(kScaleTiers.begin(), kScaleTiers.end(), in.scale_tier) == kScaleTiers.end()) {
    throw InputError(at + ".scaleTier", in.scale_tier,
                     "must be one of BASIC, STANDARD_1, PREMIUM_1, BASIC_GPU, BASIC_TPU, CUSTOM");
  }
  bool custom = in.scale_tier == "CUSTOM";
  validate_replica_count(in.worker_count, at + ".workerCount");
  validate_replica_count(in.parameter_server_count, at + ".parameterServerCount");
  if (custom && in.master_type.empty())
    throw InputError(at + ".masterType", "", "is required when scaleTier is CUSTOM");
  if (!custom) {
    for (const auto& [field, value] : {std::pair{"masterType", in.master_type},
                                       {"workerType", in.worker_type},
                                       {"parameterServerType", in.parameter_server_type}}) {
      if (!value.empty()) throw InputError(at + "." + field, value, "may be set only when scaleTier is CUSTOM");
    }
    if (in.worker_count)
      throw InputError(at + ".workerCount", std::to_string(in.worker_count),
                       "may be set only when scaleTier is CUSTOM");
    if (in.parameter_server_count)
      throw InputError(at + ".parameterServerCount", std::to_string(in.parameter_server_count),
                       "may be set only when scaleTier is CUSTOM");
  }
  if (in.worker_count > 0 && in.worker_type.empty())
    throw InputError(at + ".workerType", "", "is required when workerCount is greater than 0");
  if (in.parameter_server_count > 0 && in.parameter_server_type.empty())
    throw InputError(at + ".parameterServerType", "", "is required when parameterServerCount is greater than 0");
  validate_accelerator(in.master_config.accelerator_config, at + ".masterConfig.acceleratorConfig");
  validate_accelerator(in.worker_config.accelerator_config, at + ".workerConfig.acceleratorConfig");
  validate_accelerator(in.parameter_server_config.accelerator_config, at + ".parameterServerConfig.acceleratorConfig");
  if (in.package_uris.size() > kMaxPackageUris)
    throw InputError(at + ".packageUris", std::to_string(in.package_uris.size()) + " entries",
                     "at most 100 package URIs");
  // Custom containers need a container runtime on the nodes that mljob does not drive (yet);
  // running the image's Python instead would be a different job, so say so before submitting.
  for (const auto& [field, config] : {std::pair{"masterConfig", &in.master_config},
                                      {"workerConfig", &in.worker_config},
                                      {"parameterServerConfig", &in.parameter_server_config}}) {
    if (!config->image_uri.empty()) {
      throw InputError(at + "." + field + ".imageUri", config->image_uri,
                       "custom containers are not run by mljob: give a Python package (--package-path or packageUris) "
                       "and --module-name instead");
    }
  }
  if (in.python_module.empty() && !job.launch)
    throw InputError(at + ".pythonModule", "", "is required (the module to run, e.g. trainer.task)");
  refuse_nul_bytes(in, at);
}

namespace {

void check_machine_types(const Job& job, const tiers::TierCatalog& catalog) {
  const TrainingInput& in = job.training_input;
  const std::string at = "trainingInput";
  if (in.scale_tier != "CUSTOM") {
    if (!catalog.scale_tier(in.scale_tier))
      throw InputError(at + ".scaleTier", in.scale_tier,
                       "is not offered at this site (tier catalog " + catalog.source + ")");
    return;
  }
  struct Used {
    const char* field;
    const std::string& type;
    const ReplicaConfig& config;
  };
  std::vector<Used> used = {{"masterType", in.master_type, in.master_config}};
  if (in.worker_count > 0) used.push_back({"workerType", in.worker_type, in.worker_config});
  if (in.parameter_server_count > 0)
    used.push_back({"parameterServerType", in.parameter_server_type, in.parameter_server_config});

  std::optional<bool> legacy_seen;
  for (const auto& item : used) {
    const tiers::MachineType* type = catalog.machine_type(item.type);
    if (!type) {
      throw InputError(at + "." + item.field, item.type,
                       "is not a machine type offered at this site (see `mljob tiers show`)");
    }
    if (legacy_seen && *legacy_seen != type->legacy) {
      throw InputError(at + "." + item.field, item.type,
                       "master, worker and parameter server types must all be legacy machine types or all Compute "
                       "Engine machine types");
    }
    legacy_seen = type->legacy;
    std::string config_field = std::string(item.field).substr(0, std::string(item.field).size() - 4) + "Config";
    if (item.config.accelerator_config && type->legacy) {
      throw InputError(at + "." + config_field + ".acceleratorConfig", item.config.accelerator_config->type,
                       "acceleratorConfig may be used only with Compute Engine machine types, not the legacy type '" +
                           item.type + "'");
    }
    if (item.config.accelerator_config && !catalog.accelerator_type(item.config.accelerator_config->type)) {
      throw InputError(at + "." + config_field + ".acceleratorConfig.type", item.config.accelerator_config->type,
                       "is not offered at this site");
    }
  }
}

}  // namespace

void validate_against_catalog(const Job& job, const tiers::TierCatalog& catalog) {
  check_machine_types(job, catalog);
  for (const auto& ignored : ignored_fields(job, catalog)) warn_ignored(ignored);
}

}  // namespace mljob
