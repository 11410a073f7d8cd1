// Tuning studies on Slurm: `mljob submit training` of a spec with hyperparameters.params
// records the study and submits its controller, a one-CPU Slurm job running
// `mljob study run JOB_ID`, which drives the tuner's Study (tuner/study.h) and runs each trial
// as a plain mljob training job (`<study>_trial_<n>`). The study's state lives in the study's
// folder (study.db, SQLite, one durable transaction per change): a trial is recorded there
// before it is submitted, and a restarted controller (`mljob study resume JOB_ID`) finds the
// trials already submitted by their deterministic job IDs, so none is submitted twice.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "core/job.h"
#include "core/job_store.h"
#include "core/planner.h"  // PlanContext
#include "core/slurm_access.h"
#include "tiers/catalog.h"

namespace mljob::study {

// A HyperparameterSpec with params (or SageMaker's tuning config) makes the job a tuning study;
// every rule of the spec is checked on the way (InputError). A block without params only names
// the metric of a single run (hyperparameterMetricTag): not a study.
bool is_study(const Job& job);

// A study's own checks beyond its job's, before anything is reserved: its trials' job as
// SageMaker's TrainingJobDefinition changes it (planned against `catalog`), its packages
// (`package_path` and packageUris, which every trial stages itself), and check_study.
void check_study_job(const Job& study_job, const tiers::TierCatalog& catalog, const PlanContext& context,
                     const JobStore& store, const std::string& package_path);

// What submit_study checks before it reserves anything: the programs a study runs (mljob,
// mljob-collect) are beside this one, the studies resumePreviousJobId and a warm start name
// are the user's, and every trial's job ID (<jobId>_trial_<n>) is valid.
void check_study(const Job& job, const JobStore& store);

// Reserves the study's folder, writes its spec (local packageUris made absolute), its settings
// (`tiers_file`, the catalog submit checked it with, made absolute: study_files.h) and its
// initial study file, submits the controller and saves the record. Throws (leaving nothing
// behind) on failure.
void submit_study(const Job& job, const JobStore& store, const std::filesystem::path& tiers_file,
                  const SlurmAccess& slurm);

// The controller's batch script: one CPU, running `mljob_program study run JOB_ID` with
// MLJOB_HOME set to the store's absolute root, since the job starts in the study's folder (a
// relative MLJOB_HOME from submit would name another store there). `mljob_program` is the
// mljob beside the submitting program (jobs/sibling_program.h): mljob-submit has no `study`
// command. A study can outlive any one run of its controller, so the job is requeueable: Slurm
// starts it again by itself after a node is lost, and the controller requeues it when warned
// of its time limit; each run adds to output.log, and continues the study from study.db.
std::string controller_script(const std::string& job_id, const std::filesystem::path& mljob_home,
                              const std::filesystem::path& mljob_program);

// How often the controller looks at its trials, and how long a trial stopped early gets
// between SIGTERM and its cancel. Tests shorten both; `mljob study run` uses these.
struct ControllerPace {
  std::chrono::milliseconds poll_interval{3000};
  std::chrono::milliseconds stop_grace{10000};
};

// mljob study run JOB_ID: the controller loop (runs inside the controller's Slurm job). Returns
// its exit status: 0 when the study ended with a best trial or was requeued to go on.
int run_study_controller(const std::string& job_id, const SlurmAccess& slurm, ControllerPace pace = {});
// mljob study resume JOB_ID: submits a new controller for a study whose controller ended.
int resume_study(const std::string& job_id, const SlurmAccess& slurm);

// For `mljob cancel` of a study whose controller is not running (queued again after a requeue,
// or ended): cancels the trials still in Slurm, records them as cancelled, and answers how
// many. A running controller is left to do it on its SIGTERM (0). Not a study: 0.
int cancel_trials_of_absent_controller(const JobRecord& record, const JobStore& store, const SlurmAccess& slurm);

}  // namespace mljob::study
