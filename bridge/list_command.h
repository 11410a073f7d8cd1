// mljob list: the user's jobs, filtered and paged as the API's ListJobs.
#pragma once

#include "bridge/command.h"
#include "core/slurm_access.h"

namespace mljob::bridge {

int list(const Arguments& args, const SlurmAccess& slurm);

}  // namespace mljob::bridge
