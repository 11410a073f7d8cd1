// mljob submit training JOB_ID [flags] [-- USER_ARGS...]: gcloud ai-platform jobs submit
// training, on Slurm; mljob-submit's submission too.
#pragma once

#include <string>

#include "bridge/command.h"
#include "core/job.h"
#include "core/plan.h"
#include "core/slurm_access.h"

namespace mljob::bridge {

// How submit reports: mljob's human form, or mljob-submit's job ID alone / one JSON line.
// kSilent prints nothing (the caller reports); `submitted_job_id`, if given, receives the ID.
enum class SubmitOutput { kHuman, kJobIdOnly, kJson, kSilent };
int submit_training(const Arguments& args, const SlurmAccess& slurm, SubmitOutput output = SubmitOutput::kHuman,
                    std::string* submitted_job_id = nullptr);

// "# Plan: ..." lines for --dry-run: the components, their roles and resources.
void print_plan(const SlurmPlan& plan);
// "# Fit: ..." for --dry-run: whether the cluster can ever run the plan (refused: InputError).
void print_fit(const Job& job, const SlurmPlan& plan, const SlurmAccess& slurm);

}  // namespace mljob::bridge
