// Gives a study's trials to Slurm. Each trial is prepared as an ordinary mljob training job
// (`<study>_trial_<n>`: its spec trial_<n>.json, its folder, its hyperparameters.json), then the
// trials of one ask go out as one Slurm job array (`--array=<ids>%maxParallelTrials`, element n
// running trial n's own job.sbatch) when they are single-component, or each as a job of its own
// (het jobs: Slurm refuses arrays of them). The study controller (bridge/study_controller.cc)
// decides which trials to run; this file only runs them.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/job_store.h"
#include "core/slurm_client.h"
#include "tuner/study.h"

namespace mljob::cli {

class TrialLauncher {
 public:
  TrialLauncher(std::string study_id, JobStore store, nlohmann::json study_job, tuner::HyperparameterSpec spec);

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

  // The Slurm jobs slurmctld holds for a trial: a job of its own (comment "mljob:<trial job>")
  // or its element of an array whose comment lists it ("mljob:<study>_trials:4,5,6").
  std::vector<std::string> slurm_jobs_of_trial(int trial_id) const;

 private:
  struct PreparedTrial;
  PreparedTrial prepare(const tuner::Trial& trial);
  void submit_alone(PreparedTrial& prepared, std::vector<Failure>& failures);
  std::map<std::string, std::string> environment_of(const PreparedTrial& prepared) const;
  void submit_array(std::vector<PreparedTrial>& prepared, std::vector<Failure>& failures);
  void give_back(const std::vector<PreparedTrial>& prepared, const std::exception& error, std::vector<Failure>& failures);
  std::filesystem::path study_folder() const { return store_.folder_of(study_id_); }

  std::string study_id_;
  JobStore store_;
  nlohmann::json study_job_;
  tuner::HyperparameterSpec spec_;
  SlurmClient slurm_;
  std::optional<bool> fit_in_an_array_;
  std::optional<long> max_array_size_;
};

}  // namespace mljob::cli
