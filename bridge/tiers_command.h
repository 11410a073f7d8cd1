// mljob tiers [show|check FILE]: the site's catalog as mljob reads it, and checked against the
// live cluster (bridge/tiers_check.h).
#pragma once

#include "bridge/command.h"
#include "core/slurm_access.h"

namespace mljob::bridge {

int tiers(const Arguments& args, const SlurmAccess& slurm);

}  // namespace mljob::bridge
