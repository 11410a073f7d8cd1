// FfDL's front door on the command line: `mljob submit ffdl` takes a manifest.yml and a model
// definition (core/ffdl_manifest.h, jobs/ffdl_staging.h), and `mljob ffdl ...` answers for such
// trainings as FfDL's CLI and REST API do (jobs/ffdl_view.h): show, list, halt, delete, the model
// definition and the trained model as zip files, logs and emetrics. docs/ffdl.md has each
// command with its FfDL equivalent.
#pragma once

#include <string>

#include "bridge/command.h"
#include "bridge/submit_command.h"
#include "core/slurm_access.h"

namespace mljob::bridge {

// mljob submit ffdl --manifest manifest.yml --model-definition model.zip|FOLDER [--tiers FILE]
// [--dry-run]; mljob-submit ffdl ... too (no --dry-run), which prints the training ID.
int submit_ffdl(const Arguments& args, const SlurmAccess& slurm, SubmitOutput output = SubmitOutput::kHuman,
                std::string* submitted_job_id = nullptr);

// mljob ffdl show|list|halt|delete|model-definition|trained-model|logs|emetrics ...
int ffdl_command(const Arguments& args, const SlurmAccess& slurm);

}  // namespace mljob::bridge
