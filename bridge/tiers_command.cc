// mljob tiers show [FILE]: the effective tier catalog, as the planner sees it.
#include <iostream>

#include "base/input_error.h"
#include "bridge/output_format.h"
#include "bridge/tiers_check.h"
#include "bridge/tiers_command.h"
#include "tiers/catalog_loader.h"

namespace mljob::bridge {
namespace {

nlohmann::json accelerator_json(const std::optional<tiers::AcceleratorRequest>& a) {
  if (!a) return nullptr;
  return {{"type", a->type}, {"count", a->count}};
}

nlohmann::json replica_json(const tiers::ReplicaShape& shape) {
  nlohmann::json out = {{"machineType", shape.machine_type}, {"count", shape.count}};
  if (shape.accelerator) out["accelerator"] = accelerator_json(shape.accelerator);
  return out;
}

nlohmann::json catalog_json(const tiers::TierCatalog& catalog) {
  nlohmann::json out;
  out["source"] = catalog.source;
  for (const auto& [name, tier] : catalog.scale_tiers) {
    auto& t = out["scaleTiers"][name];
    t["master"] = replica_json(tier.master);
    if (tier.worker.count) t["worker"] = replica_json(tier.worker);
    if (tier.parameter_server.count) t["parameterServer"] = replica_json(tier.parameter_server);
  }
  for (const auto& [name, type] : catalog.machine_types) {
    auto& m = out["machineTypes"][name];
    m = {{"cpus", type.cpus}, {"memoryMB", type.memory_mb}};
    if (type.accelerator) m["accelerator"] = accelerator_json(type.accelerator);
    if (type.legacy) m["legacy"] = true;
    for (const auto& [key, value] : {std::pair{"partition", type.partition},
                                     {"constraint", type.constraint},
                                     {"qos", type.qos},
                                     {"account", type.account},
                                     {"defaultTime", type.default_time},
                                     {"maxTime", type.max_time}}) {
      if (!value.empty()) m[key] = value;
    }
  }
  for (const auto& [name, type] : catalog.accelerator_types) out["acceleratorTypes"][name] = {{"gres", type.gres_type}};
  for (const auto& [key, env] : catalog.runtimes) {
    auto& r = out["runtimes"][key];
    r["python"] = env.python;
    if (!env.setup.empty()) r["setup"] = env.setup;
    if (!env.refusal.empty()) r["refuse"] = env.refusal;
  }
  return out;
}

}  // namespace

int tiers(const Arguments& args, const SlurmAccess& slurm) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout
        << "mljob tiers show [FILE] [--format yaml|json]  print the effective tier catalog\n"
           "mljob tiers check [FILE]                      check it against the live cluster (exit 1 on problems)\n";
    return args.empty() ? kExitBadInput : kExitOk;
  }
  if (args[0] == "check") return check_tiers(args.size() > 1 ? args[1] : "", slurm);
  if (args[0] != "show") throw InputError("tiers command", args[0], "must be 'show' or 'check'");
  std::string file, format = "yaml";
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--format" && i + 1 < args.size())
      format = args[++i];
    else if (args[i].rfind("--format=", 0) == 0)
      format = args[i].substr(9);
    else
      file = args[i];
  }
  print_formatted(catalog_json(tiers::load_catalog(tiers::effective_catalog_path(file))), format);
  return kExitOk;
}

}  // namespace mljob::bridge
