// Gives a study's trials to Slurm. Each trial is prepared as an ordinary mljob training job
// (`<study>_trial_<n>`: its spec trial_<n>.json, its folder, its hyperparameters.json), then the
// trials of one ask go out as one Slurm job array (`--array=<ids>%maxParallelTrials`, element n
// running trial n's own job.sbatch) when they are single-component, or each as a job of its own
// (het jobs: Slurm refuses arrays of them). The study controller (bridge/study_controller.cc)
// decides which trials to run; this file only runs them.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/job.h"
#include "core/job_store.h"
#include "core/sagemaker_training.h"
#include "core/slurm_access.h"
#include "jobs/job_preparation.h"
#include "tiers/catalog.h"
#include "tuner/hyperparameter_spec.h"
#include "tuner/study.h"

namespace mljob::study {

// The job trial `trial` of study `study_id` runs: the study's job as the trial changes it
// (tuner/trial_spec.h: its parameters, SageMaker's TrainingJobDefinition), with its own job ID
// (<study>_trial_<n>). It is prepared as any job is, with the catalog the study was submitted
// with (jobs/job_preparation.h).
Job trial_job(const nlohmann::json& study_job, const tuner::Trial& trial, const tuner::HyperparameterSpec& spec,
              const std::string& study_id);

// Whether the study was submitted as SageMaker's CreateHyperParameterTuningJob on its own, so
// that each trial runs its TrainingJobDefinition as a SageMaker training job.
bool runs_sagemaker_trials(const nlohmann::json& study_job);
// That trial's training job: the definition's CreateTrainingJob request with the trial's
// hyperparameters (static and tuned), named <study>_trial_<n>, read against `catalog`.
SageMakerTraining sagemaker_trial(const nlohmann::json& study_job, const tuner::Trial& trial,
                                  const tuner::HyperparameterSpec& spec, const std::string& study_id,
                                  const tiers::TierCatalog& catalog, const JobStore& store);

// A trial recorded as active whose job record is missing: its controller stopped after it
// reserved the trial's folder and before it saved the record, so its Slurm job, if sbatch took
// one, is known only by the comment mljob gave it ("mljob:<trial job>", or its array's
// "mljob:<study>_trials:4,5,6"). Where that job was found (Slurm job IDs; nullopt: that part
// of Slurm did not answer):
struct TrialJobSightings {
  std::optional<std::vector<std::string>> slurmctld;   // live jobs, and ended ones for MinJobAge
  std::optional<std::vector<std::string>> accounting;  // every job since the trial was prepared
  std::string unanswered;                              // why a part did not answer, for the user
};
enum class UnrecordedTrialStep {
  kSubmit,         // no part of Slurm has a job of it: its folder is released and it is submitted
  kCancelAndFail,  // slurmctld holds its job: cancelled (if still running), the trial failed
  kFailAsRun,      // only accounting has its job, which ran and left slurmctld: the trial is
                   // failed, its folder (output, metrics) kept; it is never run twice
  kWait,           // a part of Slurm did not answer: nothing is done until the next poll
};
// Submits again only when slurmctld and accounting both answered that no job of it exists.
UnrecordedTrialStep decide_unrecorded_trial(const TrialJobSightings& seen);

// The Slurm job IDs of trial `trial_id` among listed jobs (SlurmAccess::live_jobs,
// accounted_jobs_named): a job of its own (a het job by its leading ID), or its element
// "<array>_<trial>" of an array whose comment lists it. Sorted, without repeats.
std::vector<std::string> trial_jobs_listed(const std::vector<ListedJob>& listing, const std::string& study_id,
                                           int trial_id);

class TrialLauncher {
 public:
  // `tiers_file`: the catalog the study was submitted with (empty: the environment's, as for a
  // study submitted before mljob recorded it).
  TrialLauncher(std::string study_id, JobStore store, nlohmann::json study_job, tuner::HyperparameterSpec spec,
                std::filesystem::path tiers_file, const SlurmAccess& slurm);

  // A trial that could not be submitted, and why; its folder has been given back.
  struct Failure {
    int trial_id = 0;
    std::string reason;
  };
  // Prepares and submits `trials`; the job record of each submitted trial is saved.
  std::vector<Failure> submit(const std::vector<tuner::Trial>& trials);

  // Whether the study's trials can be job array elements (one component, no start deadline).
  // Asked once, on a plan of the trial spec.
  bool trials_fit_in_an_array();
  // Slurm's MaxArraySize (`scontrol show config`): array indices, the trial IDs, stay below it.
  long max_array_size();

  // The Slurm jobs of a trial whose record is missing, as slurmctld and accounting know them
  // (see TrialJobSightings), the user's own only.
  TrialJobSightings find_trial_jobs(int trial_id) const;

 private:
  struct PreparedTrial;
  PreparedTrial prepare(const tuner::Trial& trial);
  void submit_alone(PreparedTrial& prepared, std::vector<Failure>& failures);
  std::map<std::string, std::string> environment_of(const PreparedTrial& prepared) const;
  void submit_array(std::vector<PreparedTrial>& prepared, std::vector<Failure>& failures);
  void give_back(const std::vector<PreparedTrial>& prepared, const std::exception& error,
                 std::vector<Failure>& failures);
  std::filesystem::path study_folder() const { return store_.folder_of(study_id_); }
  // The trial's job, and what its folder needs besides (a SageMaker trial's channels and code).
  Job trial_job_of(const tuner::Trial& trial, jobs::FrontDoorStaging* staging);
  const tiers::TierCatalog& catalog();

  std::string study_id_;
  JobStore store_;
  nlohmann::json study_job_;
  tuner::HyperparameterSpec spec_;
  std::filesystem::path tiers_file_;
  const SlurmAccess& slurm_;
  std::optional<bool> fit_in_an_array_;
  std::optional<long> max_array_size_;
  std::optional<tiers::TierCatalog> catalog_;  // read when a SageMaker trial needs it
};

}  // namespace mljob::study
