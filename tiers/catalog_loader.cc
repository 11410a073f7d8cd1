#include "tiers/catalog_loader.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <set>

#include "tiers/yaml_fields.h"

namespace mljob::tiers {
namespace {

namespace fs = std::filesystem;

constexpr int kMaxExtendsDepth = 8;

// Catalog values end up on #SBATCH lines: allow only what Slurm names are made of.
void require_slurm_word(const fs::path& file, const std::string& where, const std::string& value) {
  for (char c : value) {
    bool ok =
        std::isalnum(static_cast<unsigned char>(c)) || std::string_view("_-.:,=+[]").find(c) != std::string_view::npos;
    if (!ok) fail(file, where, "value '" + value + "' may only contain letters, digits and _-.:,=+[]");
  }
}

int read_positive_int(const fs::path& file, const std::string& where, const YAML::Node& node, const std::string& key,
                      int fallback, int minimum) {
  if (!node[key]) return fallback;
  int value = 0;
  try {
    value = node[key].as<int>();
  } catch (const YAML::Exception&) {
    fail(file, where + "." + key, "value '" + node[key].as<std::string>("?") + "' must be an integer");
  }
  if (value < minimum) {
    fail(file, where + "." + key, "value " + std::to_string(value) + " must be at least " + std::to_string(minimum));
  }
  return value;
}

std::optional<AcceleratorRequest> read_accelerator(const fs::path& file, const std::string& where,
                                                   const YAML::Node& node) {
  if (!node["accelerator"]) return std::nullopt;
  const auto& acc = node["accelerator"];
  std::string at = where + ".accelerator";
  if (!acc.IsMap()) fail(file, at, "must be a mapping {type, count}");
  check_keys(file, at, acc, {"type", "count"});
  AcceleratorRequest request;
  request.type = read_string(file, at, acc, "type", "");
  if (request.type.empty()) fail(file, at + ".type", "is required");
  request.count = read_positive_int(file, at, acc, "count", 1, 1);
  return request;
}

void read_machine_types(const fs::path& file, const YAML::Node& node, TierCatalog& catalog) {
  for (const auto& item : node) {
    auto name = item.first.as<std::string>();
    std::string where = "machineTypes." + name;
    const auto& spec = item.second;
    if (!spec.IsMap()) fail(file, where, "must be a mapping");
    check_keys(file, where, spec,
               {"cpus", "memory", "accelerator", "partition", "constraint", "qos", "account", "defaultTime", "maxTime",
                "legacy"});
    MachineType type;
    type.name = name;
    type.cpus = read_positive_int(file, where, spec, "cpus", 1, 1);
    auto memory = read_string(file, where, spec, "memory", "");
    if (memory.empty()) fail(file, where + ".memory", "is required (e.g. 15G)");
    try {
      type.memory_mb = parse_memory_mb(memory);
    } catch (const std::invalid_argument& e) {
      fail(file, where + ".memory", e.what());
    }
    type.accelerator = read_accelerator(file, where, spec);
    type.partition = read_string(file, where, spec, "partition", "");
    type.constraint = read_string(file, where, spec, "constraint", "");
    type.qos = read_string(file, where, spec, "qos", "");
    type.account = read_string(file, where, spec, "account", "");
    type.default_time = read_string(file, where, spec, "defaultTime", "");
    type.max_time = read_string(file, where, spec, "maxTime", "");
    type.legacy = read_bool(file, where, spec, "legacy");
    for (const auto& [field, value] : {std::pair{"partition", type.partition},
                                       {"constraint", type.constraint},
                                       {"qos", type.qos},
                                       {"account", type.account},
                                       {"defaultTime", type.default_time},
                                       {"maxTime", type.max_time}}) {
      require_slurm_word(file, where + "." + field, value);
    }
    catalog.machine_types[name] = type;
  }
}

void read_accelerator_types(const fs::path& file, const YAML::Node& node, TierCatalog& catalog) {
  for (const auto& item : node) {
    auto name = item.first.as<std::string>();
    std::string where = "acceleratorTypes." + name;
    if (!item.second.IsMap()) fail(file, where, "must be a mapping {gres: TYPE}");
    check_keys(file, where, item.second, {"gres"});
    AcceleratorType type{name, read_string(file, where, item.second, "gres", "")};
    if (type.gres_type.empty()) fail(file, where + ".gres", "is required (the Slurm GRES type)");
    require_slurm_word(file, where + ".gres", type.gres_type);
    catalog.accelerator_types[name] = type;
  }
}

ReplicaShape read_replica(const fs::path& file, const std::string& where, const YAML::Node& node, int default_count) {
  ReplicaShape shape;
  if (!node) return shape;
  if (!node.IsMap()) fail(file, where, "must be a mapping {machineType, count, accelerator}");
  check_keys(file, where, node, {"machineType", "count", "accelerator"});
  shape.machine_type = read_string(file, where, node, "machineType", "");
  if (shape.machine_type.empty()) fail(file, where + ".machineType", "is required");
  shape.count = read_positive_int(file, where, node, "count", default_count, 0);
  shape.accelerator = read_accelerator(file, where, node);
  return shape;
}

void read_scale_tiers(const fs::path& file, const YAML::Node& node, TierCatalog& catalog) {
  for (const auto& item : node) {
    auto name = item.first.as<std::string>();
    std::string where = "scaleTiers." + name;
    const auto& spec = item.second;
    if (spec.IsNull()) {  // `BASIC_TPU: ~` in an extending catalog removes a tier
      catalog.scale_tiers.erase(name);
      continue;
    }
    if (!spec.IsMap()) fail(file, where, "must be a mapping {master, worker, parameterServer}");
    check_keys(file, where, spec, {"master", "worker", "parameterServer"});
    ScaleTier tier;
    tier.name = name;
    tier.master = read_replica(file, where + ".master", spec["master"], 1);
    if (tier.master.machine_type.empty()) fail(file, where + ".master", "is required");
    if (tier.master.count != 1) fail(file, where + ".master.count", "must be 1");
    tier.worker = read_replica(file, where + ".worker", spec["worker"], 0);
    tier.parameter_server = read_replica(file, where + ".parameterServer", spec["parameterServer"], 0);
    catalog.scale_tiers[name] = tier;
  }
}

void read_runtimes(const fs::path& file, const YAML::Node& node, TierCatalog& catalog) {
  for (const auto& item : node) {
    auto key = item.first.as<std::string>();
    std::string where = "runtimes." + key;
    if (!item.second.IsMap()) fail(file, where, "must be a mapping {python, setup, refuse, predictor}");
    check_keys(file, where, item.second, {"python", "setup", "refuse", "predictor"});
    RuntimeEnvironment env;
    env.key = key;
    env.python = read_string(file, where, item.second, "python", "python3");
    env.setup = read_string(file, where, item.second, "setup", "");
    env.refusal = read_string(file, where, item.second, "refuse", "");
    env.predictor = read_string(file, where, item.second, "predictor", "");
    if (!env.predictor.empty() && env.predictor != "sklearn" && env.predictor != "torchscript")
      fail(file, where + ".predictor",
           "value '" + env.predictor +
               "' must be sklearn or torchscript (a custom predictor is a model registry entry)");
    catalog.runtimes[key] = env;
  }
}

// prediction: {machineType, modelRegistry}. The registry's path is relative to this file.
void read_prediction(const fs::path& file, const YAML::Node& node, TierCatalog& catalog) {
  if (!node.IsMap()) fail(file, "prediction", "must be a mapping {machineType, modelRegistry}");
  check_keys(file, "prediction", node, {"machineType", "modelRegistry"});
  catalog.prediction_machine_type = read_string(file, "prediction", node, "machineType", "");
  std::string registry = read_string(file, "prediction", node, "modelRegistry", "");
  if (!registry.empty()) {
    fs::path path = registry;
    if (path.is_relative()) path = fs::absolute(file.parent_path() / path).lexically_normal();
    catalog.model_registry = path.string();
  }
}

void read_logs(const fs::path& file, const YAML::Node& node, TierCatalog& catalog) {
  if (!node.IsMap()) fail(file, "logs", "must be a mapping {maxBytesPerJob}");
  check_keys(file, "logs", node, {"maxBytesPerJob"});
  std::string cap = read_string(file, "logs", node, "maxBytesPerJob", "");
  if (cap.empty() || cap == "0") {
    catalog.max_log_bytes_per_job = 0;  // no cap
    return;
  }
  std::int64_t megabytes = 0;
  try {
    megabytes = parse_memory_mb(cap);
  } catch (const std::exception& e) {
    fail(file, "logs.maxBytesPerJob", e.what());
  }
  // Below a few MiB the cap would free the lines a user is still reading.
  if (megabytes < 16) fail(file, "logs.maxBytesPerJob", "value '" + cap + "' must be 0 (no cap) or at least 16M");
  catalog.max_log_bytes_per_job = static_cast<std::uint64_t>(megabytes) << 20;
}

// storage: {PREFIX: FOLDER}. A prefix is a URI with a scheme ("s3://bucket/"), a folder an
// absolute path; both are kept ending in '/', so that "s3://lab" never maps "s3://lab2/x".
void read_storage(const fs::path& file, const YAML::Node& node, TierCatalog& catalog) {
  if (!node.IsMap()) fail(file, "storage", "must be a mapping {URI_PREFIX: FOLDER}");
  for (const auto& item : node) {
    auto prefix = item.first.as<std::string>();
    std::string where = "storage." + prefix;
    auto scheme_end = prefix.find("://");
    if (scheme_end == std::string::npos || scheme_end == 0 || prefix.size() == scheme_end + 3)
      fail(file, where, "the key must be a URI prefix with a scheme and a bucket, such as s3://lab-data/");
    if (!item.second.IsScalar()) fail(file, where, "must be a folder (a string)");
    auto folder = item.second.as<std::string>();
    if (folder.empty() || folder.front() != '/') fail(file, where, "value '" + folder + "' must be an absolute path");
    if (prefix.back() != '/') prefix += '/';
    if (folder.back() != '/') folder += '/';
    catalog.storage[prefix] = folder;
  }
}

// images: {IMAGE_URI_OR_ALGORITHM: {command | scriptMode, runtime}}.
void read_images(const fs::path& file, const YAML::Node& node, TierCatalog& catalog) {
  if (!node.IsMap()) fail(file, "images", "must be a mapping {IMAGE: {command, scriptMode, runtime}}");
  for (const auto& item : node) {
    auto key = item.first.as<std::string>();
    std::string where = "images." + key;
    if (key.empty()) fail(file, where, "an image needs a name or URI");
    if (!item.second.IsMap()) fail(file, where, "must be a mapping {command, scriptMode, runtime}");
    if (item.second["container"]) {
      fail(file, where + ".container",
           "is kept for running the OCI image itself, which mljob does not offer yet: give a command (or scriptMode) "
           "that runs on the cluster");
    }
    check_keys(file, where, item.second, {"command", "scriptMode", "runtime"});
    Image image;
    image.key = key;
    if (const YAML::Node& command = item.second["command"]) {
      if (!command.IsSequence() || command.size() == 0)
        fail(file, where + ".command", "must be a non-empty list of words (the program's argv)");
      for (const auto& word : command) {
        if (!word.IsScalar()) fail(file, where + ".command", "must be a list of strings");
        image.command.push_back(word.as<std::string>());
      }
    }
    image.script_mode = read_bool(file, where, item.second, "scriptMode");
    if (image.script_mode == !image.command.empty())
      fail(file, where, "give either command (a program) or scriptMode: true (SageMaker's script mode), not both");
    image.runtime = read_string(file, where, item.second, "runtime", "default");
    catalog.images[key] = image;
  }
}

// Cross-references: every name a tier or machine type uses must exist in the catalog.
void check_references(const TierCatalog& catalog) {
  auto need_machine = [&](const std::string& where, const ReplicaShape& shape) {
    if (shape.machine_type.empty()) return;
    if (!catalog.machine_type(shape.machine_type)) {
      throw CatalogError(catalog.source + ": " + where + ".machineType: '" + shape.machine_type +
                         "' is not defined under machineTypes");
    }
  };
  auto need_accelerator = [&](const std::string& where, const std::optional<AcceleratorRequest>& a) {
    if (a && !catalog.accelerator_type(a->type)) {
      throw CatalogError(catalog.source + ": " + where + ".accelerator.type: '" + a->type +
                         "' is not defined under acceleratorTypes");
    }
  };
  for (const auto& [name, tier] : catalog.scale_tiers) {
    std::string where = "scaleTiers." + name;
    need_machine(where + ".master", tier.master);
    need_machine(where + ".worker", tier.worker);
    need_machine(where + ".parameterServer", tier.parameter_server);
    need_accelerator(where + ".master", tier.master.accelerator);
    need_accelerator(where + ".worker", tier.worker.accelerator);
    need_accelerator(where + ".parameterServer", tier.parameter_server.accelerator);
  }
  if (!catalog.prediction_machine_type.empty() && !catalog.machine_type(catalog.prediction_machine_type)) {
    throw CatalogError(catalog.source + ": prediction.machineType: '" + catalog.prediction_machine_type +
                       "' is not defined under machineTypes");
  }
  for (const auto& [key, image] : catalog.images) {
    if (!catalog.runtimes.contains(image.runtime)) {
      throw CatalogError(catalog.source + ": images." + key + ".runtime: '" + image.runtime +
                         "' is not defined under runtimes");
    }
  }
  // A machine type's built-in GPUs may name an accelerator this site lacks: that machine
  // type is then refused when used (planning says so), not the whole catalog.
}

void merge_file(const fs::path& file, TierCatalog& catalog, int depth, std::vector<fs::path>* files_read) {
  if (depth > kMaxExtendsDepth) fail(file, "extends", "chain is longer than 8 files (a loop?)");
  YAML::Node root = load_yaml_file(file, "tier catalog");
  if (files_read) files_read->push_back(file);
  if (!root.IsMap()) fail(file, "(top level)", "a tier catalog is a mapping");
  check_keys(file, "(top level)", root,
             {"extends", "machineTypes", "acceleratorTypes", "scaleTiers", "runtimes", "logs", "images", "storage",
              "prediction"});
  if (root["extends"]) {
    fs::path base = root["extends"].as<std::string>();
    if (base.is_relative()) base = file.parent_path() / base;
    merge_file(base, catalog, depth + 1, files_read);
  }
  if (root["machineTypes"]) read_machine_types(file, root["machineTypes"], catalog);
  if (root["acceleratorTypes"]) read_accelerator_types(file, root["acceleratorTypes"], catalog);
  if (root["scaleTiers"]) read_scale_tiers(file, root["scaleTiers"], catalog);
  if (root["runtimes"]) read_runtimes(file, root["runtimes"], catalog);
  if (root["logs"]) read_logs(file, root["logs"], catalog);
  if (root["images"]) read_images(file, root["images"], catalog);
  if (root["storage"]) read_storage(file, root["storage"], catalog);
  if (root["prediction"]) read_prediction(file, root["prediction"], catalog);
  catalog.source = catalog.source.empty() ? file.string() : file.string() + " (extends " + catalog.source + ")";
}

}  // namespace

TierCatalog load_catalog(const fs::path& file, std::vector<fs::path>* files_read) {
  TierCatalog catalog;
  try {
    merge_file(file, catalog, 0, files_read);
  } catch (const YAML::Exception& e) {
    // A value of the wrong kind where no field reader checks it (a mapping for `extends`, say):
    // yaml-cpp's message gives the line and column.
    throw CatalogError(file.string() + ": " + e.what());
  }
  check_references(catalog);
  return catalog;
}

fs::path effective_catalog_path(const std::string& explicit_path) {
  if (!explicit_path.empty()) return explicit_path;
  if (const char* from_env = std::getenv("MLJOB_TIERS"); from_env && *from_env) return from_env;
  return "/etc/mljob/tiers.yaml";
}

std::int64_t parse_memory_mb(const std::string& text) {
  if (text.empty()) throw std::invalid_argument("memory '' is empty");
  std::size_t used = 0;
  double number = 0;
  try {
    number = std::stod(text, &used);
  } catch (const std::exception&) {
    throw std::invalid_argument("memory '" + text + "' must be a number with an optional unit M, G or T");
  }
  std::string unit = text.substr(used);
  double factor = 0;
  if (unit.empty() || unit == "M" || unit == "MB")
    factor = 1;
  else if (unit == "G" || unit == "GB")
    factor = 1024;
  else if (unit == "T" || unit == "TB")
    factor = 1024 * 1024;
  else
    throw std::invalid_argument("memory '" + text + "' has unknown unit '" + unit + "' (use M, G or T)");
  if (number <= 0) throw std::invalid_argument("memory '" + text + "' must be positive");
  return static_cast<std::int64_t>(std::ceil(number * factor));
}

}  // namespace mljob::tiers
