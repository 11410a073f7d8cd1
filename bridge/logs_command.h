// mljob logs JOB_ID: the job's log lines from metrics.db (every replica's, labelled by role),
// paged, as text or FfDL's LogLine records; --follow until the job ends.
#pragma once

#include "bridge/command.h"
#include "core/slurm_access.h"

namespace mljob::bridge {

int logs_command(const Arguments& args, const SlurmAccess& slurm);

}  // namespace mljob::bridge
