// mljob tiers check [FILE]: every tier and machine type of the catalog planned against the live
// cluster's inventory; says which can never start, and exits 1 if any.
#pragma once

#include <string>

#include "core/slurm_access.h"

namespace mljob::bridge {

int check_tiers(const std::string& catalog_file, const SlurmAccess& slurm);

}  // namespace mljob::bridge
