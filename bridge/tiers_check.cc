// mljob tiers check [FILE]: is the catalog true to the live cluster? Every machine type and
// every scale tier is planned exactly as a submission would be, then fit-checked.
#include <iostream>

#include "base/input_error.h"
#include "bridge/command.h"
#include "bridge/tiers_check.h"
#include "core/fit_check.h"
#include "core/planner.h"
#include "core/slurm_commands.h"
#include "tiers/catalog_loader.h"

namespace mljob::bridge {
namespace {

Job probe_job(const std::string& scale_tier, const std::string& master_type) {
  Job job;
  job.job_id = "tiers_check";
  job.training_input.scale_tier = scale_tier;
  job.training_input.master_type = master_type;
  job.training_input.python_module = "probe";
  return job;
}

// Problems with one planned probe job, or the planner's own refusal.
std::vector<std::string> check_probe(const Job& job, const tiers::TierCatalog& catalog,
                                     const ClusterInventory& cluster) {
  try {
    return reasons_plan_never_fits(plan_job(job, catalog, {"/probe", {}}), cluster);
  } catch (const InputError& e) {
    return {e.value() + ": " + e.rule()};
  }
}

}  // namespace

int check_tiers(const std::string& file, const SlurmAccess& slurm) {
  tiers::TierCatalog catalog = tiers::load_catalog(tiers::effective_catalog_path(file));
  ClusterInventory cluster = slurm.inventory();
  int problems = 0;
  auto report = [&](const std::string& what, const std::vector<std::string>& reasons) {
    for (const auto& reason : reasons) {
      std::cout << "PROBLEM " << what << ": " << reason << "\n";
      ++problems;
    }
  };
  for (const auto& [name, type] : catalog.machine_types) {
    if (!type.partition.empty() && !cluster.partitions.contains(type.partition)) {
      report("machine type " + name, {"partition '" + type.partition + "' does not exist on this cluster"});
      continue;
    }
    report("machine type " + name, check_probe(probe_job("CUSTOM", name), catalog, cluster));
  }
  for (const auto& [name, accelerator] : catalog.accelerator_types) {
    if (!cluster.gpu_types.contains(accelerator.gres_type)) {
      report("accelerator type " + name, {"GRES type '" + accelerator.gres_type + "' is on no node of this cluster"});
    }
  }
  for (const auto& name : catalog.scale_tier_names()) {
    report("scale tier " + name, check_probe(probe_job(name, ""), catalog, cluster));
  }
  std::cout << (problems ? "FAILED" : "OK") << ": " << catalog.machine_types.size() << " machine types, "
            << catalog.accelerator_types.size() << " accelerator types and " << catalog.scale_tiers.size()
            << " scale tiers of " << catalog.source << " checked against " << cluster.nodes.size() << " nodes; "
            << problems << " problem(s)\n";
  return problems ? kExitFailure : kExitOk;
}

}  // namespace mljob::bridge
