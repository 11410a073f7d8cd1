#include "jobs/job_preparation.h"

#include <stdexcept>

#include "base/files.h"
#include "base/input_error.h"
#include "base/interruption.h"
#include "core/fit_check.h"
#include "core/package_stager.h"
#include "core/planner.h"
#include "core/url_fetcher.h"
#include "core/validation.h"
#include "jobs/metrics_declarations.h"
#include "metrics/metrics_spec.h"
#include "tiers/catalog_cache.h"
#include "tiers/catalog_loader.h"

namespace mljob::jobs {

namespace fs = std::filesystem;

CheckedJob check_job(Job job, const fs::path& tiers_file) {
  if (job.prediction_input)
    throw InputError("predictionInput", "",
                     "is a batch prediction job: submit it with `mljob submit prediction JOB_ID --config FILE`");
  CheckedJob checked;
  checked.job = std::move(job);
  checked.defaulted = apply_api_defaults(checked.job);
  validate_job(checked.job);
  // From $MLJOB_HOME/cache while the catalog's files are unchanged: parsing the YAML was the
  // largest part of what submit adds to sbatch (tiers/catalog_cache.h).
  checked.catalog = tiers::load_catalog_cached(tiers::effective_catalog_path(tiers_file.string()),
                                               JobStore::from_environment().root() / "cache");
  validate_against_catalog(checked.job, checked.catalog);
  check_metric_declarations(checked.job);  // a bad metric regex is refused here, before anything is done
  return checked;
}

void check_job_against(const Job& job, const tiers::TierCatalog& catalog) {
  validate_job(job);
  validate_against_catalog(job, catalog);
  check_metric_declarations(job);
}

void check_front_door_job(const Job& job, const tiers::TierCatalog& catalog,
                          const std::vector<IgnoredField>& no_effect) {
  check_job_against(job, catalog);
  for (const auto& field : no_effect) warn_ignored(field);
}

std::vector<std::string> component_role_names(const SlurmPlan& plan) {
  std::vector<std::string> names;
  for (const auto& component : plan.components) {
    std::string name;
    for (const auto& span : component.roles) {
      if (!name.empty()) name += " and ";
      name +=
          span.tasks == 1 ? span.role : std::to_string(span.tasks) + " " + span.role + (span.role == "ps" ? "" : "s");
    }
    names.push_back(name);
  }
  return names;
}

void refuse_if_never_fits(const Job& job, const SlurmPlan& plan, const ClusterInventory& cluster) {
  auto reasons = reasons_plan_never_fits(plan, cluster);
  if (reasons.empty()) return;
  std::string rule = "this job can never start on this cluster: ";
  for (std::size_t i = 0; i < reasons.size(); ++i) rule += (i ? "; " : "") + reasons[i];
  const TrainingInput& in = job.training_input;
  throw InputError("trainingInput.scaleTier",
                   in.scale_tier == "CUSTOM" ? "CUSTOM (" + in.master_type + ")" : in.scale_tier, rule);
}

void check_fit(const Job& job, const SlurmPlan& plan, const SlurmAccess& slurm, const InventoryCache& cache) {
  if (auto cached = cache.load_fresh(); cached && reasons_plan_never_fits(plan, *cached).empty()) return;
  std::string fresh = slurm.inventory_text();
  cache.save(fresh);
  refuse_if_never_fits(job, plan, parse_sinfo_nodes(fresh));
}

namespace {

// The job's packages staged into its folder. A copy that fails (a full disk, a file the user
// cannot read) says what mljob was doing, not only std::filesystem's "cannot copy".
std::vector<fs::path> staged_packages(const std::string& package_path, const Job& job, const fs::path& packages,
                                      const StagingOptions& staging) {
  try {
    return stage_packages(package_path, job.training_input.package_uris, packages, staging);
  } catch (const fs::filesystem_error& error) {
    throw std::runtime_error("the job's packages could not be staged in " + packages.string() + " (" +
                             error.code().message() + ": " + error.path1().string() + ")");
  }
}

}  // namespace

PreparedJob prepare_job_folder(Job& job, const tiers::TierCatalog& catalog, const JobStore& store,
                               const std::string& package_path, const FrontDoorStaging& stage_front_door) {
  fs::path folder = store.reserve(job.job_id);
  try {
    PlanContext context{(folder / "job-dir").string(), {}};
    StagingOptions staging{fetch_limits_from_environment(), terminal_progress};
    for (const auto& entry : staged_packages(package_path, job, folder / "packages", staging)) {
      context.python_path.push_back(entry.string());
    }
    if (stage_front_door) stage_front_door(folder);
    SlurmPlan plan = plan_job(job, catalog, context);
    plan.step_wrapper = collector_wrapper(folder, catalog.max_log_bytes_per_job);
    write_atomically(folder / metrics::kDeclarationsFile, metric_declarations(job).dump(2) + "\n");
    fs::path script = folder / "job.sbatch";
    write_atomically(script, render_batch_script(plan));
    SubmitOptions submit{(folder / "output.log").string(), folder.string(), "mljob:" + job.job_id, ""};
    JobRecord record{to_json(job), "", component_role_names(plan), plan.task_roles(), false, folder, {}, {}};
    if (job.launch) record.front_door = {{"api", job.launch->api}, {"request", job.launch->request}};
    return {std::move(record), std::move(plan), script, submit};
  } catch (...) {
    store.release(job.job_id);
    throw_if_interrupted();  // a Ctrl-C that also stopped tar says so, not "could not be unpacked"
    throw;
  }
}

PreparedJob prepare_job(Job job, const fs::path& tiers_file, const JobStore& store, const std::string& package_path,
                        const SlurmAccess& slurm, const FrontDoorStaging& stage_front_door) {
  CheckedJob checked = check_job(std::move(job), tiers_file);
  PlanContext context{(store.folder_of(checked.job.job_id) / "job-dir").string(), {}};
  check_fit(checked.job, plan_job(checked.job, checked.catalog, context), slurm,
            InventoryCache(store.root() / "cache", kInventoryMaxAge));
  return prepare_job_folder(checked.job, checked.catalog, store, package_path, stage_front_door);
}

SlurmPlan plan_of(Job job, const fs::path& tiers_file, const JobStore& store) {
  CheckedJob checked = check_job(std::move(job), tiers_file);
  fs::path folder = store.folder_of(checked.job.job_id);
  return plan_job(checked.job, checked.catalog, {(folder / "job-dir").string(), {(folder / "packages").string()}});
}

void submit_and_save(PreparedJob& prepared, const std::string& job_id, const JobStore& store,
                     const SlurmAccess& slurm) {
  try {
    throw_if_interrupted();  // the last point where a Ctrl-C stops the submission
    // A comment of this submission's own: if sbatch's answer is lost, the job is found by it.
    BatchSubmission marked{prepared.script, prepared.submit, {}};
    marked.options.comment = unique_comment(marked.options.comment);
    record_submission(prepared.record, slurm.submit_marked(marked), marked.options.comment);
    save_or_cancel(store, prepared.record, slurm);
  } catch (const SubmissionUnknown&) {
    throw;  // Slurm may hold the job: its folder stays, for its output (the message says so)
  } catch (const UncancelledJobWithoutRecord&) {
    throw;  // the job may run: its folder stays, for its output (the message says so)
  } catch (...) {
    store.release(job_id);
    throw;
  }
}

void save_or_cancel(const JobStore& store, const JobRecord& record, const SlurmAccess& slurm) {
  try {
    store.save(record);
  } catch (const std::exception& error) {
    const std::string& id = record.slurm_job_id;
    std::string what = "the job's record could not be saved (" + std::string(error.what()) + "), ";
    try {
      slurm.cancel(id);
    } catch (const std::exception& cancel_error) {
      throw UncancelledJobWithoutRecord(what + "and its Slurm job " + id + " could not be cancelled either (" +
                                        cancel_error.what() + "): cancel it with `scancel " + id + "`; its folder " +
                                        record.folder.string() + " is kept for its output");
    }
    throw std::runtime_error(what + "so its Slurm job " + id + " was cancelled: nothing runs without a record");
  }
}

}  // namespace mljob::jobs
