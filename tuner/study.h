// A tuning study's state and its ask/tell logic, free of Slurm: trials with their parameters,
// measurements and results; suggestions from the spec's algorithm; the median stopping rule.
// The whole state round-trips through JSON, so a study can live in a file between commands
// and a restarted process continues exactly where the last one stopped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tuner/gaussian_process.h"
#include "tuner/hyperparameter_spec.h"
#include "tuner/median_stopping.h"
#include "tuner/search_space.h"

namespace mljob::tuner {

// A trial's state, shown as the API's Job states (HyperparameterOutput.state): RUNNING from the
// moment the study hands it out until its result is told, then SUCCEEDED (stopped early too),
// FAILED, or CANCELLED (cancelled with its study, or because the study failed).
enum class TrialState { kActive, kSucceeded, kFailed, kCancelled };

// One intermediate objective value as the trial reported it (not yet turned into a loss).
struct ReportedValue {
  long long step = 0;
  double value = 0;
};

struct Trial {
  int id = 0;  // 1, 2, ... (shown as the string trialId, as the API does)
  Assignment parameters;
  TrialState state = TrialState::kActive;
  bool stopped_early = false;
  std::vector<ReportedValue> measurements;
  std::optional<double> final_value;
  long long final_step = 0;
  std::string error_message;
  // When the trial's job started and ended (RFC 3339), as the controller saw them on Slurm;
  // empty where unknown (not started yet, or a study driven through ask/tell).
  std::string start_time, end_time;
  // Set on a trial copied from a parent of SageMaker's warm start (either type), to the parent's
  // name: it informs the model only and is not one of this study's trials (not listed or
  // counted, never its best), as SageMaker keeps a tuning job's parents' training jobs out of
  // its own. (An IdenticalDataAndAlgorithm parent's best can be the OverallBestTrainingJob.)
  std::string transferred_from;
  bool is_own() const { return transferred_from.empty(); }
  // The training job of an earlier study this trial's result came from ("old_trial_3"), for a
  // trial taken over by resumePreviousJobId or a warm start; empty for a trial this study ran.
  std::string parent_job;
  // Why each earlier run of the trial was lost to the cluster (a failed node stopped it, or Slurm
  // lost its job), oldest first: the trial ran again with the same parameters (retry_lost_run).
  std::vector<std::string> lost_runs;
};

class Study {
 public:
  Study(HyperparameterSpec spec, std::uint64_t seed);
  static Study from_json(const nlohmann::json& state);  // throws InputError on a malformed state
  nlohmann::json to_json() const;

  // Up to `count` new trials, limited by the free parallel slots and maxTrials left (grid
  // search: also by the grid). None once the study has ended.
  std::vector<Trial> ask(std::size_t count);
  // Every trial the study has left, created at once regardless of the parallel slots, for
  // RANDOM_SEARCH and GRID_SEARCH only: their suggestions never depend on results, so the trials
  // can wait in Slurm's queue, which keeps at most maxParallelTrials of them running (a job
  // array's %N throttle). Empty for the Bayesian default, which must see results first.
  std::vector<Trial> ask_all_remaining();
  bool suggestions_need_results() const { return spec_.algorithm == Algorithm::kBayesian; }
  // Continues `previous` (resumePreviousJobId): its succeeded trials become this study's first
  // trials, so the optimiser starts from what they learned; maxTrials counts the new trials.
  // Throws InputError when the two studies do not search the same parameters.
  void continue_from(const Study& previous, const std::string& previous_job_id);
  // SageMaker's warm start from one parent (call once per parent, before any ask), its rules
  // checked at `field`: the same objective metric; IdenticalDataAndAlgorithm also the same
  // hyperparameter names; TransferLearning takes the parent trials that have a value for every
  // hyperparameter of this study (others dropped). Either way the parent's trials inform the
  // optimiser only: they are not this study's (transferred_from). Parent trials outside this
  // study's ranges are left out. Returns how many trials were taken.
  std::size_t warm_start_from(const Study& parent, const std::string& parent_name, WarmStartType type,
                              const std::string& field);
  // The final objective value of an active trial (`step`: the training step it was taken at).
  void tell(int trial_id, double value, std::optional<long long> step = std::nullopt);
  void tell_failed(int trial_id, const std::string& reason);
  // An active trial whose run the cluster lost (a failed node stopped its job, or Slurm lost the
  // job): the cluster's fault, not its parameters'.
  // When maxFailedTrials is set and leaves room with this run counted against it, the trial
  // stays active, what it reported cleared, to run again with the same parameters: true.
  // Otherwise it fails as tell_failed would: false.
  bool retry_lost_run(int trial_id, const std::string& reason);
  // Failed trials, and runs lost to the cluster and run again: what maxFailedTrials bounds.
  int failed_run_count() const;
  // Whether one more failed run leaves the study under maxFailedTrials (set, and not reached).
  bool allows_another_failed_run() const;
  // An active trial cancelled by the study itself (cancelled with it, or because it failed): not
  // a failure of the trial, so not counted against maxFailedTrials.
  void tell_cancelled(int trial_id, const std::string& reason);
  // Records when the trial's job started and ended; an empty one (not known) leaves what the
  // study holds. True when that changed.
  bool set_trial_times(int trial_id, const std::string& start_time, const std::string& end_time);
  // An intermediate objective value. Returns whether the trial should stop (early stopping on
  // and the median stopping rule says so); the trial is then ended, its last value final.
  bool report(int trial_id, long long step, double value);

  std::size_t free_slots() const;
  // Trials that may still be created under maxTrials (and the grid), ignoring parallel slots.
  std::size_t trials_left() const;
  bool finished() const;  // every trial ended and no more can be asked for, or the study failed
  const std::string& failure() const { return failure_; }
  const std::vector<Trial>& trials() const { return trials_; }
  const HyperparameterSpec& spec() const { return spec_; }
  // The best succeeded trial, if any.
  const Trial* best_trial() const;
  // Whether this study ran the trial, rather than taking it over from an earlier study
  // (resumePreviousJobId, a warm start): the study's first trials are those it took over.
  bool ran(const Trial& trial) const { return trial.id > resumed_trials_; }
  // TrainingOutput as AI Platform defines it for a tuning job: trials best first.
  nlohmann::json training_output() const;
  static nlohmann::json trial_json(const Trial& trial);

 private:
  Trial& active_trial(int trial_id, const std::string& field);
  // The parent's succeeded trials in this study's ranges become its first trials; as
  // `knowledge_only` (a warm start) they are marked as the parent's, not this study's.
  std::size_t take_over_trials(const Study& parent, const std::string& parent_name, WarmStartType type,
                               const std::string& field, bool knowledge_only);
  double loss(double value) const { return spec_.goal == Goal::kMaximize ? -value : value; }
  std::vector<Assignment> propose(std::size_t count);
  std::vector<Trial> create_trials(std::size_t count);
  void check_failures();

  HyperparameterSpec spec_;
  SearchSpace space_;
  std::uint64_t seed_;
  std::vector<Trial> trials_;
  std::optional<GpHyperparameters> gp_hyperparameters_;  // warm start for the next fit
  std::string failure_;
  MedianStoppingOptions stopping_;
  int resumed_trials_ = 0;  // trials carried over from resumePreviousJobId (not counted in maxTrials)
};

std::string to_string(TrialState state);

}  // namespace mljob::tuner
