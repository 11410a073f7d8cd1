// The controller killed at each step of a trial's life, then run again, against the recording
// fake of Slurm (study/fake_slurm.h): the rerun finishes the study with the trials it asked for,
// each given to Slurm once. Beside them: a crash between sbatch and the records whose jobs have
// already left slurmctld (with accounting down at the restart, then back), and a GRID study with
// a failing trial, whose final TrainingOutput is checked. study_controller_run_test.cc holds
// the first cases of the same promise (a whole run, accounting late or down).
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "base/test_support.h"
#include "base/text.h"
#include "core/job_store.h"
#include "core/spec_parser.h"
#include "metrics/metrics_store.h"
#include "study/controller_test_support.h"
#include "study/fake_slurm.h"
#include "study/study_controller.h"
#include "study/study_files.h"
#include "tuner/study.h"
#include "tuner/trial_spec.h"  // trial_job_id

namespace mljob::study {
namespace {

namespace fs = std::filesystem;
using mljob::testing::FakeSlurm;
using mljob::testing::ScopedVariable;
using mljob::testing::ScratchFolder;
using mljob::testing::SimulatedCrash;
using nlohmann::json;
using tuner::TrialState;

using testing::a_study;
using testing::kFast;
using testing::objective;

// Forwards every call to a FakeSlurm, after `before_each_call` saw its name ("submit", "queue",
// ...): a test stops the controller there (throws SimulatedCrash, before Slurm got the call) or
// changes the fake's state at a chosen moment. FakeSlurm itself only crashes after a submission.
class InterceptedSlurm final : public SlurmAccess {
 public:
  InterceptedSlurm(const FakeSlurm& slurm, std::function<void(const std::string& call)> before_each_call)
      : slurm_(slurm), before_each_call_(std::move(before_each_call)) {}

  std::string submit(const BatchSubmission& batch) const override {
    saw("submit");
    return slurm_.submit(batch);
  }
  std::string submit_marked(const BatchSubmission& batch) const override {
    saw("submit_marked");
    return slurm_.submit_marked(batch);
  }
  std::vector<AccountingRecord> accounting(const std::vector<std::string>& ids) const override {
    saw("accounting");
    return slurm_.accounting(ids);
  }
  std::vector<AccountingRecord> queue(const std::vector<std::string>& ids) const override {
    saw("queue");
    return slurm_.queue(ids);
  }
  std::string inventory_text() const override {
    saw("inventory_text");
    return slurm_.inventory_text();
  }
  std::optional<std::string> config_value(const std::string& name) const override {
    saw("config_value");
    return slurm_.config_value(name);
  }
  std::vector<ListedJob> live_jobs() const override {
    saw("live_jobs");
    return slurm_.live_jobs();
  }
  std::vector<ListedJob> accounted_jobs_named(const std::vector<std::string>& names, std::time_t since) const override {
    saw("accounted_jobs_named");
    return slurm_.accounted_jobs_named(names, since);
  }
  void signal(const std::string& job_id, const std::string& signal_name) const override {
    saw("signal");
    slurm_.signal(job_id, signal_name);
  }
  void cancel(const std::string& job_id) const override {
    saw("cancel");
    slurm_.cancel(job_id);
  }
  void requeue(const std::string& job_id) const override {
    saw("requeue");
    slurm_.requeue(job_id);
  }

 private:
  // Accounting is asked from a thread of its own while slurmctld is asked: one call at a time here.
  void saw(const std::string& call) const {
    std::lock_guard lock(guard_);
    before_each_call_(call);
  }

  const FakeSlurm& slurm_;
  std::function<void(const std::string&)> before_each_call_;
  mutable std::mutex guard_;
};

// A hook for InterceptedSlurm that crashes the controller at the `nth` call of `call`.
std::function<void(const std::string&)> crash_at(std::string call, int nth) {
  auto seen = std::make_shared<int>(0);
  return [call = std::move(call), nth, seen](const std::string& made) {
    if (made == call && ++*seen == nth) throw SimulatedCrash{};
  };
}

// The controller killed and run again (the fixture: study/controller_test_support.h).
class StudyControllerRunRestart : public testing::ControllerTest {};

// One step of a trial's life at which the controller dies, and what that leaves on disk.
struct CrashStep {
  std::string name;
  std::string call;  // the SlurmAccess call the controller dies at (before Slurm gets it)
  int nth;
  bool folders_prepared;  // the trials' folders exist after the crash
  bool records_saved;     // ... and their job records
};

class CrashAtEachStep : public StudyControllerRunRestart, public ::testing::WithParamInterface<CrashStep> {};

// Three trials, one at a time, asked at once as one job array. Whatever step the controller
// died at, the rerun ends the study with those three trials, each given to Slurm once, each
// with its own result, and nothing cancelled.
TEST_P(CrashAtEachStep, TheRerunFinishesTheStudyWithEveryTrialSubmittedOnce) {
  const CrashStep& step = GetParam();
  submit_study(a_study("RANDOM_SEARCH", 3, 1), store_, "", slurm_);
  InterceptedSlurm crashing(slurm_, crash_at(step.call, step.nth));
  EXPECT_THROW(run_study_controller("tune", crashing, kFast), SimulatedCrash);

  // The crash came where the step says: the trials asked for (the intent in study.db), and
  // prepared and recorded only as far as that step.
  tuner::Study crashed = study();
  ASSERT_EQ(crashed.trials().size(), 3u);
  for (int trial = 1; trial <= 3; ++trial) {
    EXPECT_EQ(crashed.trials()[trial - 1].state, TrialState::kActive) << trial;
    EXPECT_EQ(has_folder(trial), step.folders_prepared) << trial;
    EXPECT_EQ(has_record(trial), step.records_saved) << trial;
  }

  EXPECT_EQ(run_study_controller("tune", slurm_, kFast), 0);
  expect_every_trial_succeeded(3);
  EXPECT_EQ(trial_submissions(), (std::map<int, int>{{1, 1}, {2, 1}, {3, 1}}));
  EXPECT_TRUE(slurm_.cancels.empty());
}

INSTANTIATE_TEST_SUITE_P(
    StudyControllerRun, CrashAtEachStep,
    ::testing::Values(
        // Asked for and saved, then killed while preparing the first trial (fitting it to the inventory).
        CrashStep{"AfterTheIntentBeforeAnyFolder", "inventory_text", 1, false, false},
        // Every folder prepared, killed before sbatch reached Slurm: no job of them anywhere.
        CrashStep{"AfterTheFoldersBeforeSbatch", "submit", 1, true, false},
        // Submitted and recorded, killed at the first look at the running trials.
        CrashStep{"WhileTheTrialsRun", "queue", 1, true, true},
        // The trials ended (the first look saw them running), killed before their results were told.
        CrashStep{"AfterTheTrialsEndedBeforeTheirResults", "queue", 2, true, true}),
    [](const ::testing::TestParamInfo<CrashStep>& step) { return step.param.name; });

// slurmctld away (killed, restarting) at the controller's first two looks at its running trials:
// the controller does not end (it would leave the study to `mljob study resume`), it asks again
// at the next polls and finishes the study, each trial submitted once.
TEST_F(StudyControllerRunRestart, SlurmctldAwayForSomePollsDoesNotEndTheController) {
  submit_study(a_study("RANDOM_SEARCH", 3, 1), store_, "", slurm_);
  auto looks = std::make_shared<int>(0);
  InterceptedSlurm away(slurm_, [looks](const std::string& call) {
    if (call == "queue" && ++*looks <= 2)
      throw SlurmError("slurmctld did not answer: Unable to contact slurm controller");
  });
  EXPECT_EQ(run_study_controller("tune", away, kFast), 0);
  EXPECT_GT(*looks, 2);
  expect_every_trial_succeeded(3);
  EXPECT_EQ(trial_submissions(), (std::map<int, int>{{1, 1}, {2, 1}, {3, 1}}));
}

// The controller died after Slurm accepted the trials' array but before their records were
// saved, and the elements ran to their end and left slurmctld before the restart. Accounting is
// down at first: nothing can tell those jobs from ones never submitted, so the trials wait (not
// judged, not submitted). When accounting answers that they ran, they are failed (their results
// cannot be trusted without a record), never run again, and nothing is cancelled.
TEST_F(StudyControllerRunRestart, UnrecordedTrialsThatRanWaitForAccountingThenFailWithoutRunningAgain) {
  submit_study(a_study("RANDOM_SEARCH", 2, 2), store_, "", slurm_);
  slurm_.crash_after_submission = 2;  // the trials' array (after the controller's own job)
  EXPECT_THROW(run_study_controller("tune", slurm_, kFast), SimulatedCrash);
  slurm_.crash_after_submission = 0;
  const std::string array = slurm_.submissions.back().job_id;
  ASSERT_FALSE(has_record(1));
  ASSERT_FALSE(has_record(2));
  // The elements run once and end; slurmctld forgets them at once (ended_polls_in_slurmctld 0).
  slurm_.queue({array + "_1", array + "_2"});
  for (const auto& live : slurm_.live_jobs()) ASSERT_NE(live.job_id.rfind(array + "_", 0), 0u) << live.job_id;

  slurm_.accounting_down = true;
  int refused_lookups = 0, calls_while_down = 0;
  InterceptedSlurm restarted(slurm_, [&](const std::string& call) {
    if (!slurm_.accounting_down) return;
    // Back after several polls' lookups; after 200 calls in any case, so that a controller
    // that stopped asking fails the checks below instead of waiting forever.
    bool lookup = call == "accounted_jobs_named";
    if (lookup) ++refused_lookups;
    if ((!lookup || refused_lookups < 6) && ++calls_while_down < 200) return;
    tuner::Study waiting = study();  // a named Study: the loop reads its trials
    for (const auto& trial : waiting.trials()) EXPECT_EQ(trial.state, TrialState::kActive) << "judged while down";
    slurm_.accounting_down = false;
  });
  EXPECT_EQ(run_study_controller("tune", restarted, kFast), 1);  // no trial could succeed

  EXPECT_EQ(refused_lookups, 6) << "the trials did not wait for accounting";
  tuner::Study ended = study();
  ASSERT_EQ(ended.trials().size(), 2u);
  for (const auto& trial : ended.trials()) {
    EXPECT_EQ(trial.state, TrialState::kFailed) << trial.id;
    std::string element = array + "_" + std::to_string(trial.id);
    EXPECT_NE(trial.error_message.find("its Slurm job " + element + " ran without a record"), std::string::npos)
        << trial.error_message;
  }
  EXPECT_EQ(trial_submissions(), (std::map<int, int>{{1, 1}, {2, 1}}));
  EXPECT_TRUE(slurm_.cancels.empty());
}

// A GRID study of three values, two at a time, whose trial at x = 0.5 fails (exit code 1, no
// objective): that trial is judged FAILED and not run again, the others succeed, and the
// TrainingOutput the controller prints (and study.db keeps) lists the best (x = 0.3) first,
// with two completed trials.
TEST_F(StudyControllerRunRestart, GridStudyWithAFailingTrialEndsWithTheRightTrainingOutput) {
  submit_study(a_study("GRID_SEARCH", 3, 2), store_, "", slurm_);
  slurm_.on_end = [this](const std::string& job_id) {
    auto record = trial_of(job_id);
    if (record && x_of(*record) == 0.5) return std::string("FAILED");
    report_objective(job_id);
    return std::string("COMPLETED");
  };
  ::testing::internal::CaptureStdout();
  int status = run_study_controller("tune", slurm_, kFast);
  json printed = json::parse(::testing::internal::GetCapturedStdout());
  EXPECT_EQ(status, 0);

  tuner::Study ended = study();
  std::map<double, TrialState> state_by_x;
  for (const auto& trial : ended.trials()) state_by_x[trial.parameters["x"].get<double>()] = trial.state;
  EXPECT_EQ(state_by_x, (std::map<double, TrialState>{
                            {0.1, TrialState::kSucceeded}, {0.3, TrialState::kSucceeded}, {0.5, TrialState::kFailed}}));
  EXPECT_EQ(trial_submissions(), (std::map<int, int>{{1, 1}, {2, 1}, {3, 1}}));

  json output = ended.training_output();
  EXPECT_EQ(printed, output);
  EXPECT_EQ(output["completedTrialCount"], "2");
  EXPECT_EQ(output["hyperparameterMetricTag"], "objective");
  ASSERT_EQ(output["trials"].size(), 3u);
  EXPECT_EQ(output["trials"][0]["hyperparameters"]["x"], "0.3");
  EXPECT_NEAR(output["trials"][0]["finalMetric"]["objectiveValue"].get<double>(), objective(0.3), 1e-5);
  EXPECT_EQ(output["trials"][2]["state"], "FAILED");
  EXPECT_FALSE(output.contains("errorMessage"));
}

}  // namespace
}  // namespace mljob::study
