// mljob describe JOB_ID: one Job resource, state from Slurm, metrics and a study's trials added.
#pragma once

#include "bridge/command.h"
#include "core/slurm_access.h"

namespace mljob::bridge {

int describe(const Arguments& args, const SlurmAccess& slurm);

}  // namespace mljob::bridge
