// mljob study run|resume JOB_ID: the study runtime on Slurm (study/study_controller.h);
// mljob study init|ask|tell|report|show|serve: the tuner's ask/tell interface (tuner/README.md).
#pragma once

#include "bridge/command.h"
#include "core/slurm_access.h"

namespace mljob::bridge {

int study_command(const Arguments& args, const SlurmAccess& slurm);

}  // namespace mljob::bridge
