#include "tiers/model_registry.h"

#include <yaml-cpp/yaml.h>

#include "tiers/catalog_loader.h"
#include "tiers/yaml_fields.h"

namespace mljob::tiers {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> read_list(const fs::path& file, const std::string& where, const YAML::Node& node,
                                   const std::string& key) {
  if (!node[key]) return {};
  if (!node[key].IsSequence()) fail(file, where + "." + key, "must be a list of strings");
  std::vector<std::string> out;
  for (const auto& item : node[key]) out.push_back(item.as<std::string>());
  return out;
}

ModelVersion read_version(const fs::path& file, const std::string& where, const YAML::Node& node) {
  if (!node.IsMap()) fail(file, where, "must be a mapping {path, predictor, ...}");
  check_keys(file, where, node,
             {"path", "predictor", "predictionClass", "packageUris", "runtimeVersion", "machineType"});
  ModelVersion entry;
  entry.path = read_string(file, where, node, "path");
  if (entry.path.empty()) fail(file, where + ".path", "is required: the model's folder");
  if (fs::path(entry.path).is_relative())
    entry.path = fs::absolute(file.parent_path() / entry.path).lexically_normal().string();
  entry.predictor = read_string(file, where, node, "predictor");
  if (entry.predictor != "sklearn" && entry.predictor != "torchscript" && entry.predictor != "custom")
    fail(file, where + ".predictor", "value '" + entry.predictor + "' must be sklearn, torchscript or custom");
  entry.prediction_class = read_string(file, where, node, "predictionClass");
  entry.package_uris = read_list(file, where, node, "packageUris");
  if (entry.predictor == "custom" && entry.prediction_class.empty())
    fail(file, where + ".predictionClass", "is required for a custom predictor: package.module.Class");
  if (entry.predictor != "custom" && (!entry.prediction_class.empty() || !entry.package_uris.empty()))
    fail(file, where + ".predictionClass", "is for custom predictors only (this one is " + entry.predictor + ")");
  entry.runtime_version = read_string(file, where, node, "runtimeVersion");
  entry.machine_type = read_string(file, where, node, "machineType");
  return entry;
}

void read_model(const fs::path& file, const std::string& name, const YAML::Node& node, ModelRegistry& registry) {
  std::string where = "models." + name;
  if (!node.IsMap()) fail(file, where, "must be a mapping {defaultVersion, versions}");
  check_keys(file, where, node, {"defaultVersion", "versions"});
  if (!node["versions"] || !node["versions"].IsMap() || node["versions"].size() == 0)
    fail(file, where + ".versions", "must be a mapping of at least one version {NAME: {path, predictor}}");
  for (const auto& item : node["versions"]) {
    auto version = item.first.as<std::string>();
    ModelVersion entry = read_version(file, where + ".versions." + version, item.second);
    entry.model = name;
    entry.version = version;
    registry.versions[name][version] = entry;
  }
  std::string fallback = read_string(file, where, node, "defaultVersion");
  if (fallback.empty() && registry.versions[name].size() == 1) fallback = registry.versions[name].begin()->first;
  if (fallback.empty()) fail(file, where + ".defaultVersion", "is required when a model has several versions");
  if (!registry.versions[name].contains(fallback))
    fail(file, where + ".defaultVersion", "'" + fallback + "' is not one of its versions");
  registry.default_versions[name] = fallback;
}

}  // namespace

ModelRegistry load_model_registry(const fs::path& file) {
  YAML::Node root = load_yaml_file(file, "model registry");
  ModelRegistry registry;
  registry.source = file.string();
  if (!root.IsMap()) fail(file, "(top level)", "a model registry is a mapping {models: ...}");
  check_keys(file, "(top level)", root, {"models"});
  if (root["models"] && !root["models"].IsMap()) fail(file, "models", "must be a mapping {MODEL: {versions}}");
  try {
    if (root["models"]) {
      for (const auto& item : root["models"]) read_model(file, item.first.as<std::string>(), item.second, registry);
    }
  } catch (const YAML::Exception& e) {  // a value of the wrong kind no field reader checks
    throw CatalogError(file.string() + ": " + e.what());
  }
  return registry;
}

}  // namespace mljob::tiers
