#include "study/study_controller.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "base/input_error.h"
#include "base/interruption.h"
#include "core/batch_script.h"
#include "core/job_state.h"
#include "core/package_stager.h"
#include "core/planner.h"
#include "core/process.h"
#include "core/sagemaker_training.h"
#include "core/slurm_commands.h"
#include "core/spec_parser.h"
#include "core/validation.h"
#include "jobs/job_preparation.h"
#include "jobs/job_view.h"
#include "jobs/metrics_declarations.h"
#include "jobs/metrics_view.h"
#include "jobs/sibling_program.h"
#include "metrics/emetrics.h"  // record_step
#include "metrics/metrics_store.h"
#include "study/study_files.h"
#include "study/study_resources.h"
#include "study/trial_launcher.h"
#include "tuner/hyperparameter_spec.h"
#include "tuner/sagemaker_tuning.h"
#include "tuner/study.h"
#include "tuner/trial_spec.h"

namespace mljob::study {

using jobs::add_metric_outputs;
using jobs::save_or_cancel;
using jobs::sibling_program;
using jobs::UncancelledJobWithoutRecord;

// The exit status of `mljob study run` (the controller's Slurm job): 0 when the study ended
// with a best trial, or handed itself back to Slurm (requeued) to go on; 1 otherwise.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
namespace {

// A study's trials run its job as SageMaker's TrainingJobDefinition changes it (static
// hyperparameters, metric regexes, stopping condition: tuner/trial_spec.h). That job is checked
// here as any job is, so a contradiction or a time limit the catalog refuses is refused at
// submit, not at every trial's launch.
// study_job.json of a study: the Job as submitted, and for a CreateHyperParameterTuningJob
// submitted on its own, that request (the trials are made from it).
nlohmann::json study_job_file(const Job& study_job) {
  nlohmann::json out = to_json(study_job);
  if (study_job.launch && study_job.launch->api == "sagemaker-tuning")
    out[kSageMakerTuningRequestKey] = nlohmann::json::parse(study_job.launch->request.dump());
  return out;
}

// A CreateHyperParameterTuningJob's trials are SageMaker training jobs: the first one is read,
// checked and planned here as `mljob submit sagemaker` would, so that an image or a bucket the
// site does not map is refused at submit, naming the TrainingJobDefinition's field.
void check_sagemaker_trial(const Job& study_job, const tuner::HyperparameterSpec& spec,
                           const tiers::TierCatalog& catalog, const JobStore& store) {
  try {
    SageMakerTraining trial =
        sagemaker_trial(study_job_file(study_job), tuner::Trial{}, spec, study_job.job_id, catalog, store);
    jobs::check_job_against(trial.job, catalog);
    plan_job(trial.job, catalog, {trial.folders.root, {}});
  } catch (const InputError& error) {
    std::string field = error.field() == "HyperParameters" || error.field().starts_with("HyperParameters.")
                            ? "StaticHyperParameters" + error.field().substr(std::string("HyperParameters").size())
                            : error.field();
    throw InputError("TrainingJobDefinition." + field, error.value(), error.rule());
  }
}

void check_trial_job(const Job& study_job, const tiers::TierCatalog& catalog, const PlanContext& context,
                     const JobStore& store) {
  tuner::HyperparameterSpec spec =
      tuner::parse_hyperparameter_spec(study_job.training_input.hyperparameters, "trainingInput.hyperparameters");
  if (study_job.launch && study_job.launch->api == "sagemaker-tuning")
    return check_sagemaker_trial(study_job, spec, catalog, store);
  if (!spec.trial_definition) return;
  Job trial = parse_job_spec(tuner::trial_job_spec(to_json(study_job), tuner::Trial{}, spec).dump(), "the trial's job");
  try {
    jobs::check_job_against(trial, catalog);
    plan_job(trial, catalog, context);
  } catch (const InputError& error) {
    // Machines from ResourceConfig are refused in the field the user wrote, not the one made of it.
    bool about_machines =
        error.field().starts_with("trainingInput.masterType") || error.field().starts_with("trainingInput.workerType");
    if (spec.trial_definition->instance_type.empty() || !about_machines) throw;
    throw InputError("trainingInput.hyperparameters.TrainingJobDefinition.ResourceConfig.InstanceType", error.value(),
                     error.rule());
  }
}

namespace fs = std::filesystem;
using nlohmann::json;
using tuner::Study;
using tuner::Trial;
using tuner::TrialState;

// How long a trial the stopping rule ended has, after SIGTERM, before it is cancelled outright.

// Set by SIGTERM: Slurm is ending the controller's job (scancel, `mljob cancel`, a requeue).
volatile std::sig_atomic_t terminate_requested = 0;
void on_terminate(int) {
  terminate_requested = 1;
}
// Set by SIGUSR1, Slurm's warning that the controller's time limit is near (--signal below).
volatile std::sig_atomic_t time_limit_near = 0;
void on_time_limit_warning(int) {
  time_limit_near = 1;
}
// How long before its time limit Slurm warns the controller: time to requeue itself.
constexpr int kTimeLimitWarningSeconds = 120;

// Submits the study's controller job; the record takes its Slurm job ID and comment.
void submit_controller(const JobStore& store, JobRecord& record, const std::string& job_id, const SlurmAccess& slurm) {
  fs::path folder = store.folder_of(job_id);
  fs::path script = folder / "controller.sbatch";
  write_atomically(script, controller_script(job_id, store.root(), sibling_program("mljob")));
  SubmitOptions submit{(folder / "output.log").string(), folder.string(), "mljob:" + job_id, ""};
  record_submission(record, slurm.submit({script, submit, {}}), submit.comment);
}

// Every value of the objective the trial has reported so far, with its step, oldest first.
// Records that carry a step (the hypertune file's global_step, event files) are preferred;
// without any, the values are numbered in order.
std::vector<tuner::ReportedValue> objective_values(const JobRecord& record, const std::string& tag) {
  fs::path file = metrics::metrics_db_path(record.folder);
  if (!fs::exists(file)) return {};
  std::vector<metrics::EMetrics> entries;
  try {
    entries = metrics::MetricsDb(file, false).metrics_with_value(tag, 1'000'000);
  } catch (const metrics::StoreError& error) {
    // A file the controller cannot read (damaged, or an older collector's) is this trial's
    // problem: it reported nothing, and the study goes on. Said once per file.
    static std::set<fs::path> reported;
    if (reported.insert(file).second) std::cerr << "mljob study: warning: " << error.what() << "\n";
    return {};
  }
  std::vector<tuner::ReportedValue> stepped, numbered;
  for (const auto& entry : entries) {
    auto value = metrics::parse_number(entry.values.at(tag).text);
    if (!value) continue;
    numbered.push_back({static_cast<long long>(numbered.size() + 1), *value});
    if (auto step = metrics::record_step(entry)) stepped.push_back({static_cast<long long>(*step), *value});
  }
  return stepped.empty() ? numbered : stepped;
}

// The spec the trials are made from: the study's, plus what SageMaker's TrainingJobDefinition
// says of every trial, which the study's state does not keep: it is read again from the job as
// submitted, so it is the same after any restart.
tuner::HyperparameterSpec trials_spec(const Study& study, const json& study_job) {
  tuner::HyperparameterSpec spec = study.spec();
  const json& input = study_job.at("trainingInput");
  if (input.contains("hyperparameters")) {
    spec.trial_definition =
        tuner::parse_hyperparameter_spec(input["hyperparameters"], "trainingInput.hyperparameters").trial_definition;
  }
  return spec;
}

// Records the cancel request in the trial's job record, under the record's lock as every
// writer of a record takes it (`mljob cancel` or `update` of the trial could run meanwhile),
// then cancels its Slurm job.
void cancel_trial_job(const JobStore& store, const std::string& trial_job_id, const SlurmAccess& slurm) {
  if (!fs::is_directory(store.folder_of(trial_job_id))) return;  // never prepared
  JobStore::Lock lock = store.lock(trial_job_id);
  auto record = store.load(trial_job_id);
  if (!record || record->slurm_job_id.empty()) return;
  record->cancel_requested = true;
  store.save(*record);
  slurm.cancel(record->slurm_job_id);
}

// Cancels every trial of `study` still in Slurm (running, or pending in a job array), ends it
// CANCELLED with `reason` (the study stopped it: not a failure of the trial), and saves the study.
int cancel_active_trials(Study& study, const std::string& study_id, const JobStore& store, const std::string& reason,
                         const SlurmAccess& slurm) {
  int cancelled = 0;
  for (const auto& trial : study.trials()) {
    if (trial.state != TrialState::kActive) continue;
    ++cancelled;
    cancel_trial_job(store, tuner::trial_job_id(study_id, trial.id), slurm);
    study.tell_cancelled(trial.id, reason);
  }
  if (cancelled > 0) save_study(study, store.folder_of(study_id));
  return cancelled;
}

class Controller {
 public:
  Controller(std::string job_id, JobStore store, std::string own_slurm_job_id, const SlurmAccess& slurm,
             ControllerPace pace)
      : job_id_(std::move(job_id)),
        own_slurm_job_id_(std::move(own_slurm_job_id)),
        slurm_(slurm),
        pace_(pace),
        store_(std::move(store)),
        folder_(store_.folder_of(job_id_)),
        study_(load_study(folder_)),
        study_job_(json::parse(read_text(folder_ / kStudyJobFile))),
        launcher_(job_id_, store_, study_job_, trials_spec(study_, study_job_), read_study_settings(folder_).tiers_file,
                  slurm_) {}

  int run() {
    for (const auto& trial : study_.trials()) {
      if (trial.stopped_early) stopping_[trial.id] = std::chrono::steady_clock::now() - pace_.stop_grace;
    }
    while (true) {
      if (terminate_requested) return stop_on_terminate();
      if (time_limit_near && requeue_before_time_limit()) return kExitOk;
      try {
        follow_active_trials();
        finish_stops();
        if (study_.finished()) break;
        start_new_trials();
        slurm_away_ = false;
      } catch (const SlurmError& error) {
        // slurmctld restarting (or killed and not yet back): the study's state is saved at every
        // step, so the next poll takes up where this one stopped, instead of the controller
        // ending and leaving the study to `mljob study resume`. Said once per outage.
        if (!slurm_away_)
          std::cerr << "mljob study: Slurm did not answer (" << error.what() << "); asking again at every poll\n";
        slurm_away_ = true;
      }
      pause_between_polls();
    }
    for (auto& [trial_id, since] : stopping_) since = std::chrono::steady_clock::now() - pace_.stop_grace;
    finish_stops();
    // A failed study (maxFailedTrials) runs nothing more: trials waiting in a job array too.
    if (!study_.failure().empty()) cancel_active_trials(study_, job_id_, store_, "cancelled: the study failed", slurm_);
    std::cout << study_.training_output().dump(2) << std::endl;
    if (!study_.failure().empty()) {
      std::cerr << "mljob study: the study failed: " << study_.failure() << "\n";
      return kExitFailure;
    }
    return study_.best_trial() ? kExitOk : kExitFailure;
  }

 private:
  std::string trial_id(const Trial& trial) const { return tuner::trial_job_id(job_id_, trial.id); }

  // Sleeps until the next poll, in steps of at most a second, so that a SIGTERM is seen soon.
  void pause_between_polls() const {
    using std::chrono::milliseconds;
    for (milliseconds slept{0}; slept < pace_.poll_interval && !terminate_requested;) {
      milliseconds step = std::min(milliseconds(1000), pace_.poll_interval - slept);
      std::this_thread::sleep_for(step);
      slept += step;
    }
  }

  // `mljob cancel STUDY` (the record says a cancel was asked for) cancels the running trials
  // with it. Any other end of the controller's job leaves them running: a requeued controller,
  // or `mljob study resume`, continues the study and collects them.
  int stop_on_terminate() {
    auto record = store_.load(job_id_);
    if (!record || !record->cancel_requested) {
      std::cerr << "mljob study: the controller was stopped; if its job was requeued the study continues when Slurm "
                   "starts it again, otherwise `mljob study resume "
                << job_id_ << "` continues it\n";
      return kExitFailure;
    }
    cancel_active_trials(study_, job_id_, store_, "cancelled with the study", slurm_);
    std::cerr << "mljob study: the study was cancelled; its running trials were cancelled with it\n";
    return kExitFailure;
  }

  // Slurm warned that the controller's time limit is near: its job goes back in the queue and
  // its next run continues the study, as after any restart, while the trials run on. False
  // (and the study goes on until the limit, for `mljob study resume`) when that cannot be done.
  bool requeue_before_time_limit() {
    time_limit_near = 0;
    if (own_slurm_job_id_.empty()) return false;  // not a Slurm job: nothing to requeue
    try {
      slurm_.requeue(own_slurm_job_id_);
    } catch (const std::exception& e) {
      std::cerr << "mljob study: the controller's time limit is near, and its job could not be requeued (" << e.what()
                << "); after it ends, `mljob study resume " << job_id_ << "` continues the study\n";
      return false;
    }
    std::cerr << "mljob study: the controller's time limit is near: its Slurm job " << own_slurm_job_id_
              << " was requeued, and the study continues when Slurm starts it again\n";
    return true;
  }

  // Bayesian studies ask for as many trials as there are free slots, each time a slot frees.
  // Random and grid search ask for every trial at once when the trials can run as one job
  // array: Slurm's %maxParallelTrials throttle then starts each as soon as a slot frees.
  void start_new_trials() {
    std::vector<Trial> trials;
    // Only while every trial ID fits in an array: past MaxArraySize trials run alone, and then
    // the controller must keep the parallel limit itself.
    bool all_fit_in_arrays =
        static_cast<long>(study_.trials().size() + study_.trials_left()) < launcher_.max_array_size();
    if (!study_.suggestions_need_results() && all_fit_in_arrays && launcher_.trials_fit_in_an_array()) {
      trials = study_.ask_all_remaining();
    }
    if (trials.empty()) trials = study_.ask(study_.free_slots());
    if (trials.empty()) return;
    save_study(study_, folder_);  // the intent, recorded before anything is submitted
    submit_trials(trials);
  }

  void submit_trials(const std::vector<Trial>& trials) {
    auto failures = launcher_.submit(trials);
    for (const auto& failure : failures) study_.tell_failed(failure.trial_id, failure.reason);
    if (!failures.empty()) save_study(study_, folder_);
  }

  // A trial recorded as active but with no job record: the controller stopped between its
  // intent and the end of its submission. Submitted to Slurm already: it cannot be adopted
  // (its record is lost), so it is cancelled (if it still runs) and failed, its folder kept;
  // submitted again only when neither slurmctld nor accounting has a job of it
  // (decide_unrecorded_trial), since that removes its folder and would run it twice.
  // Trials to submit again go to `to_submit`, given to Slurm together after the poll: one job
  // array for them all keeps maxParallelTrials (%N), where one array each would not.
  void recover_unrecorded(const Trial& trial, std::vector<Trial>& to_submit) {
    std::string name = trial_id(trial);
    if (!fs::exists(store_.folder_of(name))) return to_submit.push_back(trial);
    TrialJobSightings seen = launcher_.find_trial_jobs(trial.id);
    switch (decide_unrecorded_trial(seen)) {
      case UnrecordedTrialStep::kWait:
        if (waiting_.insert(trial.id).second) {
          std::cerr << "mljob study: trial " << trial.id
                    << " has no job record, and Slurm did not say whether it has a "
                    << "job of it (" << seen.unanswered << "): asking again at every poll\n";
        }
        return;
      case UnrecordedTrialStep::kSubmit:
        waiting_.erase(trial.id);
        store_.release(name);
        return to_submit.push_back(trial);
      case UnrecordedTrialStep::kCancelAndFail:
        for (const auto& id : *seen.slurmctld) slurm_.cancel(id);
        return fail_unrecorded(trial, "its Slurm job " + seen.slurmctld->front() +
                                          " was cancelled (if it still ran) rather than run without a record");
      case UnrecordedTrialStep::kFailAsRun:
        return fail_unrecorded(trial, "its Slurm job " + seen.accounting->front() +
                                          " ran without a record (Slurm accounting has it), and is not run again");
    }
  }

  void fail_unrecorded(const Trial& trial, const std::string& what_became_of_its_job) {
    waiting_.erase(trial.id);
    study_.tell_failed(trial.id, "the controller stopped while submitting it; " + what_became_of_its_job +
                                     "; its folder " + store_.folder_of(trial_id(trial)).string() +
                                     " keeps what it wrote");
    save_study(study_, folder_);
  }

  void follow_active_trials() {
    std::vector<JobRecord> records;
    std::vector<int> ids;
    std::vector<Trial> to_submit_again;
    for (const auto& trial : study_.trials()) {
      if (trial.state != TrialState::kActive) continue;
      auto record = store_.load(trial_id(trial));
      if (!record) {
        recover_unrecorded(trial, to_submit_again);
        continue;
      }
      records.push_back(*record);
      ids.push_back(trial.id);
    }
    if (!to_submit_again.empty()) submit_trials(to_submit_again);
    if (records.empty()) return;
    std::map<std::string, std::vector<AccountingRecord>> slurm_records;
    auto resources = jobs::job_resources(records, slurm_, &slurm_records);
    for (std::size_t i = 0; i < records.size(); ++i) {
      bool lost_to_the_cluster =
          stopped_by_node_failure(own_slurm_records(records[i], slurm_records)) || jobs::lost_by_slurm(resources[i]);
      if (resources[i].value("state", "") == "FAILED" && lost_to_the_cluster && rerun_lost_run(ids[i], resources[i]))
        continue;
      follow(ids[i], records[i], resources[i]);
    }
  }

  // The Slurm records of a trial's own job: its ID's, less those another job's comment marks
  // (the ID may have been given to another job, core/accounting records_of_job).
  static std::vector<AccountingRecord> own_slurm_records(
      const JobRecord& record, const std::map<std::string, std::vector<AccountingRecord>>& by_job) {
    auto found = by_job.find(record.slurm_job_id);
    if (found == by_job.end()) return {};
    bool others_seen = false;
    return records_of_job(found->second, jobs::marks_of(record), others_seen);
  }

  // A trial whose run the cluster lost (a failed node stopped its job, or Slurm lost the job:
  // either way it no longer runs) runs again with the same parameters, while maxFailedTrials
  // leaves room (Study::retry_lost_run); otherwise it fails as any failed trial (false).
  // What the lost run wrote moves into the study's folder first
  // (lost-runs/TRIAL-RUN), so that the next poll finds the trial active without a folder and
  // submits it again (recover_unrecorded). Should the controller stop between the move and the
  // save, the run is not counted against maxFailedTrials, and the trial still runs again once.
  bool rerun_lost_run(int trial_id, const json& resource) {
    if (!study_.allows_another_failed_run()) return false;
    const Trial& trial = study_.trials().at(static_cast<std::size_t>(trial_id - 1));
    std::string name = this->trial_id(trial);
    fs::path kept =
        folder_ / "lost-runs" / (std::to_string(trial_id) + "-" + std::to_string(trial.lost_runs.size() + 1));
    std::string reason = resource.value("errorMessage", "the cluster lost its run");
    try {
      fs::create_directories(kept.parent_path());
      fs::rename(store_.folder_of(name), kept);
    } catch (const fs::filesystem_error& error) {
      std::cerr << "mljob study: trial " << trial_id << " is not run again after the cluster lost its run, because its "
                << "folder could not be moved aside (" << error.what() << "): it fails\n";
      return false;
    }
    study_.retry_lost_run(trial_id, reason);
    save_study(study_, folder_);
    std::cerr << "mljob study: the cluster lost trial " << trial_id << "'s run (" << reason
              << "); it runs again with the same parameters (what the lost run wrote: " << kept.string() << "; "
              << study_.failed_run_count() << " of maxFailedTrials " << *study_.spec().max_failed_trials
              << " failed runs)\n";
    return true;
  }

  // A trial's job cancelled though no `mljob cancel` asked for it (that marks the record): by
  // an administrator or scancel, or by Slurm itself. Seen in the fault suite: slurmctld,
  // restarted from a state that had the trials' array pending, started its elements again
  // beside the running ones, found them twice on the node and, the array being --no-requeue,
  // killed them ("CANCELLED", by root or by no one named). Failed, as any failed trial, saying so.
  static std::string cancelled_outside_mljob(const json& resource) {
    std::string why = resource.value("errorMessage", "");
    return "the trial's job was cancelled outside mljob (by Slurm, an administrator or scancel; no `mljob cancel` "
           "asked for it)" +
           (why.empty() ? "" : ": " + why);
  }

  void follow(int trial_id, const JobRecord& record, json resource) {
    const std::string& tag = study_.spec().metric_tag;
    // The trial's startTime and endTime in its HyperparameterOutput are its job's.
    if (study_.set_trial_times(trial_id, resource.value("startTime", ""), resource.value("endTime", "")))
      save_study(study_, folder_);
    if (study_.spec().enable_trial_early_stopping && report_new_values(trial_id, record, tag)) return;
    std::string state = resource.value("state", "");
    if (!is_final_state(state)) return;
    add_metric_outputs(resource, record);
    tuner::TrialOutcome outcome = tuner::trial_outcome(resource, tag);
    if (state == "CANCELLED" && !record.cancel_requested) outcome.failure = cancelled_outside_mljob(resource);
    if (outcome.value)
      study_.tell(trial_id, *outcome.value, outcome.step);
    else
      study_.tell_failed(trial_id, outcome.failure);
    save_study(study_, folder_);
  }

  // Feeds the values the trial reported since the last look to the stopping rule; true when it
  // stopped the trial (which is then signalled).
  bool report_new_values(int trial_id, const JobRecord& record, const std::string& tag) {
    const Trial& trial = study_.trials().at(trial_id - 1);
    long long last_step = trial.measurements.empty() ? -1 : trial.measurements.back().step;
    bool reported = false, stop = false;
    for (const auto& value : objective_values(record, tag)) {
      if (value.step <= last_step) continue;
      last_step = value.step;
      reported = true;
      if ((stop = study_.report(trial_id, value.step, value.value))) break;
    }
    // It ends, for the study, when the rule stops it; its job gets the SIGTERM grace after that.
    if (stop) study_.set_trial_times(trial_id, "", rfc3339_utc(std::time(nullptr)));
    if (reported) save_study(study_, folder_);  // one durable save per poll that learnt something
    if (stop) {
      std::cerr << "mljob study: trial " << trial_id << " stopped early at step " << last_step << "\n";
      slurm_.signal(record.slurm_job_id, "TERM");
      stopping_[trial_id] = std::chrono::steady_clock::now();
    }
    return stop;
  }

  // Trials stopped early get their grace after SIGTERM, then are cancelled.
  void finish_stops() {
    auto now = std::chrono::steady_clock::now();
    for (auto it = stopping_.begin(); it != stopping_.end();) {
      if (now - it->second < pace_.stop_grace) {
        ++it;
        continue;
      }
      if (auto record = store_.load(tuner::trial_job_id(job_id_, it->first)); record && !record->slurm_job_id.empty()) {
        slurm_.cancel(record->slurm_job_id);
      }
      it = stopping_.erase(it);
    }
  }

  std::string job_id_;
  std::string own_slurm_job_id_;  // empty when not run as a Slurm job
  const SlurmAccess& slurm_;
  ControllerPace pace_;
  JobStore store_;
  fs::path folder_;
  Study study_;
  json study_job_;
  std::map<int, std::chrono::steady_clock::time_point> stopping_;
  std::set<int> waiting_;    // trials without a record that Slurm has not yet said anything of
  bool slurm_away_ = false;  // the last poll met a Slurm that did not answer
  TrialLauncher launcher_;
};

// Slurm's variables of the controller's own job must not leak into the trials it submits.
void forget_own_slurm_environment() {
  std::vector<std::string> names;
  for (char** entry = environ; *entry; ++entry) {
    std::string text = *entry;
    std::string name = text.substr(0, text.find('='));
    if ((name.rfind("SLURM_", 0) == 0 && name != "SLURM_CONF") || name.rfind("SBATCH_", 0) == 0) names.push_back(name);
  }
  for (const auto& name : names) ::unsetenv(name.c_str());
}

// Held for the controller's life: two controllers of one study would submit its trials twice.
// -1 when another process holds it.
// The study's lock (study.lock, flock): one controller, or one `mljob cancel` of an absent
// controller's trials, at a time. Released when this ends, however the holder ends.
class StudyLock {
 public:
  // Takes the lock if no one holds it; held() says whether it did.
  explicit StudyLock(const fs::path& folder)
      : fd_(::open((folder / "study.lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600)) {
    if (fd_ >= 0 && ::flock(fd_, LOCK_EX | LOCK_NB) != 0) release();
  }
  ~StudyLock() { release(); }
  StudyLock(const StudyLock&) = delete;
  StudyLock& operator=(const StudyLock&) = delete;

  bool held() const { return fd_ >= 0; }

 private:
  void release() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fd_;
};

std::string environment_value(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

JobRecord study_record_or_fail(const JobStore& store, const std::string& job_id) {
  auto record = store.load(job_id);
  if (!record || !is_study_folder(record->folder)) {
    throw InputError("JOB_ID", job_id, "is not one of your tuning studies");
  }
  return *record;
}

// The study named by resumePreviousJobId or a warm start's parent (at `field`), which must be
// one of the user's studies.
Study previous_study(const JobStore& store, const std::string& job_id, const std::string& field) {
  try {
    check_stored_job_name(job_id, field);  // a name, not a path: "../x" is no study of the user's
  } catch (const InputError& error) {
    throw InputError(field, job_id, "must name one of your tuning studies (it is not a job ID: " + error.rule() + ")");
  }
  auto record = store.load(job_id);
  if (!record || !is_study_folder(record->folder))
    throw InputError(field, job_id, "must name one of your tuning studies");
  return load_study(record->folder);
}

// Every trial is a job of its own, "<study>_trial_<n>" up to the study's last trial: each of
// those IDs must be a valid job ID, so the study's own must leave room for the suffix.
void check_trial_job_ids(const std::string& study_id, std::size_t last_trial) {
  std::string last = tuner::trial_job_id(study_id, static_cast<int>(std::max<std::size_t>(last_trial, 1)));
  if (last.size() <= kMaxJobIdLength) return;
  std::size_t suffix = last.size() - study_id.size();
  throw InputError("jobId", study_id,
                   "is too long for a study of " + std::to_string(last_trial) +
                       " trials: each trial is a job <jobId>_trial_<n>, "
                       "whose ID must be at most " +
                       std::to_string(kMaxJobIdLength) +
                       " characters, so a study's job ID must be "
                       "at most " +
                       std::to_string(kMaxJobIdLength - suffix) + " characters here");
}

// The study the spec describes, continued from resumePreviousJobId and warm-started from its
// parents, which must be studies of the user's; its trials' job IDs checked.
Study new_study(const Job& job, const JobStore& store) {
  tuner::HyperparameterSpec spec =
      tuner::parse_hyperparameter_spec(job.training_input.hyperparameters, "trainingInput.hyperparameters");
  // The seed: SageMaker's RandomSeed if given, else the job ID's hash, so a study is
  // reproducible from its spec and name.
  Study study(spec, spec.random_seed.value_or(std::hash<std::string>{}(job.job_id)));
  const std::string at = "trainingInput.hyperparameters";
  if (!spec.resume_previous_job_id.empty()) {
    study.continue_from(previous_study(store, spec.resume_previous_job_id, at + ".resumePreviousJobId"),
                        spec.resume_previous_job_id);
  }
  if (spec.warm_start) {
    for (std::size_t i = 0; i < spec.warm_start->parents.size(); ++i) {
      const std::string& parent = spec.warm_start->parents[i];
      std::string field =
          at + ".WarmStartConfig.ParentHyperParameterTuningJobs[" + std::to_string(i) + "].HyperParameterTuningJobName";
      study.warm_start_from(previous_study(store, parent, field), parent, spec.warm_start->type, field);
    }
  }
  check_trial_job_ids(job.job_id, study.trials().size() + study.trials_left());
  return study;
}

// A local package (no "://") is a path from the folder submit ran in, but the controller and
// its trials run in the study's folder: each is recorded absolute, as --package-path is.
Job with_absolute_local_packages(Job job) {
  for (auto& uri : job.training_input.package_uris) {
    if (uri.find("://") == std::string::npos) uri = fs::absolute(uri).string();
  }
  return job;
}

}  // namespace

std::string controller_script(const std::string& job_id, const fs::path& mljob_home, const fs::path& mljob_program) {
  return "#!/bin/bash\n#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n#SBATCH --job-name=mljob-study\n"
         "#SBATCH --requeue\n#SBATCH --open-mode=append\n"
         "#SBATCH --signal=B:USR1@" +
         std::to_string(kTimeLimitWarningSeconds) +
         "\n"
         "export MLJOB_HOME=" +
         shell_quote(fs::absolute(mljob_home).string()) +
         "\n"
         "exec " +
         shell_quote(mljob_program.string()) + " study run " + shell_quote(job_id) + "\n";
}

// A HyperparameterSpec with params is a tuning study: every rule of the spec is checked here,
// and the study runs under its controller (study/study_controller.h). A block without params
// only names the metric of a single run (hyperparameterMetricTag).
bool is_study(const Job& job) {
  const nlohmann::json& spec = job.training_input.hyperparameters;
  if (!spec.is_object() || !(spec.contains("params") || tuner::is_sagemaker_tuning(spec))) return false;
  tuner::parse_hyperparameter_spec(spec, "trainingInput.hyperparameters");
  return true;
}

void check_study(const Job& job, const JobStore& store) {
  // The controller runs `mljob study run`, and each trial's values reach the study through
  // mljob-collect: both must be there whichever program (mljob, mljob-submit) submits.
  sibling_program("mljob");
  sibling_program("mljob-collect");
  new_study(job, store);
}

void check_study_job(const Job& study_job, const tiers::TierCatalog& catalog, const PlanContext& context,
                     const JobStore& store, const std::string& package_path) {
  check_trial_job(study_job, catalog, context, store);
  check_packages(package_path, study_job.training_input.package_uris);
  check_study(study_job, store);
}

void submit_study(const Job& submitted, const JobStore& store, const fs::path& tiers_file, const SlurmAccess& slurm) {
  Job job = with_absolute_local_packages(submitted);
  Study study = new_study(job, store);
  fs::path folder = store.reserve(job.job_id);
  try {
    json job_json = to_json(job);
    write_atomically(folder / kStudyJobFile, study_job_file(job).dump(2) + "\n");
    write_study_settings({tiers_file.empty() ? fs::path() : fs::absolute(tiers_file)}, folder);
    save_study(study, folder);
    JobRecord record{job_json, "", {"study controller"}, {"master-0"}, false, folder, {}, {}};
    if (job.launch) record.front_door = {{"api", job.launch->api}, {"request", job.launch->request}};
    throw_if_interrupted();  // the last point where a Ctrl-C stops the submission
    submit_controller(store, record, job.job_id, slurm);
    save_or_cancel(store, record, slurm);
  } catch (const UncancelledJobWithoutRecord&) {
    throw;  // the controller may run: its folder stays (the message says so)
  } catch (...) {
    store.release(job.job_id);
    throw;
  }
}

int run_study_controller(const std::string& job_id, const SlurmAccess& slurm, ControllerPace pace) {
  JobStore store = JobStore::from_environment();
  JobRecord record = study_record_or_fail(store, job_id);
  StudyLock lock(record.folder);
  if (!lock.held()) throw InputError("JOB_ID", job_id, "another controller is running this study");
  std::string own_slurm_job_id = environment_value("SLURM_JOB_ID");
  if (std::string restarts = environment_value("SLURM_RESTART_COUNT"); !restarts.empty() && restarts != "0") {
    std::cerr << "mljob study: the controller's job was started again by Slurm (restart " << restarts
              << "): continuing the study\n";
  }
  forget_own_slurm_environment();
  std::signal(SIGTERM, on_terminate);
  std::signal(SIGUSR1, on_time_limit_warning);
  return Controller(job_id, store, own_slurm_job_id, slurm, pace).run();
}

int cancel_trials_of_absent_controller(const JobRecord& record, const JobStore& store, const SlurmAccess& slurm) {
  if (!is_study_folder(record.folder)) return 0;
  StudyLock lock(record.folder);
  if (!lock.held()) return 0;  // its controller runs: on its SIGTERM it cancels them itself
  Study study = load_study(record.folder);
  return cancel_active_trials(study, record.job.at("jobId").get<std::string>(), store, "cancelled with the study",
                              slurm);
}

int resume_study(const std::string& job_id, const SlurmAccess& slurm) {
  JobStore store = JobStore::from_environment();
  auto lock = store.lock(job_id);
  JobRecord record = study_record_or_fail(store, job_id);
  json resource = job_resources({record}, slurm).front();
  if (!is_final_state(resource.value("state", ""))) {
    throw InputError("JOB_ID", job_id,
                     "its controller (Slurm job " + record.slurm_job_id + ") is still " + resource.value("state", "") +
                         "; resume a study whose controller ended");
  }
  submit_controller(store, record, job_id, slurm);
  save_or_cancel(store, record, slurm);  // else the record still names the controller that ended
  std::cerr << "Study [" << job_id << "] resumed: controller is Slurm job " << record.slurm_job_id << ".\n";
  return kExitOk;
}

}  // namespace mljob::study
