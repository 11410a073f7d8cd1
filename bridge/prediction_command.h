// mljob submit prediction JOB_ID [flags]: gcloud ai-platform jobs submit prediction, on Slurm
// (a job array, an element per shard); and mljob resume JOB_ID, which runs a prediction job's
// unfinished shards again.
#pragma once

#include <string>

#include "bridge/command.h"
#include "bridge/submit_command.h"
#include "core/slurm_access.h"

namespace mljob::bridge {

int submit_prediction(const Arguments& args, const SlurmAccess& slurm, SubmitOutput output = SubmitOutput::kHuman,
                      std::string* submitted_job_id = nullptr);

int resume(const Arguments& args, const SlurmAccess& slurm);

}  // namespace mljob::bridge
