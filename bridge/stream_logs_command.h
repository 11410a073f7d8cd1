// mljob stream-logs JOB_ID: the job's output.log as gcloud's stream-logs shows it (the
// master's lines, or every replica's), --follow until the job ends.
#pragma once

#include "bridge/command.h"
#include "core/slurm_access.h"

namespace mljob::bridge {

int stream_logs(const Arguments& args, const SlurmAccess& slurm);

}  // namespace mljob::bridge
