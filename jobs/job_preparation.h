// A training job made ready for Slurm: its spec checked against the API's rules and the site's
// catalog, the plan checked against what the cluster has, its folder reserved and filled
// (packages staged, metric declarations, job.sbatch). The same for a job from the command line
// (bridge/submit_command) and for a study's trial (study/trial_launcher), which is given as a
// Job value.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/ignored_field.h"
#include "core/batch_script.h"
#include "core/cluster_inventory.h"
#include "core/inventory_cache.h"
#include "core/job.h"
#include "core/job_store.h"
#include "core/plan.h"
#include "core/slurm_access.h"
#include "tiers/catalog.h"

namespace mljob::jobs {

// Fills a job's folder with what a SageMaker or FfDL job needs besides its script (channels,
// code: jobs/sagemaker_staging.h), before the script is written.
using FrontDoorStaging = std::function<void(const std::filesystem::path& folder)>;

// A job with the API's defaults applied and every rule checked, and the catalog it was checked
// against.
struct CheckedJob {
  Job job;
  std::vector<std::string> defaulted;  // what the API's defaults filled in, for --dry-run
  tiers::TierCatalog catalog;
};
// `tiers_file`: the catalog to use ("" for $MLJOB_TIERS, then the default). Throws InputError.
CheckedJob check_job(Job job, const std::filesystem::path& tiers_file);

// A job's own rules, the catalog's, and its metric declarations, for a job whose catalog is
// already loaded (a front door's, a study's trial). Throws InputError.
void check_job_against(const Job& job, const tiers::TierCatalog& catalog);

// A SageMaker or FfDL job (already read by its front door) checked as any job is, against
// `catalog`; then what its request set to no effect, said on stderr. Throws InputError.
void check_front_door_job(const Job& job, const tiers::TierCatalog& catalog,
                          const std::vector<IgnoredField>& no_effect);

// A job made ready to submit but not yet given to Slurm. The record's slurm_job_id is empty;
// the caller submits the script (alone or as an element of a job array) and saves the record,
// or releases the folder.
struct PreparedJob {
  JobRecord record;
  SlurmPlan plan;
  std::filesystem::path script;
  SubmitOptions submit;
};

// Reserves the job's folder and fills it: packages staged (`package_path`, a local package
// folder, and the job's packageUris), metric declarations, job.sbatch. On failure the folder is
// released, so nothing is left behind.
PreparedJob prepare_job_folder(Job& job, const tiers::TierCatalog& catalog, const JobStore& store,
                               const std::string& package_path, const FrontDoorStaging& stage_front_door = {});

// check_job, the fit check, then prepare_job_folder, for a job given as a value.
PreparedJob prepare_job(Job job, const std::filesystem::path& tiers_file, const JobStore& store,
                        const std::string& package_path, const SlurmAccess& slurm,
                        const FrontDoorStaging& stage_front_door = {});
// The plan prepare_job would make, without preparing anything.
SlurmPlan plan_of(Job job, const std::filesystem::path& tiers_file, const JobStore& store);

// A plan the cluster can never run would pend forever: refused (InputError on scaleTier).
void refuse_if_never_fits(const Job& job, const SlurmPlan& plan, const ClusterInventory& cluster);
// How old a cached `sinfo` answer may be to accept a plan on (see core/inventory_cache.h).
inline constexpr std::chrono::seconds kInventoryMaxAge{60};
// Accepts a plan that fits a recent inventory at once; anything else is decided on a fresh one,
// so that no job is ever refused on stale data.
void check_fit(const Job& job, const SlurmPlan& plan, const SlurmAccess& slurm, const InventoryCache& cache);

// "master", "4 workers", "3 ps": the roles of each component, as errorMessage names them.
std::vector<std::string> component_role_names(const SlurmPlan& plan);

// Saves the record of a job Slurm has just accepted. When it cannot be written (a full disk, a
// quota), the job is cancelled, since no mljob command could find it without its record, and
// the error says so (or, where Slurm refuses the cancel too, which job to cancel by hand).
void save_or_cancel(const JobStore& store, const JobRecord& record, const SlurmAccess& slurm);
// Submits a prepared job and saves its record (save_or_cancel). On any failure but the two
// where Slurm may hold the job (SubmissionUnknown, UncancelledJobWithoutRecord), its folder is
// released, so nothing half-done is left. A Ctrl-C before sbatch stops it there.
void submit_and_save(PreparedJob& prepared, const std::string& job_id, const JobStore& store, const SlurmAccess& slurm);

// Thrown by save_or_cancel when the cancel failed too: the job may still run and write into
// its folder, so the caller keeps the folder.
class UncancelledJobWithoutRecord : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace mljob::jobs
