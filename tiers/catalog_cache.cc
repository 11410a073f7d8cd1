#include "tiers/catalog_cache.h"

#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include "base/files.h"
#include "tiers/catalog_loader.h"

namespace mljob::tiers {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Raised whenever what the cache holds changes shape, so that an older entry is never read.
constexpr int kCacheFormat = 3;  // 2: images and storage; 3: prediction, runtimes' predictor

json accelerator_json(const std::optional<AcceleratorRequest>& accelerator) {
  if (!accelerator) return nullptr;
  return {{"type", accelerator->type}, {"count", accelerator->count}};
}

std::optional<AcceleratorRequest> accelerator_from(const json& value) {
  if (value.is_null()) return std::nullopt;
  return AcceleratorRequest{value.at("type").get<std::string>(), value.at("count").get<int>()};
}

json shape_json(const ReplicaShape& shape) {
  return {{"machineType", shape.machine_type},
          {"count", shape.count},
          {"accelerator", accelerator_json(shape.accelerator)}};
}

ReplicaShape shape_from(const json& value) {
  return {value.at("machineType").get<std::string>(), value.at("count").get<int>(),
          accelerator_from(value.at("accelerator"))};
}

json machine_json(const MachineType& machine) {
  return {{"name", machine.name},
          {"cpus", machine.cpus},
          {"memoryMb", machine.memory_mb},
          {"accelerator", accelerator_json(machine.accelerator)},
          {"partition", machine.partition},
          {"constraint", machine.constraint},
          {"qos", machine.qos},
          {"account", machine.account},
          {"defaultTime", machine.default_time},
          {"maxTime", machine.max_time},
          {"legacy", machine.legacy}};
}

MachineType machine_from(const json& value) {
  MachineType machine;
  machine.name = value.at("name").get<std::string>();
  machine.cpus = value.at("cpus").get<int>();
  machine.memory_mb = value.at("memoryMb").get<std::int64_t>();
  machine.accelerator = accelerator_from(value.at("accelerator"));
  machine.partition = value.at("partition").get<std::string>();
  machine.constraint = value.at("constraint").get<std::string>();
  machine.qos = value.at("qos").get<std::string>();
  machine.account = value.at("account").get<std::string>();
  machine.default_time = value.at("defaultTime").get<std::string>();
  machine.max_time = value.at("maxTime").get<std::string>();
  machine.legacy = value.at("legacy").get<bool>();
  return machine;
}

// What identifies one version of a file: a rewrite changes the change time at least (which
// no user can set back), a replacement the inode.
json file_identity(const fs::path& file) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0) return nullptr;
  return {{"path", file.string()},
          {"device", static_cast<std::uint64_t>(info.st_dev)},
          {"inode", static_cast<std::uint64_t>(info.st_ino)},
          {"size", static_cast<std::int64_t>(info.st_size)},
          {"mtime", {info.st_mtim.tv_sec, info.st_mtim.tv_nsec}},
          {"ctime", {info.st_ctim.tv_sec, info.st_ctim.tv_nsec}}};
}

// A file changed in the last seconds may have changed while it was read, after or before its
// identity was taken (as git's "racily clean" index entries): such a catalog is not cached.
bool recently_changed(const json& identities, std::chrono::seconds settle) {
  std::int64_t since = static_cast<std::int64_t>(std::time(nullptr)) - settle.count();
  for (const auto& identity : identities) {
    if (identity.is_null()) return true;
    if (identity["mtime"][0].get<std::int64_t>() > since || identity["ctime"][0].get<std::int64_t>() > since)
      return true;
  }
  return false;
}

bool files_unchanged(const json& files) {
  if (!files.is_array() || files.empty()) return false;
  for (const auto& recorded : files) {
    if (!recorded.is_object() || !recorded.contains("path") || !recorded["path"].is_string()) return false;
    if (file_identity(recorded["path"].get<std::string>()) != recorded) return false;
  }
  return true;
}

std::string cache_name(const fs::path& catalog) {
  char name[48];
  std::snprintf(name, sizeof name, "tiers-%016zx.json", std::hash<std::string>{}(catalog.string()));
  return name;
}

// Only an entry the user's own and writable by no one else is read (base/files.h): its
// runtimes' `setup` lines go into job.sbatch, which runs as the user.
std::optional<TierCatalog> read_cache(const fs::path& folder, const std::string& name) {
  std::optional<CacheFile> cached = read_cache_file(folder, name);
  if (!cached) return std::nullopt;
  try {
    json entry = json::parse(cached->text);
    if (entry.value("format", 0) != kCacheFormat || !files_unchanged(entry.at("files"))) return std::nullopt;
    return catalog_from_json(entry.at("catalog"));
  } catch (const json::exception&) {
    return std::nullopt;  // a damaged cache is no cache
  }
}

}  // namespace

json catalog_to_json(const TierCatalog& catalog) {
  json out = {{"source", catalog.source},           {"machineTypes", json::object()},
              {"acceleratorTypes", json::object()}, {"scaleTiers", json::object()},
              {"runtimes", json::object()},         {"maxLogBytesPerJob", catalog.max_log_bytes_per_job}};
  for (const auto& [name, machine] : catalog.machine_types) out["machineTypes"][name] = machine_json(machine);
  for (const auto& [name, type] : catalog.accelerator_types) {
    out["acceleratorTypes"][name] = {{"name", type.name}, {"gresType", type.gres_type}};
  }
  for (const auto& [name, tier] : catalog.scale_tiers) {
    out["scaleTiers"][name] = {{"name", tier.name},
                               {"master", shape_json(tier.master)},
                               {"worker", shape_json(tier.worker)},
                               {"parameterServer", shape_json(tier.parameter_server)}};
  }
  out["storage"] = catalog.storage;
  out["prediction"] = {{"machineType", catalog.prediction_machine_type}, {"modelRegistry", catalog.model_registry}};
  out["images"] = json::object();
  for (const auto& [key, image] : catalog.images) {
    out["images"][key] = {
        {"key", image.key}, {"command", image.command}, {"scriptMode", image.script_mode}, {"runtime", image.runtime}};
  }
  for (const auto& [key, runtime] : catalog.runtimes) {
    out["runtimes"][key] = {{"key", runtime.key},
                            {"python", runtime.python},
                            {"setup", runtime.setup},
                            {"refusal", runtime.refusal},
                            {"predictor", runtime.predictor}};
  }
  return out;
}

TierCatalog catalog_from_json(const json& value) {
  TierCatalog catalog;
  catalog.source = value.at("source").get<std::string>();
  for (const auto& [name, machine] : value.at("machineTypes").items())
    catalog.machine_types[name] = machine_from(machine);
  for (const auto& [name, type] : value.at("acceleratorTypes").items()) {
    catalog.accelerator_types[name] = {type.at("name").get<std::string>(), type.at("gresType").get<std::string>()};
  }
  for (const auto& [name, tier] : value.at("scaleTiers").items()) {
    catalog.scale_tiers[name] = {tier.at("name").get<std::string>(), shape_from(tier.at("master")),
                                 shape_from(tier.at("worker")), shape_from(tier.at("parameterServer"))};
  }
  for (const auto& [key, runtime] : value.at("runtimes").items()) {
    catalog.runtimes[key] = {runtime.at("key").get<std::string>(), runtime.at("python").get<std::string>(),
                             runtime.at("setup").get<std::string>(), runtime.at("refusal").get<std::string>(),
                             runtime.at("predictor").get<std::string>()};
  }
  catalog.max_log_bytes_per_job = value.value("maxLogBytesPerJob", std::uint64_t{0});
  catalog.storage = value.at("storage").get<std::map<std::string, std::string>>();
  catalog.prediction_machine_type = value.at("prediction").at("machineType").get<std::string>();
  catalog.model_registry = value.at("prediction").at("modelRegistry").get<std::string>();
  for (const auto& [key, image] : value.at("images").items()) {
    catalog.images[key] = {image.at("key").get<std::string>(), image.at("command").get<std::vector<std::string>>(),
                           image.at("scriptMode").get<bool>(), image.at("runtime").get<std::string>()};
  }
  return catalog;
}

TierCatalog load_catalog_cached(const fs::path& file, const fs::path& cache_folder, std::chrono::seconds settle) {
  // Absolute, so that the same relative --tiers from another folder is another entry.
  std::error_code error;
  fs::path absolute = fs::absolute(file, error);
  if (error) return load_catalog(file);
  std::string entry_name = cache_name(absolute);
  if (auto cached = read_cache(cache_folder, entry_name)) return *cached;

  std::vector<fs::path> files;
  TierCatalog catalog = load_catalog(absolute, &files);
  json identities = json::array();
  for (const auto& read : files) identities.push_back(file_identity(read));
  if (!recently_changed(identities, settle)) {
    json entry = {{"format", kCacheFormat}, {"files", identities}, {"catalog", catalog_to_json(catalog)}};
    write_cache_file(cache_folder, entry_name, entry.dump());
  }
  return catalog;
}

}  // namespace mljob::tiers
