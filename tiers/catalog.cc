#include "tiers/catalog.h"

#include <string_view>

namespace mljob::tiers {
namespace {

template <typename Value>
const Value* find_in(const std::map<std::string, Value>& table, const std::string& key) {
  auto it = table.find(key);
  return it == table.end() ? nullptr : &it->second;
}

template <typename Value>
std::vector<std::string> keys_of(const std::map<std::string, Value>& table) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : table) keys.push_back(key);
  return keys;
}

}  // namespace

const MachineType* TierCatalog::machine_type(const std::string& name) const {
  return find_in(machine_types, name);
}

const AcceleratorType* TierCatalog::accelerator_type(const std::string& name) const {
  return find_in(accelerator_types, name);
}

const ScaleTier* TierCatalog::scale_tier(const std::string& name) const {
  return find_in(scale_tiers, name);
}

const RuntimeEnvironment* TierCatalog::runtime(const std::string& runtime_version,
                                               const std::string& python_version) const {
  if (!runtime_version.empty()) {
    if (!python_version.empty()) {
      if (auto* exact = find_in(runtimes, runtime_version + "/" + python_version)) return exact;
    }
    if (auto* by_runtime = find_in(runtimes, runtime_version)) return by_runtime;
  }
  return find_in(runtimes, std::string("default"));
}

const Image* TierCatalog::image(const std::string& name) const {
  if (auto* exact = find_in(images, name)) return exact;
  const Image* best = nullptr;
  std::size_t best_length = 0;
  for (const auto& [key, image] : images) {
    if (key.empty() || key.back() != '*') continue;
    std::string_view stem(key.data(), key.size() - 1);
    if (std::string_view(name).starts_with(stem) && (!best || stem.size() > best_length)) {
      best = &image;
      best_length = stem.size();
    }
  }
  return best;
}

std::optional<std::string> TierCatalog::local_path(const std::string& uri) const {
  const std::pair<const std::string, std::string>* best = nullptr;
  for (const auto& entry : storage) {
    const std::string& prefix = entry.first;
    bool folder_itself = uri + "/" == prefix;
    if ((uri.starts_with(prefix) || folder_itself) && (!best || prefix.size() > best->first.size())) best = &entry;
  }
  if (!best) return std::nullopt;
  if (uri.size() < best->first.size()) return best->second;
  return best->second + uri.substr(best->first.size());
}

std::vector<std::string> TierCatalog::scale_tier_names() const {
  return keys_of(scale_tiers);
}
std::vector<std::string> TierCatalog::machine_type_names() const {
  return keys_of(machine_types);
}
std::vector<std::string> TierCatalog::accelerator_type_names() const {
  return keys_of(accelerator_types);
}

}  // namespace mljob::tiers
