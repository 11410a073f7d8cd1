#include "tuner/study.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "base/input_error.h"

namespace mljob::tuner {
namespace {

using nlohmann::json;

HyperparameterSpec spec_from(const json& extra) {
  json spec = {{"goal", "MINIMIZE"},
               {"maxTrials", 10},
               {"params",
                {{{"parameterName", "x"}, {"type", "DOUBLE"}, {"minValue", -2}, {"maxValue", 3}},
                 {{"parameterName", "n"}, {"type", "INTEGER"}, {"minValue", 1}, {"maxValue", 5}},
                 {{"parameterName", "act"}, {"type", "CATEGORICAL"}, {"categoricalValues", {"relu", "tanh"}}}}}};
  if (extra.is_object()) spec.update(extra);
  return parse_hyperparameter_spec(spec);
}

double objective(const Assignment& a) {
  return std::pow(a["x"].get<double>() - 1.3, 2) + 0.1 * a["n"].get<double>() + (a["act"] == "tanh" ? 0.5 : 0.0);
}

void run_to_end(Study& study) {
  while (!study.finished()) {
    for (const auto& trial : study.ask(study.free_slots())) study.tell(trial.id, objective(trial.parameters));
  }
}

TEST(Study, AskRespectsParallelSlotsAndMaxTrials) {
  Study study(spec_from({{"maxParallelTrials", 3}, {"maxTrials", 4}}), 1);
  auto first = study.ask(10);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[0].id, 1);
  EXPECT_TRUE(study.ask(1).empty());  // no free slot
  study.tell(2, 0.5);
  auto next = study.ask(5);
  ASSERT_EQ(next.size(), 1u);  // the fourth and last trial
  EXPECT_EQ(next[0].id, 4);
  EXPECT_EQ(study.free_slots(), 0u);
  EXPECT_FALSE(study.finished());
  study.tell(1, 1.0);
  study.tell(3, 2.0);
  study.tell(4, 0.1);
  EXPECT_TRUE(study.finished());
  EXPECT_EQ(study.best_trial()->id, 4);
}

TEST(Study, SameSeedSameSuggestionsAndAFileRoundTripChangesNothing) {
  Study a(spec_from({{"maxParallelTrials", 2}}), 42), b(spec_from({{"maxParallelTrials", 2}}), 42);
  for (int round = 0; round < 5; ++round) {
    auto from_a = a.ask(2);
    b = Study::from_json(json::parse(b.to_json().dump()));  // as if restarted between commands
    auto from_b = b.ask(2);
    ASSERT_EQ(from_a.size(), from_b.size());
    for (std::size_t i = 0; i < from_a.size(); ++i) {
      EXPECT_EQ(from_a[i].parameters, from_b[i].parameters) << "round " << round;
      a.tell(from_a[i].id, objective(from_a[i].parameters));
      b.tell(from_b[i].id, objective(from_b[i].parameters));
    }
  }
  EXPECT_EQ(a.to_json(), b.to_json());
  Study other_seed(spec_from({}), 43), seed_42(spec_from({}), 42);
  EXPECT_NE(other_seed.ask(1)[0].parameters, seed_42.ask(1)[0].parameters);
}

TEST(Study, BayesianBeatsItsOwnRandomStart) {
  Study study(spec_from({{"maxTrials", 25}}), 3);
  run_to_end(study);
  EXPECT_LT(*study.best_trial()->final_value, 0.1 + 0.05);  // optimum 0.1 at x=1.3, n=1, relu
}

TEST(Study, GridSearchEnumeratesTheGridThenStops) {
  json spec = {{"algorithm", "GRID_SEARCH"},
               {"maxTrials", 100},
               {"params",
                {{{"parameterName", "n"}, {"type", "INTEGER"}, {"minValue", 1}, {"maxValue", 3}},
                 {{"parameterName", "b"}, {"type", "DISCRETE"}, {"discreteValues", {8, 16}}}}}};
  Study study(parse_hyperparameter_spec(spec), 0);
  std::set<std::string> seen;
  while (!study.finished()) {
    for (const auto& trial : study.ask(1)) {
      EXPECT_TRUE(seen.insert(trial.parameters.dump()).second);
      study.tell(trial.id, 1.0);
    }
  }
  EXPECT_EQ(seen.size(), 6u);
  EXPECT_EQ(study.trials().size(), 6u);
}

TEST(Study, RandomSearchStaysInTheDomain) {
  Study study(spec_from({{"algorithm", "RANDOM_SEARCH"}, {"maxTrials", 30}}), 8);
  run_to_end(study);
  SearchSpace space(study.spec().params);
  for (const auto& trial : study.trials()) EXPECT_NO_THROW(space.encode(trial.parameters));
}

TEST(Study, MaxFailedTrialsFailsTheStudyNamingTheTrials) {
  Study study(spec_from({{"maxParallelTrials", 3}, {"maxFailedTrials", 2}}), 1);
  study.ask(3);
  study.tell_failed(1, "no metric reported");
  EXPECT_TRUE(study.failure().empty());
  study.tell_failed(3, "exit code 1");
  EXPECT_NE(study.failure().find("trials 1, 3"), std::string::npos) << study.failure();
  EXPECT_TRUE(study.ask(1).empty());
  EXPECT_TRUE(study.finished());
  EXPECT_EQ(study.training_output()["errorMessage"], study.failure());
}

// A run a failed node stopped is the cluster's fault: the trial runs again with the same
// parameters, each such run counted against maxFailedTrials, which bounds the reruns.
TEST(Study, ATrialStoppedByANodeFailureRunsAgainWithinMaxFailedTrials) {
  Study study(spec_from({{"maxParallelTrials", 2}, {"maxFailedTrials", 3}}), 1);
  auto trials = study.ask(2);
  study.report(trials[0].id, 10, 0.5);
  EXPECT_TRUE(study.retry_lost_run(trials[0].id, "The master failed because its node n3 failed"));
  const Trial& rerun = study.trials()[0];
  EXPECT_EQ(rerun.state, TrialState::kActive);
  EXPECT_EQ(rerun.parameters, trials[0].parameters);
  EXPECT_TRUE(rerun.measurements.empty()) << "what the stopped run reported is not the rerun's";
  EXPECT_EQ(study.failed_run_count(), 1);
  EXPECT_TRUE(study.ask(1).empty()) << "the rerun keeps its slot";

  Study loaded = Study::from_json(study.to_json());  // the count survives a restart
  EXPECT_EQ(loaded.trials()[0].lost_runs, std::vector<std::string>{"The master failed because its node n3 failed"});
  EXPECT_TRUE(loaded.retry_lost_run(trials[0].id, "its node n2 failed"));
  EXPECT_FALSE(loaded.allows_another_failed_run());
  EXPECT_FALSE(loaded.retry_lost_run(trials[1].id, "its node n1 failed")) << "the third failed run";
  EXPECT_EQ(loaded.trials()[1].state, TrialState::kFailed);
  EXPECT_EQ(loaded.failure(),
            "3 trials failed (maxFailedTrials is 3): trials 2; runs lost to the cluster, and run again: trials 1");
  EXPECT_EQ(loaded.training_output()["trials"][0]["lostRuns"].size(), 2u) << loaded.training_output().dump();

  // Without maxFailedTrials nothing bounds the reruns: the trial fails, as any failed trial.
  Study unbounded(spec_from({{"maxParallelTrials", 1}}), 1);
  int id = unbounded.ask(1).front().id;
  EXPECT_FALSE(unbounded.retry_lost_run(id, "its node n3 failed"));
  EXPECT_EQ(unbounded.trials()[0].state, TrialState::kFailed);
  EXPECT_EQ(unbounded.trials()[0].error_message, "its node n3 failed");
  json malformed = study.to_json();
  malformed["lostRuns"] = {{"1", 2}};
  EXPECT_THROW(Study::from_json(malformed), InputError);
}

TEST(Study, EarlyStoppingEndsABadTrialAndMarksIt) {
  Study study(spec_from({{"maxTrials", 5}, {"enableTrialEarlyStopping", true}}), 1);
  for (int i = 0; i < 3; ++i) {
    Trial trial = study.ask(1).front();
    for (int step = 1; step <= 3; ++step) EXPECT_FALSE(study.report(trial.id, step, 1.0 / step));
    study.tell(trial.id, 1.0 / 3);
  }
  Trial bad = study.ask(1).front();
  // Step 1: best so far 0.9, median of the running averages 1.0: go on.
  EXPECT_FALSE(study.report(bad.id, 1, 0.9));
  // Step 2: best so far 0.9, running averages (1 + 1/2) / 2 = 0.75: strictly worse, stop.
  EXPECT_TRUE(study.report(bad.id, 2, 5.0));
  const Trial& stopped = study.trials()[static_cast<std::size_t>(bad.id - 1)];
  EXPECT_EQ(stopped.state, TrialState::kSucceeded);
  EXPECT_TRUE(stopped.stopped_early);
  EXPECT_EQ(stopped.final_value, 5.0);  // the last reported value, as AI Platform's finalMetric
  EXPECT_EQ(stopped.final_step, 2);
  EXPECT_EQ(study.training_output()["trials"][3]["isTrialStoppedEarly"], true);

  Study without(spec_from({{"maxTrials", 5}}), 1);  // the rule is off unless asked for
  Trial trial = without.ask(1).front();
  EXPECT_FALSE(without.report(trial.id, 1, 1e9));
}

TEST(Study, TrialsTheRuleStoppedDoNotCountAsCompletedForTheMedian) {
  Study study(spec_from({{"maxTrials", 9}, {"enableTrialEarlyStopping", true}}), 2);
  for (int i = 0; i < 3; ++i) {  // three trials run to their end at 1.0
    Trial trial = study.ask(1).front();
    EXPECT_FALSE(study.report(trial.id, 1, 1.0));
    study.tell(trial.id, 1.0);
  }
  for (int i = 0; i < 4; ++i) {  // four stopped at their first report
    Trial trial = study.ask(1).front();
    EXPECT_TRUE(study.report(trial.id, 1, 50.0));
  }
  // Counted as completed, the four cut curves would make the median 50 and let this one go on.
  Trial trial = study.ask(1).front();
  EXPECT_TRUE(study.report(trial.id, 1, 2.0));
}

TEST(Study, TellRefusesUnknownAndEndedTrials) {
  Study study(spec_from({}), 1);
  study.ask(1);
  EXPECT_THROW(study.tell(2, 1.0), InputError);
  study.tell(1, 1.0);
  EXPECT_THROW(study.tell(1, 2.0), InputError);
  EXPECT_THROW(study.report(1, 3, 2.0), InputError);
}

TEST(Study, TrainingOutputPutsTheBestTrialFirst) {
  json extra = {{"goal", "MAXIMIZE"}, {"maxTrials", 3}, {"maxParallelTrials", 3}};
  Study study(spec_from(extra), 1);
  study.ask(3);
  study.tell(1, 0.2);
  study.tell(2, 0.9);
  json output = study.training_output();
  EXPECT_EQ(output["isHyperparameterTuningJob"], true);
  EXPECT_EQ(output["completedTrialCount"], "2");
  EXPECT_EQ(output["trials"][0]["trialId"], "2");
  EXPECT_EQ(output["trials"][1]["trialId"], "1");
  EXPECT_EQ(output["trials"][2]["state"], "RUNNING");
  EXPECT_TRUE(output["trials"][0]["hyperparameters"]["n"].is_string());
}

TEST(Study, CompletedTrialCountCountsOnlyTrialsThatSucceededAndEveryStateIsAnApiJobState) {
  Study study(spec_from({{"maxTrials", 4}, {"maxParallelTrials", 4}}), 1);
  study.ask(4);
  study.tell(1, 0.2);
  study.tell_failed(2, "crashed");
  study.tell_cancelled(3, "cancelled with the study");
  json output = study.training_output();
  EXPECT_EQ(output["completedTrialCount"], "1");  // "trials that completed successfully"
  std::map<std::string, std::string> states;
  for (const auto& trial : output["trials"]) states[trial["trialId"]] = trial["state"];
  EXPECT_EQ(states, (std::map<std::string, std::string>{
                        {"1", "SUCCEEDED"}, {"2", "FAILED"}, {"3", "CANCELLED"}, {"4", "RUNNING"}}));
  EXPECT_EQ(output["trials"][2]["errorMessage"], "cancelled with the study");
  Study reloaded = Study::from_json(json::parse(study.to_json().dump()));
  EXPECT_EQ(reloaded.trials()[2].state, TrialState::kCancelled);
  EXPECT_EQ(reloaded.training_output(), output);
}

TEST(Study, ACancelledTrialIsNotAFailureOfTheStudy) {
  Study study(spec_from({{"maxTrials", 3}, {"maxParallelTrials", 3}, {"maxFailedTrials", 1}}), 1);
  study.ask(3);
  study.tell_cancelled(1, "cancelled with the study");
  EXPECT_TRUE(study.failure().empty());
  EXPECT_THROW(study.tell(1, 0.5), InputError);  // it has ended
}

TEST(Study, AStudyFileThatSaysActiveStillLoads) {
  Study study(spec_from({}), 1);
  study.ask(1);
  json state = study.to_json();
  state["trials"][0]["state"] = "ACTIVE";  // as mljob wrote running trials before
  EXPECT_EQ(Study::from_json(state).trials()[0].state, TrialState::kActive);
}

TEST(Study, TrialTimesAreKeptShownAndNeverForgotten) {
  Study study(spec_from({{"maxParallelTrials", 2}}), 1);
  study.ask(1);
  EXPECT_FALSE(study.training_output()["trials"][0].contains("startTime"));
  EXPECT_TRUE(study.set_trial_times(1, "2026-11-22T09:00:00Z", ""));
  EXPECT_FALSE(study.set_trial_times(1, "", ""));  // not known this time: what is held stays
  study.tell(1, 0.5);
  EXPECT_TRUE(study.set_trial_times(1, "2026-11-22T09:00:00Z", "2026-11-22T09:05:00Z"));
  Study reloaded = Study::from_json(study.to_json());
  json trial = reloaded.training_output()["trials"][0];
  EXPECT_EQ(trial["startTime"], "2026-11-22T09:00:00Z");
  EXPECT_EQ(trial["endTime"], "2026-11-22T09:05:00Z");
  EXPECT_THROW(study.set_trial_times(7, "x", "y"), InputError);
}

TEST(Study, RandomAndGridStudiesQueueEveryTrialAtOnceTheBayesianDefaultDoesNot) {
  Study random(spec_from({{"maxParallelTrials", 2}, {"maxTrials", 6}, {"algorithm", "RANDOM_SEARCH"}}), 3);
  auto queued = random.ask_all_remaining();
  ASSERT_EQ(queued.size(), 6u);  // beyond the two parallel slots: Slurm's throttle keeps two running
  EXPECT_EQ(queued.back().id, 6);
  EXPECT_EQ(random.free_slots(), 0u);
  EXPECT_TRUE(random.ask_all_remaining().empty());
  for (const auto& trial : queued) random.tell(trial.id, objective(trial.parameters));
  EXPECT_TRUE(random.finished());

  Study bayesian(spec_from({{"maxParallelTrials", 2}}), 3);
  EXPECT_TRUE(bayesian.suggestions_need_results());
  EXPECT_TRUE(bayesian.ask_all_remaining().empty());
}

TEST(Study, ContinuingAStudyStartsFromItsSucceededTrialsAndRunsMaxTrialsMore) {
  Study previous(spec_from({{"maxTrials", 4}, {"maxParallelTrials", 4}}), 5);
  auto trials = previous.ask(4);
  previous.tell(trials[0].id, 0.7);
  previous.tell_failed(trials[1].id, "crashed");
  previous.tell(trials[2].id, 0.2);
  previous.tell(trials[3].id, 0.9);

  Study resumed(spec_from({{"maxTrials", 3}, {"maxParallelTrials", 3}}), 6);
  resumed.continue_from(previous, "old_study");
  ASSERT_EQ(resumed.trials().size(), 3u);  // the failed trial is not carried over
  EXPECT_EQ(resumed.trials()[1].parameters, trials[2].parameters);
  EXPECT_EQ(resumed.trials()[1].id, 2);
  EXPECT_EQ(resumed.trials()[1].parent_job, "old_study_trial_3");  // the job that ran it
  EXPECT_FALSE(resumed.ran(resumed.trials()[1]));
  EXPECT_TRUE(resumed.trials()[1].is_own());  // AI Platform continues the same study: listed
  EXPECT_EQ(resumed.best_trial()->final_value, 0.2);
  auto fresh = resumed.ask(10);
  ASSERT_EQ(fresh.size(), 3u);  // maxTrials counts the new trials
  EXPECT_EQ(fresh[0].id, 4);
  for (const auto& trial : fresh) resumed.tell(trial.id, 1.0);
  EXPECT_TRUE(resumed.finished());
  Study reloaded = Study::from_json(json::parse(resumed.to_json().dump()));
  EXPECT_TRUE(reloaded.finished());
  EXPECT_EQ(reloaded.trials().size(), 6u);
}

TEST(Study, WarmStartIdenticalDataTakesTheParentsTrialsInRangeAsKnowledgeOnly) {
  Study parent(spec_from({{"maxTrials", 3}, {"maxParallelTrials", 3}}), 5);
  auto trials = parent.ask(3);
  for (const auto& trial : trials) parent.tell(trial.id, objective(trial.parameters));
  // The child narrows x to [-2, 0]: parent trials with x > 0 are left out.
  Study child(
      spec_from(
          {{"maxTrials", 2},
           {"params",
            json::array(
                {{{"parameterName", "x"}, {"type", "DOUBLE"}, {"minValue", -2}, {"maxValue", 0}},
                 {{"parameterName", "n"}, {"type", "INTEGER"}, {"minValue", 1}, {"maxValue", 5}},
                 {{"parameterName", "act"}, {"type", "CATEGORICAL"}, {"categoricalValues", {"relu", "tanh"}}}})}}),
      6);
  std::size_t in_range = 0;
  for (const auto& trial : trials) in_range += trial.parameters["x"].get<double>() <= 0;
  EXPECT_EQ(child.warm_start_from(parent, "p1", WarmStartType::kIdenticalDataAndAlgorithm, "f"), in_range);
  EXPECT_EQ(child.trials().size(), in_range);
  // They never ran in this study: not listed, not counted, never its best (SageMaker's rule).
  EXPECT_TRUE(child.training_output()["trials"].empty());
  EXPECT_EQ(child.training_output()["completedTrialCount"], "0");
  EXPECT_EQ(child.best_trial(), nullptr);
  if (in_range > 0) {
    EXPECT_FALSE(child.ran(child.trials()[0]));
    EXPECT_EQ(child.trials()[0].transferred_from, "p1");
    EXPECT_EQ(child.trials()[0].parent_job.rfind("p1_trial_", 0), 0u) << child.trials()[0].parent_job;
  }
  auto fresh = child.ask(5);
  ASSERT_EQ(fresh.size(), 1u);  // maxParallelTrials 1 (default); maxTrials counts new trials
  EXPECT_TRUE(child.ran(fresh[0]));
  child.tell(fresh[0].id, 5.0);
  EXPECT_EQ(child.best_trial()->id, fresh[0].id);  // even if a parent's trial did better
  json output = child.training_output();
  ASSERT_EQ(output["trials"].size(), 1u);
  EXPECT_EQ(output["trials"][0]["trialId"], std::to_string(fresh[0].id));
  EXPECT_EQ(output["completedTrialCount"], "1");
  Study reloaded = Study::from_json(json::parse(child.to_json().dump()));
  for (std::size_t i = 0; i < in_range; ++i) EXPECT_EQ(reloaded.trials()[i].parent_job, child.trials()[i].parent_job);
}

TEST(Study, WarmStartTransferLearningInformsTheModelButListsOnlyTheStudysOwnTrials) {
  Study parent(spec_from({{"maxTrials", 4}, {"maxParallelTrials", 4}}), 5);
  for (const auto& trial : parent.ask(4)) parent.tell(trial.id, objective(trial.parameters));
  // The child drops `act` and keeps x and n: every parent trial has both.
  Study child(
      parse_hyperparameter_spec(json{
          {"goal", "MINIMIZE"},
          {"maxTrials", 2},
          {"params", json::array({{{"parameterName", "x"}, {"type", "DOUBLE"}, {"minValue", -2}, {"maxValue", 3}},
                                  {{"parameterName", "n"}, {"type", "INTEGER"}, {"minValue", 1}, {"maxValue", 5}}})}}),
      6);
  EXPECT_EQ(child.warm_start_from(parent, "p1", WarmStartType::kTransferLearning, "f"), 4u);
  EXPECT_FALSE(child.trials()[0].parameters.contains("act"));
  EXPECT_EQ(child.best_trial(), nullptr);  // the parent's values came from other data
  EXPECT_TRUE(child.training_output()["trials"].empty());
  auto fresh = child.ask(1);
  ASSERT_EQ(fresh.size(), 1u);
  child.tell(fresh[0].id, 9.0);
  EXPECT_EQ(child.best_trial()->id, fresh[0].id);
  Study reloaded = Study::from_json(json::parse(child.to_json().dump()));
  EXPECT_EQ(reloaded.trials()[0].transferred_from, "p1");
  EXPECT_EQ(reloaded.training_output()["completedTrialCount"], "1");
}

TEST(Study, WarmStartNeedsTheSameObjectiveMetric) {
  Study parent(spec_from({{"hyperparameterMetricTag", "loss"}}), 1);
  Study child(spec_from({{"hyperparameterMetricTag", "accuracy"}}), 2);
  EXPECT_THROW(child.warm_start_from(parent, "p1", WarmStartType::kTransferLearning, "f"), InputError);
}

TEST(Study, ContinuingAStudyOverOtherParametersIsRefused) {
  Study previous(parse_hyperparameter_spec(json{
                     {"maxTrials", 1},
                     {"params", {{{"parameterName", "lr"}, {"type", "DOUBLE"}, {"minValue", 0.1}, {"maxValue", 1}}}}}),
                 1);
  Study resumed(spec_from({}), 2);
  try {
    resumed.continue_from(previous, "old_study");
    FAIL() << "a study over other parameters was continued";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("resumePreviousJobId"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("same hyperparameters"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace mljob::tuner
