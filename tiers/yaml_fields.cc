#include "tiers/yaml_fields.h"

#include <yaml-cpp/depthguard.h>

#include "base/document_limits.h"
#include "base/input_error.h"
#include "tiers/catalog_loader.h"

namespace mljob::tiers {

namespace fs = std::filesystem;

YAML::Node load_yaml_file(const fs::path& file, const std::string& what) {
  try {
    return YAML::Load(read_document_file(file, what));
  } catch (const InputError& e) {
    throw CatalogError(file.string() + ": cannot read the " + what + ": " + e.rule());
  } catch (const YAML::DeepRecursion&) {
    throw CatalogError(file.string() + ": " + nesting_rule());
  } catch (const YAML::Exception& e) {
    throw CatalogError(file.string() + ": not valid YAML: " + e.what());
  }
}

void fail(const fs::path& file, const std::string& where, const std::string& what) {
  throw CatalogError(file.string() + ": " + where + ": " + what);
}

void check_keys(const fs::path& file, const std::string& where, const YAML::Node& node,
                const std::set<std::string>& allowed) {
  for (const auto& item : node) {
    if (!item.first.IsScalar()) fail(file, where, "a key must be a plain name, not a list or a mapping");
    auto key = item.first.as<std::string>();
    if (allowed.contains(key)) continue;
    std::string list;
    for (const auto& name : allowed) list += (list.empty() ? "" : ", ") + name;
    fail(file, where + "." + key, "unknown key (expected one of: " + list + ")");
  }
}

std::string read_string(const fs::path& file, const std::string& where, const YAML::Node& node, const std::string& key,
                        const std::string& fallback) {
  if (!node[key]) return fallback;
  try {
    return node[key].as<std::string>();
  } catch (const YAML::Exception&) {
    fail(file, where + "." + key, "must be a string");
  }
}

bool read_bool(const fs::path& file, const std::string& where, const YAML::Node& node, const std::string& key,
               bool fallback) {
  if (!node[key]) return fallback;
  bool value = false;
  if (!node[key].IsScalar() || !YAML::convert<bool>::decode(node[key], value)) {
    fail(file, where + "." + key, "must be true or false");
  }
  return value;
}

}  // namespace mljob::tiers
