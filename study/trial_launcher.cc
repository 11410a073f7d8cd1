#include "study/trial_launcher.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>

#include "base/text.h"
#include "core/batch_script.h"
#include "core/spec_parser.h"
#include "jobs/job_preparation.h"
#include "jobs/sagemaker_staging.h"
#include "study/study_files.h"
#include "tiers/catalog_cache.h"
#include "tiers/catalog_loader.h"
#include "tuner/trial_spec.h"

namespace mljob::study {

using jobs::PreparedJob;

namespace fs = std::filesystem;
using nlohmann::json;
using tuner::Trial;

namespace {

// Slurm's own default, assumed when the configuration cannot be read.
constexpr long kDefaultMaxArraySize = 1001;

std::string joined(const std::vector<int>& trial_ids) {
  std::string out;
  for (std::size_t i = 0; i < trial_ids.size(); ++i) out += (i ? "," : "") + std::to_string(trial_ids[i]);
  return out;
}

// How a job array of trials is marked: the study and the trials it runs ("mljob:S_trials:4,5,6").
std::string array_comment(const std::string& study_id, const std::vector<int>& trial_ids) {
  return "mljob:" + study_id + "_trials:" + joined(trial_ids);
}

// Whether a trial with this plan can be a job array element: one component (Slurm refuses
// arrays of het jobs) and no start deadline (it would also count down while an element waits
// for the array's throttle).
bool fits_an_array(const SlurmPlan& plan) {
  return plan.components.size() == 1 && !plan.deadline_seconds;
}

TrialLauncher::Failure not_submitted(int trial_id, const std::exception& error) {
  return {trial_id, std::string("the trial could not be submitted: ") + error.what()};
}

// "123" of "123", "123+1" (a het job's component), "456_4" and "456_[4-6%2]" (array elements).
std::string leading_job_id(const std::string& id) {
  return id.substr(0, id.find_first_of("+_"));
}

// How far apart the clocks of the controller's node, the file server and slurmdbd may be:
// munge refuses credentials between clocks further apart than its TTL (300 s by default), so
// a working cluster keeps them closer than this.
constexpr std::time_t kClockSkewMargin = 600;

// When the trial's folder was prepared, less the margin, as sacct reads a time: every job of
// it was submitted after. Bounded so that jobs of an earlier study with the same job ID (its
// folder since removed) are not taken for this one's.
std::time_t accounting_since(const fs::path& trial_folder) {
  struct stat status {};
  std::time_t prepared = std::time(nullptr);
  // job.sbatch is written once, before sbatch; the folder itself changes while the job runs.
  if (::stat((trial_folder / "job.sbatch").c_str(), &status) == 0 || ::stat(trial_folder.c_str(), &status) == 0) {
    prepared = status.st_mtime;
  }
  return prepared - kClockSkewMargin;
}

// The trial's job IDs in a listing, or nullopt (and why, in `unanswered`) when Slurm did not answer.
std::optional<std::vector<std::string>> listed_jobs(const std::function<std::vector<ListedJob>()>& list,
                                                    const std::string& study_id, int trial_id,
                                                    std::string& unanswered) {
  try {
    return trial_jobs_listed(list(), study_id, trial_id);
  } catch (const std::exception& error) {
    unanswered += (unanswered.empty() ? "" : "; ") + std::string(error.what());
  }
  return std::nullopt;
}

}  // namespace

Job trial_job(const json& study_job, const Trial& trial, const tuner::HyperparameterSpec& spec,
              const std::string& study_id) {
  std::string id = tuner::trial_job_id(study_id, trial.id);
  Job job = parse_job_spec(tuner::trial_job_spec(study_job, trial, spec).dump(),
                           "trial " + std::to_string(trial.id) + "'s job");
  job.job_id = id;
  return job;
}

bool runs_sagemaker_trials(const json& study_job) {
  return study_job.is_object() && study_job.contains(kSageMakerTuningRequestKey);
}

SageMakerTraining sagemaker_trial(const json& study_job, const Trial& trial, const tuner::HyperparameterSpec& spec,
                                  const std::string& study_id, const tiers::TierCatalog& catalog,
                                  const JobStore& store) {
  using ordered = nlohmann::ordered_json;
  const ordered request = ordered::parse(study_job.at(kSageMakerTuningRequestKey).dump());
  std::string name = tuner::trial_job_id(study_id, trial.id);
  ordered hyperparameters = ordered::parse(tuner::trial_hyperparameters(spec, trial).dump());
  ordered trial_request = sagemaker_trial_request(request.at("TrainingJobDefinition"), name, hyperparameters);
  SageMakerTraining training = parse_sagemaker_training(trial_request, catalog, {store.folder_of(name).string(), true});
  // What the study reads of every trial (finalMetric), as trial_job_spec gives AI Platform's trials.
  training.job.training_input.hyperparameters = {{"hyperparameterMetricTag", spec.metric_tag}};
  return training;
}

UnrecordedTrialStep decide_unrecorded_trial(const TrialJobSightings& seen) {
  if (!seen.slurmctld) return UnrecordedTrialStep::kWait;
  if (!seen.slurmctld->empty()) return UnrecordedTrialStep::kCancelAndFail;
  // Gone from slurmctld (or never there): only accounting can tell a job that ended more than
  // MinJobAge ago from one that was never submitted, and until it answers, nothing is undone.
  if (!seen.accounting) return UnrecordedTrialStep::kWait;
  return seen.accounting->empty() ? UnrecordedTrialStep::kSubmit : UnrecordedTrialStep::kFailAsRun;
}

std::vector<std::string> trial_jobs_listed(const std::vector<ListedJob>& listing, const std::string& study_id,
                                           int trial_id) {
  std::string own = "mljob:" + tuner::trial_job_id(study_id, trial_id);
  std::string array_prefix = "mljob:" + study_id + "_trials:";
  std::vector<std::string> ids;
  for (const auto& [listed_id, comment] : listing) {
    std::string id = leading_job_id(listed_id);
    if (id.empty()) continue;
    if (comment == own) ids.push_back(id);
    if (comment.rfind(array_prefix, 0) != 0) continue;
    std::istringstream listed(comment.substr(array_prefix.size()));
    for (std::string item; std::getline(listed, item, ',');) {
      if (item == std::to_string(trial_id)) ids.push_back(id + "_" + item);
    }
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

struct TrialLauncher::PreparedTrial {
  Trial trial;
  PreparedJob job;
  std::string hyperparameters;  // SageMaker's form: every value a string, as JSON
};

TrialLauncher::TrialLauncher(std::string study_id, JobStore store, json study_job, tuner::HyperparameterSpec spec,
                             fs::path tiers_file, const SlurmAccess& slurm)
    : study_id_(std::move(study_id)),
      store_(std::move(store)),
      study_job_(std::move(study_job)),
      spec_(std::move(spec)),
      tiers_file_(std::move(tiers_file)),
      slurm_(slurm) {}

const tiers::TierCatalog& TrialLauncher::catalog() {
  if (!catalog_) {
    catalog_ = tiers::load_catalog_cached(tiers::effective_catalog_path(tiers_file_.string()), store_.root() / "cache");
  }
  return *catalog_;
}

Job TrialLauncher::trial_job_of(const Trial& trial, jobs::FrontDoorStaging* staging) {
  if (!runs_sagemaker_trials(study_job_)) return trial_job(study_job_, trial, spec_, study_id_);
  auto training =
      std::make_shared<SageMakerTraining>(sagemaker_trial(study_job_, trial, spec_, study_id_, catalog(), store_));
  if (staging) {
    const tiers::TierCatalog& site = catalog();
    *staging = [training, &site](const fs::path&) { jobs::stage_sagemaker_job(*training, site); };
  }
  return training->job;
}

bool TrialLauncher::trials_fit_in_an_array() {
  if (!fit_in_an_array_) {
    SlurmPlan plan = jobs::plan_of(trial_job_of(Trial{}, nullptr), tiers_file_, store_);
    fit_in_an_array_ = fits_an_array(plan);
  }
  return *fit_in_an_array_;
}

long TrialLauncher::max_array_size() {
  if (!max_array_size_) {
    max_array_size_ = kDefaultMaxArraySize;
    try {
      if (auto value = slurm_.config_value("MaxArraySize")) max_array_size_ = std::stol(*value);
    } catch (const std::exception& error) {
      std::cerr << "mljob study: MaxArraySize not read (" << error.what() << "); assuming Slurm's default "
                << kDefaultMaxArraySize << "\n";
    }
  }
  return *max_array_size_;
}

std::vector<TrialLauncher::Failure> TrialLauncher::submit(const std::vector<Trial>& trials) {
  std::vector<Failure> failures;
  std::vector<PreparedTrial> prepared;
  for (const auto& trial : trials) {
    try {
      prepared.push_back(prepare(trial));
    } catch (const SlurmError& error) {
      // Preparing asks slurmctld too (sinfo, whether the job can ever fit). Away, it said
      // nothing of the trial: it stays active without a record, and the next poll submits it
      // (seen in the fault suite: "sinfo failed: ... Unable to contact slurm controller").
      if (!slurmctld_unreachable(error.what())) {
        failures.push_back(not_submitted(trial.id, error));
        continue;
      }
      std::cerr << "mljob study: trial " << trial.id << " was not prepared, slurmctld being away (" << error.what()
                << "); submitting it again at the next poll\n";
    } catch (const std::exception& error) {
      failures.push_back(not_submitted(trial.id, error));
    }
  }
  bool as_array = !prepared.empty() && std::all_of(prepared.begin(), prepared.end(), [this](const PreparedTrial& p) {
    return fits_an_array(p.job.plan) && p.trial.id < max_array_size();
  });
  if (as_array) {
    submit_array(prepared, failures);
  } else {
    for (auto& trial : prepared) submit_alone(trial, failures);
  }
  return failures;
}

// The trial's job spec (trial_<n>.json), its folder prepared as any mljob job's, and its
// hyperparameters.json (SageMaker's file) in that folder.
TrialLauncher::PreparedTrial TrialLauncher::prepare(const Trial& trial) {
  // The trial's spec, kept in the study's folder for people to read; the job is made from the value.
  jobs::FrontDoorStaging staging;
  Job spec = trial_job_of(trial, &staging);
  write_atomically(study_folder() / ("trial_" + std::to_string(trial.id) + ".json"),
                   (spec.launch ? nlohmann::json::parse(spec.launch->request.dump()) : to_json(spec)).dump(2) + "\n");
  PreparedJob job = jobs::prepare_job(std::move(spec), tiers_file_, store_, "", slurm_, staging);
  std::string hyperparameters = tuner::trial_hyperparameters(spec_, trial).dump();
  try {
    write_atomically(job.record.folder / "hyperparameters.json", hyperparameters + "\n");
  } catch (...) {
    store_.release(tuner::trial_job_id(study_id_, trial.id));
    throw;
  }
  return {trial, std::move(job), hyperparameters};
}

// What a trial's job gets in its environment: SageMaker's Environment, if the study gave one,
// and MLJOB_HPS, which the plugin makes the trial's SM_HPS (SageMaker's).
std::map<std::string, std::string> TrialLauncher::environment_of(const PreparedTrial& prepared) const {
  std::map<std::string, std::string> environment;
  if (spec_.trial_definition) environment = spec_.trial_definition->environment;
  environment["MLJOB_HPS"] = prepared.hyperparameters;
  return environment;
}

void TrialLauncher::submit_alone(PreparedTrial& prepared, std::vector<Failure>& failures) {
  try {
    // Given to sbatch alone, which passes its environment on to the job.
    std::string slurm_job_id = slurm_.submit({prepared.job.script, prepared.job.submit, environment_of(prepared)});
    record_submission(prepared.job.record, slurm_job_id, prepared.job.submit.comment);
  } catch (const std::exception& error) {
    return give_back({prepared}, error, failures);
  }
  store_.save(prepared.job.record);
  std::cerr << "mljob study: trial " << prepared.trial.id << " submitted as Slurm job "
            << prepared.job.record.slurm_job_id << " " << json(prepared.trial.parameters).dump() << "\n";
}

// One sbatch for all: element <n> of the array is trial <n>, writing to its own folder.
void TrialLauncher::submit_array(std::vector<PreparedTrial>& prepared, std::vector<Failure>& failures) {
  std::vector<ArrayElement> elements;
  std::vector<int> ids;
  for (const auto& trial : prepared) {
    elements.push_back(
        {trial.trial.id, trial.job.record.folder.string(), trial.job.script.string(), environment_of(trial)});
    ids.push_back(trial.trial.id);
  }
  std::string name = study_id_ + "_trials";
  fs::path script =
      study_folder() / (name + "_" + std::to_string(ids.front()) + "-" + std::to_string(ids.back()) + ".sbatch");
  std::string array_id;
  try {
    write_atomically(script, render_array_script(prepared.front().job.plan, name, elements, spec_.max_parallel_trials));
    // Slurm puts the element's index for %a: each element's log lands in its trial's folder.
    fs::path output = study_folder().parent_path() / (study_id_ + "_trial_%a") / "output.log";
    SubmitOptions submit{output.string(), study_folder().string(), array_comment(study_id_, ids), ""};
    array_id = slurm_.submit({script, submit, {}});
  } catch (const std::exception& error) {
    return give_back(prepared, error, failures);
  }
  for (auto& trial : prepared) {
    record_submission(trial.job.record, array_id + "_" + std::to_string(trial.trial.id), array_comment(study_id_, ids));
    store_.save(trial.job.record);
  }
  std::cerr << "mljob study: trials " << joined(ids) << " submitted as the Slurm job array " << array_id << " (at most "
            << spec_.max_parallel_trials << " at once)\n";
}

// Prepared trials that Slurm did not take give their reserved folders back: nothing half-done.
// A submission that never reached slurmctld (it was away: restarting, say) fails no trial: the
// trials stay active without a record, and the next poll submits them again (the controller's
// recover_unrecorded).
void TrialLauncher::give_back(const std::vector<PreparedTrial>& prepared, const std::exception& error,
                              std::vector<Failure>& failures) {
  bool try_again = dynamic_cast<const SlurmError*>(&error) && slurmctld_unreachable(error.what());
  for (const auto& trial : prepared) {
    store_.release(tuner::trial_job_id(study_id_, trial.trial.id));
    if (!try_again) failures.push_back(not_submitted(trial.trial.id, error));
  }
  if (try_again) {
    std::cerr << "mljob study: slurmctld did not take " << prepared.size() << " trial(s) (" << error.what()
              << "); submitting them again at the next poll\n";
  }
}

TrialJobSightings TrialLauncher::find_trial_jobs(int trial_id) const {
  TrialJobSightings seen;
  seen.slurmctld = listed_jobs([&] { return slurm_.live_jobs(); }, study_id_, trial_id, seen.unanswered);
  // Accounting by the names a trial's job can have: its own job ID, or its array's.
  std::vector<std::string> names = {tuner::trial_job_id(study_id_, trial_id), study_id_ + "_trials"};
  std::time_t since = accounting_since(store_.folder_of(tuner::trial_job_id(study_id_, trial_id)));
  seen.accounting =
      listed_jobs([&] { return slurm_.accounted_jobs_named(names, since); }, study_id_, trial_id, seen.unanswered);
  return seen;
}

}  // namespace mljob::study
