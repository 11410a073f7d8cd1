// mljob update JOB_ID: a job's labels changed, under its etag.
#pragma once

#include "bridge/command.h"
#include "core/slurm_access.h"

namespace mljob::bridge {

int update(const Arguments& args);

}  // namespace mljob::bridge
