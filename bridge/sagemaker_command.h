// SageMaker's front door on the command line: `mljob submit sagemaker FILE.json` takes a
// CreateTrainingJob request as boto3 sends it (core/sagemaker_training.h); describe and list
// answer for such jobs in SageMaker's shapes (jobs/sagemaker_view.h).
#pragma once

#include <string>

#include "bridge/command.h"
#include "bridge/submit_command.h"
#include "core/slurm_access.h"

namespace mljob::bridge {

// mljob submit sagemaker FILE.json [--tiers FILE] [--dry-run] [--stream-logs]; mljob-submit
// sagemaker FILE.json too. `FILE` may be "-" for stdin.
int submit_sagemaker(const Arguments& args, const SlurmAccess& slurm, SubmitOutput output = SubmitOutput::kHuman,
                     std::string* submitted_job_id = nullptr);

// mljob submit sagemaker-tuning FILE.json [--tiers FILE] [--dry-run]: a
// CreateHyperParameterTuningJob request on its own. It runs as a study (study/) whose trials are
// SageMaker training jobs made from its TrainingJobDefinition; mljob-submit sagemaker-tuning too.
int submit_sagemaker_tuning(const Arguments& args, const SlurmAccess& slurm, SubmitOutput output = SubmitOutput::kHuman,
                            std::string* submitted_job_id = nullptr);

}  // namespace mljob::bridge
