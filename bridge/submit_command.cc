// mljob submit training JOB_ID [flags] [-- USER_ARGS...]: gcloud ai-platform jobs submit
// training, on Slurm. Flags override the --config file as gcloud does.
#include <boost/program_options.hpp>

#include <chrono>
#include <fstream>
#include <functional>
#include <iostream>
#include <thread>

#include "base/input_error.h"
#include "base/interruption.h"
#include "bridge/output_format.h"
#include "bridge/output_tail.h"
#include "bridge/submit_command.h"
#include "bridge/submit_flags.h"
#include "core/batch_script.h"
#include "core/inventory_cache.h"
#include "core/planner.h"
#include "jobs/job_preparation.h"
#include "jobs/job_waiting.h"
#include "jobs/metrics_declarations.h"
#include "study/study_controller.h"
#include "study/study_resources.h"
#include "tiers/catalog_loader.h"

namespace mljob::bridge {
namespace {

using jobs::check_fit;
using jobs::collector_wrapper;
using jobs::component_role_names;
using jobs::kInventoryMaxAge;
using jobs::prepare_job_folder;
using jobs::PreparedJob;
using jobs::refuse_if_never_fits;
using jobs::wait_for_end;

namespace fs = std::filesystem;

}  // namespace

void print_plan(const SlurmPlan& plan) {
  std::cout << "# Plan: " << plan.components.size() << " heterogeneous component(s), " << plan.total_tasks()
            << " task(s), roles " << plan.ml_roles() << "\n";
  for (std::size_t c = 0; c < plan.components.size(); ++c) {
    const auto& comp = plan.components[c];
    std::cout << "#   component " << c << ": " << component_role_names(plan)[c] << ", " << comp.tasks << " x ("
              << comp.machine_type << ": " << comp.cpus_per_task << " CPUs, "
              << comp.memory_per_cpu_mb * comp.cpus_per_task << " MB";
    if (comp.gpus_per_task) std::cout << ", " << comp.gpus_per_task << " GPU " << comp.gpu_type;
    std::cout << ")\n";
  }
}

void print_fit(const Job& job, const SlurmPlan& plan, const SlurmAccess& slurm) {
  try {
    refuse_if_never_fits(job, plan, slurm.inventory());
    std::cout << "# Fit: the cluster can run this plan\n";
  } catch (const SlurmError& e) {
    std::cout << "# Fit: not checked (" << e.what() << ")\n";
  }
}

namespace {

// Waits for the job to end, printing its output as it grows. Exit 0 only on SUCCEEDED.
int stream_until_done(const JobStore& store, const std::string& job_id, const SlurmAccess& slurm) {
  OutputTail output(store.folder_of(job_id) / "output.log");
  nlohmann::json resource = wait_for_end(job_id, slurm, [&](const nlohmann::json&) { output.print_new(std::cout); });
  output.print_new(std::cout);
  std::string state = resource["state"];
  std::cerr << "Job [" << job_id << "] ended: " << state;
  if (resource.contains("errorMessage")) std::cerr << ": " << resource["errorMessage"].get<std::string>();
  std::cerr << "\n";
  return state == "SUCCEEDED" ? kExitOk : kExitFailure;
}

// The spec from the command line, with the API's defaults applied and every rule checked.
struct CheckedSubmission {
  SubmitFlags flags;
  jobs::CheckedJob checked;
};

CheckedSubmission check_submission(const Arguments& args) {
  SubmitFlags flags = parse_submit_flags(args);
  jobs::CheckedJob checked = jobs::check_job(job_from_flags(flags), flags.tiers_file);
  return {std::move(flags), std::move(checked)};
}

// Reserves the job's (or the study's) folder, fills it, submits it and records it. From the
// reservation on, a Ctrl-C or SIGTERM undoes what is half-done (base/interruption.h); one that
// comes once the job is submitted and recorded ends the command after it has said so.
void submit_and_record(Job& job, bool is_a_study, const tiers::TierCatalog& catalog, const JobStore& store,
                       const SubmitFlags& flags, SubmitOutput output, const SlurmAccess& slurm) {
  InterruptionGuard interruption;
  if (is_a_study) {
    // Each trial stages the packages itself: a local package folder is passed on as a path.
    if (!flags.package_path.empty())
      job.training_input.package_uris.push_back(fs::absolute(flags.package_path).string());
    study::submit_study(job, store, tiers::effective_catalog_path(flags.tiers_file),
                        slurm);  // its trials use the same catalog
    if (output == SubmitOutput::kHuman)
      std::cerr << "Study [" << job.job_id << "] submitted: its controller runs as a Slurm job.\n";
    return;
  }
  PreparedJob prepared = prepare_job_folder(job, catalog, store, flags.package_path);
  jobs::submit_and_save(prepared, job.job_id, store, slurm);
  if (output == SubmitOutput::kHuman) {
    std::cerr << "Job [" << job.job_id << "] submitted successfully as Slurm job " << prepared.record.slurm_job_id
              << ".\n";
  }
}

}  // namespace

namespace {

// --format prints the Job resource that was submitted; a dry run submits none, and
// --stream-logs prints the job's output instead.
void check_submit_format(const SubmitFlags& flags) {
  if (flags.format.empty()) return;
  require_format(flags.format, {"yaml", "json"});
  if (flags.dry_run || flags.stream_logs) {
    throw InputError(
        "--format", flags.format,
        std::string("prints the submitted Job resource, which ") +
            (flags.dry_run ? "--dry-run does not submit" : "--stream-logs replaces with the job's output"));
  }
}

// The Job resource of a job just submitted, as `mljob describe` answers it (state from Slurm).
nlohmann::json described_job(const JobStore& store, const std::string& job_id, const SlurmAccess& slurm) {
  auto record = store.load(job_id);
  if (!record) throw std::runtime_error("the record of job " + job_id + " disappeared");
  return study::described_job(*record, slurm);
}

}  // namespace

int submit_training(const Arguments& args, const SlurmAccess& slurm, SubmitOutput output,
                    std::string* submitted_job_id) {
  CheckedSubmission submission = check_submission(args);
  const SubmitFlags& flags = submission.flags;
  jobs::CheckedJob& checked = submission.checked;
  if (output != SubmitOutput::kHuman && (flags.dry_run || flags.stream_logs)) {
    throw InputError(flags.dry_run ? "--dry-run" : "--stream-logs", "",
                     "is for `mljob submit training`; mljob-submit only submits (use --wait)");
  }
  check_submit_format(flags);
  Job& job = checked.job;
  const tiers::TierCatalog& catalog = checked.catalog;
  const std::vector<std::string>& defaulted = checked.defaulted;
  bool is_a_study = study::is_study(job);

  JobStore store = JobStore::from_environment();
  fs::path folder = store.folder_of(job.job_id);
  PlanContext context{(folder / "job-dir").string(), {(folder / "packages").string()}};

  if (flags.dry_run) {
    SlurmPlan plan = plan_job(job, catalog, context);  // refuses unplannable jobs like a submit
    if (is_a_study) study::check_study_job(job, catalog, context, store, flags.package_path);
    for (const auto& note : defaulted) std::cout << "# Default: " << note << "\n";
    plan.step_wrapper = collector_wrapper(folder, catalog.max_log_bytes_per_job);
    print_plan(plan);
    std::cout << render_batch_script(plan);
    print_fit(job, plan, slurm);
    return kExitOk;
  }

  SlurmPlan plan = plan_job(job, catalog, context);  // before reserving: bad specs leave nothing
  if (is_a_study) study::check_study_job(job, catalog, context, store, flags.package_path);
  check_fit(job, plan, slurm, InventoryCache(store.root() / "cache", kInventoryMaxAge));
  submit_and_record(job, is_a_study, catalog, store, flags, output, slurm);
  if (submitted_job_id) *submitted_job_id = job.job_id;
  if (output == SubmitOutput::kSilent) return kExitOk;
  if (output == SubmitOutput::kJobIdOnly) {
    std::cout << job.job_id << std::endl;
    return kExitOk;
  }
  if (output == SubmitOutput::kJson) {
    std::cout << described_job(store, job.job_id, slurm).dump() << std::endl;  // one line: the Job resource
    return kExitOk;
  }
  if (flags.stream_logs) return stream_until_done(store, job.job_id, slurm);
  if (!flags.format.empty()) {
    print_formatted(described_job(store, job.job_id, slurm), flags.format);
    return kExitOk;
  }
  std::cerr << "Your job is still active. You may view the status of your job with the command\n\n  $ mljob describe "
            << job.job_id << "\n\n";
  std::cout << "jobId: " << job.job_id << "\nstate: QUEUED\n";
  return kExitOk;
}

}  // namespace mljob::bridge
