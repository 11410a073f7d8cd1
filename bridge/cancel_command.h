// mljob cancel JOB_ID: the cancel recorded first (describe says CANCELLING), then asked of Slurm; a study's trials with
// it.
#pragma once

#include "bridge/command.h"
#include "core/slurm_access.h"

namespace mljob::bridge {

int cancel(const Arguments& args, const SlurmAccess& slurm);

}  // namespace mljob::bridge
