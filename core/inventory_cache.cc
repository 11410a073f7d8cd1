#include "core/inventory_cache.h"

#include <cstdio>
#include <cstdlib>

#include "base/files.h"

namespace mljob {
namespace {

namespace fs = std::filesystem;

std::string cache_name() {
  const char* conf = std::getenv("SLURM_CONF");
  std::string key = conf && *conf ? conf : "default";
  char name[48];
  std::snprintf(name, sizeof name, "sinfo-%016zx.txt", std::hash<std::string>{}(key));
  return name;
}

}  // namespace

InventoryCache::InventoryCache(const fs::path& folder, std::chrono::seconds max_age)
    : folder_(folder), name_(cache_name()), file_(folder / name_), max_age_(max_age) {}

std::optional<ClusterInventory> InventoryCache::load_fresh() const {
  std::optional<CacheFile> cached = read_cache_file(folder_, name_);
  if (!cached || cached->text.empty()) return std::nullopt;
  auto age = std::chrono::system_clock::now() - cached->modified;
  if (age < std::chrono::seconds(0) || age > max_age_) return std::nullopt;
  try {
    return parse_sinfo_nodes(cached->text);
  } catch (const std::exception&) {
    return std::nullopt;  // a damaged cache is no cache
  }
}

void InventoryCache::save(const std::string& sinfo_output) const {
  write_cache_file(folder_, name_, sinfo_output);
}

}  // namespace mljob
