#include "core/inventory_cache.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

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
    : file_(folder / cache_name()), max_age_(max_age) {}

std::optional<ClusterInventory> InventoryCache::load_fresh() const {
  std::error_code error;
  auto written = fs::last_write_time(file_, error);
  if (error) return std::nullopt;
  auto age = fs::file_time_type::clock::now() - written;
  if (age < std::chrono::seconds(0) || age > max_age_) return std::nullopt;
  std::ifstream in(file_);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in || text.str().empty()) return std::nullopt;
  try {
    return parse_sinfo_nodes(text.str());
  } catch (const std::exception&) {
    return std::nullopt;  // a damaged cache is no cache
  }
}

void InventoryCache::save(const std::string& sinfo_output) const {
  std::error_code error;
  fs::create_directories(file_.parent_path(), error);
  fs::path temporary = file_;
  temporary += "." + std::to_string(::getpid());
  {
    std::ofstream out(temporary);
    out << sinfo_output;
    if (!out) return;
  }
  fs::rename(temporary, file_, error);
  if (error) fs::remove(temporary, error);
}

}  // namespace mljob
