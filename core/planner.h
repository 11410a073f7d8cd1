// Planning: spec in, Slurm plan out. Pure: no Slurm, no files, so every tier and every
// CUSTOM shape can be tested and dry-run anywhere.
#pragma once

#include <string>

#include "core/job.h"
#include "core/plan.h"
#include "tiers/catalog.h"

namespace mljob {

struct PlanContext {
  std::string job_dir;                   // passed to the program as --job-dir
  std::vector<std::string> python_path;  // the staged packages (see package_stager.h)
};

// Throws InputError when the catalog cannot serve the job (a tier or type not offered here).
SlurmPlan plan_job(const Job& job, const tiers::TierCatalog& catalog, const PlanContext& context);

}  // namespace mljob
