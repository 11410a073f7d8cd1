#include "tuner/study.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "base/input_error.h"
#include "tuner/bayesian_optimizer.h"
#include "tuner/trial_spec.h"

namespace mljob::tuner {
namespace {

using nlohmann::json;

// The API's Job states that a trial takes (HyperparameterOutput.state).
const std::vector<std::pair<std::string, TrialState>> kStates = {{"RUNNING", TrialState::kActive},
                                                                 {"SUCCEEDED", TrialState::kSucceeded},
                                                                 {"FAILED", TrialState::kFailed},
                                                                 {"CANCELLED", TrialState::kCancelled}};

TrialState state_from_string(const std::string& name) {
  if (name == "ACTIVE") return TrialState::kActive;  // how study files written before said RUNNING
  for (const auto& [text, state] : kStates) {
    if (text == name) return state;
  }
  throw InputError("trials[].state", name, "must be RUNNING, SUCCEEDED, FAILED or CANCELLED");
}

// An AI Platform trial gets its hyperparameters as strings (HyperparameterOutput's map).
json as_strings(const Assignment& parameters) {
  json out = json::object();
  for (const auto& [name, value] : parameters.items()) {
    out[name] = value.is_string() ? value.get<std::string>() : value.dump();
  }
  return out;
}

}  // namespace

std::string to_string(TrialState state) {
  for (const auto& [text, member] : kStates) {
    if (member == state) return text;
  }
  return "RUNNING";
}

Study::Study(HyperparameterSpec spec, std::uint64_t seed) : spec_(std::move(spec)), space_(spec_.params), seed_(seed) {}

std::size_t Study::trials_left() const {
  if (!failure_.empty()) return 0;
  std::size_t allowed = static_cast<std::size_t>(spec_.max_trials) + static_cast<std::size_t>(resumed_trials_);
  std::size_t left = allowed - std::min(trials_.size(), allowed);
  if (spec_.algorithm == Algorithm::kGridSearch) {
    // The grid continues after the trials it already ran (resumed ones included).
    left =
        std::min<std::uint64_t>(left, space_.grid_size() - std::min<std::uint64_t>(space_.grid_size(), trials_.size()));
  }
  return left;
}

std::size_t Study::free_slots() const {
  std::size_t active = static_cast<std::size_t>(std::count_if(
      trials_.begin(), trials_.end(), [](const Trial& trial) { return trial.state == TrialState::kActive; }));
  std::size_t parallel = static_cast<std::size_t>(spec_.max_parallel_trials);
  return std::min(parallel - std::min(parallel, active), trials_left());
}

bool Study::finished() const {
  if (!failure_.empty()) return true;
  bool any_active = std::any_of(trials_.begin(), trials_.end(),
                                [](const Trial& trial) { return trial.state == TrialState::kActive; });
  return !any_active && free_slots() == 0;
}

std::vector<Assignment> Study::propose(std::size_t count) {
  // Deterministic given the seed and the study's history: the generator is seeded by both.
  std::seed_seq sequence{static_cast<std::uint32_t>(seed_), static_cast<std::uint32_t>(seed_ >> 32),
                         static_cast<std::uint32_t>(trials_.size())};
  std::mt19937_64 rng(sequence);
  std::vector<Assignment> out;
  if (spec_.algorithm == Algorithm::kGridSearch) {
    for (std::size_t i = 0; i < count; ++i) out.push_back(space_.grid_point(trials_.size() + i));
    return out;
  }
  if (spec_.algorithm == Algorithm::kRandomSearch) {
    for (std::size_t i = 0; i < count; ++i) out.push_back(space_.decode(space_.uniform_point(rng)));
    return out;
  }
  std::vector<Observation> observed;
  std::vector<Eigen::VectorXd> pending;
  for (const auto& trial : trials_) {
    if (trial.state == TrialState::kSucceeded && trial.final_value) {
      observed.push_back({space_.encode(trial.parameters), loss(*trial.final_value)});
    } else if (trial.state == TrialState::kActive) {
      pending.push_back(space_.encode(trial.parameters));
    }
  }
  BayesianOptimizer optimizer(space_);
  for (const auto& point : optimizer.suggest(observed, pending, count, rng, gp_hyperparameters_)) {
    out.push_back(space_.decode(point));
  }
  return out;
}

std::vector<Trial> Study::ask(std::size_t count) {
  return create_trials(std::min(count, free_slots()));
}

std::vector<Trial> Study::ask_all_remaining() {
  if (suggestions_need_results()) return {};
  return create_trials(trials_left());
}

std::vector<Trial> Study::create_trials(std::size_t count) {
  std::vector<Trial> created;
  if (count == 0) return created;
  for (auto& parameters : propose(count)) {
    Trial trial;
    trial.id = static_cast<int>(trials_.size()) + 1;
    trial.parameters = std::move(parameters);
    trials_.push_back(trial);
    created.push_back(trial);
  }
  return created;
}

void Study::continue_from(const Study& previous, const std::string& previous_job_id) {
  // AI Platform resumes the same study: the trials carried over stay its own, listed.
  take_over_trials(previous, previous_job_id, WarmStartType::kIdenticalDataAndAlgorithm,
                   "trainingInput.hyperparameters.resumePreviousJobId", false);
}

namespace {

std::vector<std::string> sorted_names(const HyperparameterSpec& spec) {
  std::vector<std::string> out;
  for (const auto& param : spec.params) out.push_back(param.name);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::size_t Study::warm_start_from(const Study& parent, const std::string& parent_name, WarmStartType type,
                                   const std::string& field) {
  return take_over_trials(parent, parent_name, type, field, true);
}

std::size_t Study::take_over_trials(const Study& parent, const std::string& parent_name, WarmStartType type,
                                    const std::string& field, bool knowledge_only) {
  if (std::any_of(trials_.begin(), trials_.end(),
                  [](const Trial& trial) { return trial.state == TrialState::kActive; }) ||
      static_cast<int>(trials_.size()) != resumed_trials_) {
    throw InputError(field, parent_name, "can only seed a study that has not asked for trials yet");
  }
  if (parent.spec_.metric_tag != spec_.metric_tag) {
    throw InputError(field, parent_name,
                     "its objective metric '" + parent.spec_.metric_tag + "' is not this study's '" + spec_.metric_tag +
                         "': a warm start needs the same objective metric");
  }
  bool identical = type == WarmStartType::kIdenticalDataAndAlgorithm;
  if (identical && sorted_names(parent.spec_) != sorted_names(spec_)) {
    throw InputError(field, parent_name,
                     "must name a study over the same hyperparameters as this one (or use TransferLearning)");
  }
  std::size_t taken = 0;
  for (const auto& old : parent.trials_) {
    if (old.state != TrialState::kSucceeded || !old.final_value || !old.is_own()) continue;
    Trial trial = old;
    trial.parameters = nlohmann::json::object();
    bool usable = true;
    for (const auto& param : spec_.params) {
      if (!old.parameters.contains(param.name))
        usable = false;
      else
        trial.parameters[param.name] = old.parameters[param.name];
    }
    try {
      if (usable) space_.encode(trial.parameters);  // refuses values outside this study's ranges
    } catch (const InputError&) {
      usable = false;
    }
    if (!usable) continue;
    trial.id = static_cast<int>(trials_.size()) + 1;
    trial.error_message.clear();
    if (knowledge_only) trial.transferred_from = parent_name;
    // A trial the parent took over itself names the job that ran it, not the parent's number.
    if (trial.parent_job.empty()) trial.parent_job = trial_job_id(parent_name, old.id);
    trials_.push_back(std::move(trial));
    ++taken;
  }
  resumed_trials_ = static_cast<int>(trials_.size());
  return taken;
}

Trial& Study::active_trial(int trial_id, const std::string& field) {
  if (trial_id < 1 || trial_id > static_cast<int>(trials_.size())) {
    throw InputError(field, std::to_string(trial_id), "is not a trial of this study");
  }
  Trial& trial = trials_[static_cast<std::size_t>(trial_id - 1)];
  if (trial.state != TrialState::kActive) {
    throw InputError(field, std::to_string(trial_id), "has already ended (" + to_string(trial.state) + ")");
  }
  return trial;
}

void Study::tell(int trial_id, double value, std::optional<long long> step) {
  if (!std::isfinite(value)) throw InputError("value", std::to_string(value), "must be a finite number");
  Trial& trial = active_trial(trial_id, "trialId");
  trial.state = TrialState::kSucceeded;
  trial.final_value = value;
  trial.final_step = step ? *step : (trial.measurements.empty() ? 0 : trial.measurements.back().step);
}

void Study::tell_failed(int trial_id, const std::string& reason) {
  Trial& trial = active_trial(trial_id, "trialId");
  trial.state = TrialState::kFailed;
  trial.error_message = reason.empty() ? "the trial failed" : reason;
  check_failures();
}

bool Study::retry_lost_run(int trial_id, const std::string& reason) {
  Trial& trial = active_trial(trial_id, "trialId");
  if (!allows_another_failed_run()) {
    tell_failed(trial_id, reason);
    return false;
  }
  trial.lost_runs.push_back(reason);
  trial.measurements.clear();
  trial.start_time.clear();
  trial.end_time.clear();
  return true;
}

bool Study::allows_another_failed_run() const {
  return failure_.empty() && spec_.max_failed_trials && failed_run_count() + 1 < *spec_.max_failed_trials;
}

int Study::failed_run_count() const {
  int count = 0;
  for (const auto& trial : trials_) {
    count += static_cast<int>(trial.lost_runs.size());
    if (trial.state == TrialState::kFailed) ++count;
  }
  return count;
}

void Study::tell_cancelled(int trial_id, const std::string& reason) {
  Trial& trial = active_trial(trial_id, "trialId");
  trial.state = TrialState::kCancelled;
  trial.error_message = reason.empty() ? "the trial was cancelled" : reason;
}

bool Study::set_trial_times(int trial_id, const std::string& start_time, const std::string& end_time) {
  if (trial_id < 1 || trial_id > static_cast<int>(trials_.size())) {
    throw InputError("trialId", std::to_string(trial_id), "is not a trial of this study");
  }
  Trial& trial = trials_[static_cast<std::size_t>(trial_id - 1)];
  bool changed = false;
  for (auto [held, given] : {std::pair{&trial.start_time, &start_time}, std::pair{&trial.end_time, &end_time}}) {
    if (given->empty() || *held == *given) continue;
    *held = *given;
    changed = true;
  }
  return changed;
}

void Study::check_failures() {
  // Once failed, the study's message keeps naming the trials that failed it, not those
  // cancelled afterwards because it failed.
  if (!failure_.empty() || !spec_.max_failed_trials || *spec_.max_failed_trials == 0) return;
  // A run lost to the cluster and run again counts too: maxFailedTrials bounds the reruns.
  std::string failed, rerun;
  for (const auto& trial : trials_) {
    if (trial.state == TrialState::kFailed) failed += (failed.empty() ? "" : ", ") + std::to_string(trial.id);
    if (!trial.lost_runs.empty()) rerun += (rerun.empty() ? "" : ", ") + std::to_string(trial.id);
  }
  int count = failed_run_count();
  if (count >= *spec_.max_failed_trials) {
    failure_ = std::to_string(count) + " trials failed (maxFailedTrials is " +
               std::to_string(*spec_.max_failed_trials) + "): trials " + failed;
    if (!rerun.empty()) failure_ += "; runs lost to the cluster, and run again: trials " + rerun;
  }
}

bool Study::report(int trial_id, long long step, double value) {
  if (!std::isfinite(value)) throw InputError("value", std::to_string(value), "must be a finite number");
  Trial& trial = active_trial(trial_id, "trialId");
  trial.measurements.push_back({step, value});
  if (!spec_.enable_trial_early_stopping) return false;
  std::vector<LearningCurve> completed;
  for (const auto& other : trials_) {
    // Completed: ran to its end. A stopped trial's curve is cut short and would pull the
    // median towards the trials the rule already judged worse.
    if (other.state != TrialState::kSucceeded || other.stopped_early) continue;
    LearningCurve curve;
    for (const auto& measurement : other.measurements) curve.push_back({measurement.step, loss(measurement.value)});
    completed.push_back(std::move(curve));
  }
  LearningCurve curve;
  for (const auto& measurement : trial.measurements) curve.push_back({measurement.step, loss(measurement.value)});
  if (!should_stop_early(curve, completed, stopping_)) return false;
  trial.state = TrialState::kSucceeded;
  trial.stopped_early = true;
  trial.final_value = value;
  trial.final_step = step;
  return true;
}

const Trial* Study::best_trial() const {
  const Trial* best = nullptr;
  for (const auto& trial : trials_) {
    if (trial.state != TrialState::kSucceeded || !trial.final_value || !trial.is_own()) continue;
    if (best == nullptr || loss(*trial.final_value) < loss(*best->final_value)) best = &trial;
  }
  return best;
}

json Study::trial_json(const Trial& trial) {
  json measurements = json::array();
  for (const auto& measurement : trial.measurements) {
    measurements.push_back({{"trainingStep", std::to_string(measurement.step)}, {"objectiveValue", measurement.value}});
  }
  json out = {{"trialId", std::to_string(trial.id)},
              {"parameters", trial.parameters},
              {"hyperparameters", as_strings(trial.parameters)},
              {"state", to_string(trial.state)},
              {"isTrialStoppedEarly", trial.stopped_early},
              {"allMetrics", measurements}};
  if (trial.final_value) {
    out["finalMetric"] = {{"trainingStep", std::to_string(trial.final_step)}, {"objectiveValue", *trial.final_value}};
  }
  if (!trial.error_message.empty()) out["errorMessage"] = trial.error_message;
  if (!trial.start_time.empty()) out["startTime"] = trial.start_time;
  if (!trial.end_time.empty()) out["endTime"] = trial.end_time;
  if (!trial.is_own()) out["transferredFrom"] = trial.transferred_from;
  return out;
}

json Study::to_json() const {
  json trials = json::array();
  for (const auto& trial : trials_) trials.push_back(trial_json(trial));
  json state = {{"spec", tuner::to_json(spec_)}, {"seed", seed_}, {"trials", trials}};
  if (gp_hyperparameters_) {
    Eigen::VectorXd theta = gp_hyperparameters_->as_vector();
    state["gpHyperparameters"] = std::vector<double>(theta.data(), theta.data() + theta.size());
  }
  if (!failure_.empty()) state["failure"] = failure_;
  if (resumed_trials_ > 0) state["resumedTrials"] = resumed_trials_;
  // Beside the trials, not in them: a trial's stored fields are fixed (bridge/study_database.cc).
  json parent_jobs = json::object();
  for (const auto& trial : trials_) {
    if (!trial.parent_job.empty()) parent_jobs[std::to_string(trial.id)] = trial.parent_job;
  }
  if (!parent_jobs.empty()) state["parentJobs"] = parent_jobs;
  json lost_runs = json::object();
  for (const auto& trial : trials_) {
    if (!trial.lost_runs.empty()) lost_runs[std::to_string(trial.id)] = trial.lost_runs;
  }
  if (!lost_runs.empty()) state["lostRuns"] = lost_runs;
  return state;
}

Study Study::from_json(const json& state) {
  if (!state.is_object() || !state.contains("spec") || !state.contains("trials") || !state["trials"].is_array()) {
    throw InputError("study", state.dump().substr(0, 60), "is not a study file (needs spec and trials)");
  }
  std::uint64_t seed = state.value("seed", std::uint64_t{0});
  Study study(parse_hyperparameter_spec(state["spec"], "spec"), seed);
  for (const auto& item : state["trials"]) {
    Trial trial;
    trial.id = std::stoi(item.at("trialId").get<std::string>());
    trial.parameters = item.at("parameters");
    study.space_.encode(trial.parameters);  // refuses parameters outside the spec
    trial.state = state_from_string(item.at("state").get<std::string>());
    trial.stopped_early = item.value("isTrialStoppedEarly", false);
    for (const auto& metric : item.value("allMetrics", json::array())) {
      trial.measurements.push_back(
          {std::stoll(metric.at("trainingStep").get<std::string>()), metric.at("objectiveValue").get<double>()});
    }
    if (item.contains("finalMetric")) {
      trial.final_value = item["finalMetric"].at("objectiveValue").get<double>();
      trial.final_step = std::stoll(item["finalMetric"].at("trainingStep").get<std::string>());
    }
    trial.error_message = item.value("errorMessage", "");
    trial.start_time = item.value("startTime", "");
    trial.end_time = item.value("endTime", "");
    trial.transferred_from = item.value("transferredFrom", "");
    if (trial.id != static_cast<int>(study.trials_.size()) + 1) {
      throw InputError("trials[].trialId", std::to_string(trial.id), "must number the trials 1, 2, ... in order");
    }
    study.trials_.push_back(std::move(trial));
  }
  if (state.contains("gpHyperparameters")) {
    std::vector<double> theta = state["gpHyperparameters"].get<std::vector<double>>();
    if (theta.size() == study.spec_.params.size() + 2) {
      study.gp_hyperparameters_ = GpHyperparameters::from_vector(
          Eigen::Map<Eigen::VectorXd>(theta.data(), static_cast<Eigen::Index>(theta.size())));
    }
  }
  study.failure_ = state.value("failure", "");
  study.resumed_trials_ = state.value("resumedTrials", 0);
  const json parent_jobs = state.value("parentJobs", json::object());
  for (const auto& [id, job] : parent_jobs.items()) {
    int trial_id = std::stoi(id);
    if (trial_id < 1 || trial_id > static_cast<int>(study.trials_.size())) {
      throw InputError("parentJobs", id, "is not a trial of this study");
    }
    study.trials_[static_cast<std::size_t>(trial_id - 1)].parent_job = job.get<std::string>();
  }
  const json lost_runs = state.value("lostRuns", json::object());
  for (const auto& [id, reasons] : lost_runs.items()) {
    int trial_id = std::stoi(id);
    if (trial_id < 1 || trial_id > static_cast<int>(study.trials_.size())) {
      throw InputError("lostRuns", id, "is not a trial of this study");
    }
    if (!reasons.is_array() ||
        !std::all_of(reasons.begin(), reasons.end(), [](const json& r) { return r.is_string(); }))
      throw InputError("lostRuns." + id, reasons.dump().substr(0, 60), "must be a list of reasons (strings)");
    study.trials_[static_cast<std::size_t>(trial_id - 1)].lost_runs = reasons.get<std::vector<std::string>>();
  }
  return study;
}

json Study::training_output() const {
  std::vector<const Trial*> order;
  for (const auto& trial : trials_) {
    if (trial.is_own()) order.push_back(&trial);  // a TransferLearning parent's trials are not this study's
  }
  // Best first: succeeded trials by objective, then the rest in trial order.
  std::stable_sort(order.begin(), order.end(), [this](const Trial* a, const Trial* b) {
    bool a_done = a->state == TrialState::kSucceeded && a->final_value;
    bool b_done = b->state == TrialState::kSucceeded && b->final_value;
    if (a_done != b_done) return a_done;
    return a_done && loss(*a->final_value) < loss(*b->final_value);
  });
  json trials = json::array();
  int completed = 0;  // the API: "trials that completed successfully"
  for (const Trial* trial : order) {
    json out = trial_json(*trial);
    out.erase("parameters");
    if (!trial->lost_runs.empty()) out["lostRuns"] = trial->lost_runs;  // mljob's own field
    trials.push_back(out);
    if (trial->state == TrialState::kSucceeded) ++completed;
  }
  json output = {{"isHyperparameterTuningJob", true},
                 {"completedTrialCount", std::to_string(completed)},
                 {"hyperparameterMetricTag", spec_.metric_tag},
                 {"trials", trials}};
  if (!failure_.empty()) output["errorMessage"] = failure_;
  return output;
}

}  // namespace mljob::tuner
