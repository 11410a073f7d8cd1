// Reading an admin's YAML file (the tier catalog, the model registry) field by field, each
// problem a CatalogError naming the file, the entry's YAML path and the rule.
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <set>
#include <string>

namespace mljob::tiers {

// The file's YAML document. Throws CatalogError naming the file when it cannot be read, is past
// the bounds on a document (base/document_limits.h) or is not valid YAML; `what` names the kind
// of file in the message ("tier catalog", "model registry").
YAML::Node load_yaml_file(const std::filesystem::path& file, const std::string& what);

// Throws CatalogError("FILE: WHERE: WHAT").
[[noreturn]] void fail(const std::filesystem::path& file, const std::string& where, const std::string& what);

// Refuses a key of `node` that is not in `allowed`, listing those that are.
void check_keys(const std::filesystem::path& file, const std::string& where, const YAML::Node& node,
                const std::set<std::string>& allowed);

// node[key] as a string; `fallback` when absent; refused when it is no scalar.
std::string read_string(const std::filesystem::path& file, const std::string& where, const YAML::Node& node,
                        const std::string& key, const std::string& fallback = "");

// node[key] as true or false; `fallback` when absent; refused when it is anything else.
bool read_bool(const std::filesystem::path& file, const std::string& where, const YAML::Node& node,
               const std::string& key, bool fallback = false);

}  // namespace mljob::tiers
