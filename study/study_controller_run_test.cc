// The controller's run loop (`mljob study run`) against a recording fake of Slurm
// (study/fake_slurm.h): a study run to its end, a controller that crashed between sbatch and
// the trial's record, accounting late and accounting down. Each checks the one promise of the
// runtime: every trial runs at most once, and the study ends with the trials it asked for.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>

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

namespace mljob::study {
namespace {

namespace fs = std::filesystem;
using mljob::testing::FakeSlurm;
using mljob::testing::ScopedVariable;
using mljob::testing::ScratchFolder;
using mljob::testing::SimulatedCrash;
using nlohmann::json;

using testing::a_study;
using testing::kFast;
using testing::objective;

// A whole run, and Slurm slow to answer (the fixture: study/controller_test_support.h).
class ControllerRun : public testing::ControllerTest {
 protected:
  // The study ended with trials 1..n, each SUCCEEDED and given to Slurm once.
  void expect_every_trial_succeeded_once(int n) {
    tuner::Study ended = study();
    ASSERT_EQ(ended.trials().size(), static_cast<std::size_t>(n));
    std::map<int, int> once;
    for (const auto& trial : ended.trials()) {
      EXPECT_EQ(trial.state, tuner::TrialState::kSucceeded) << trial.error_message;
      once[trial.id] = 1;
    }
    EXPECT_EQ(trial_submissions(), once);
  }
};

TEST_F(ControllerRun, RunsTheStudyToItsEndSubmittingEveryTrialOnce) {
  submit_study(a_study("RANDOM_SEARCH", 4, 2), store_, "", slurm_);
  ASSERT_EQ(slurm_.submissions.size(), 1u);  // the controller's own job
  EXPECT_EQ(run_study_controller("tune", slurm_, kFast), 0);

  tuner::Study ended = study();
  ASSERT_EQ(ended.trials().size(), 4u);
  for (const auto& trial : ended.trials()) {
    EXPECT_EQ(trial.state, tuner::TrialState::kSucceeded) << trial.id << ": " << trial.error_message;
    ASSERT_TRUE(trial.final_value);
    EXPECT_NEAR(*trial.final_value, objective(trial.parameters["x"].get<double>()), 1e-5);
  }
  EXPECT_EQ(trial_submissions(), (std::map<int, int>{{1, 1}, {2, 1}, {3, 1}, {4, 1}}));
  // Random search needs no results to suggest: the four trials are one array, two at a time.
  ASSERT_EQ(slurm_.submissions.size(), 1u + 1u);
  EXPECT_NE(read_text(slurm_.submissions[1].batch.script).find("#SBATCH --array=1,2,3,4%2\n"), std::string::npos);
  EXPECT_TRUE(slurm_.cancels.empty());
  ASSERT_TRUE(ended.best_trial());
}

// A trial whose metrics.db the controller cannot read (here an older collector's file) reported
// nothing: it fails for want of an objective, the warning says why once, and the study goes on.
TEST_F(ControllerRun, ATrialWhoseMetricsCannotBeReadFailsAndTheStudyGoesOn) {
  slurm_.on_end = [this](const std::string& job_id) {
    auto record = trial_of(job_id);
    if (record && record->job["jobId"].get<std::string>().ends_with("_trial_2")) {
      sqlite3* db = nullptr;
      sqlite3_open(metrics::metrics_db_path(record->folder).c_str(), &db);
      sqlite3_exec(db, "CREATE TABLE emetrics (rindex INTEGER PRIMARY KEY, vals TEXT)", nullptr, nullptr, nullptr);
      sqlite3_close(db);
    } else {
      report_objective(job_id);
    }
    return std::string("COMPLETED");
  };
  submit_study(a_study("RANDOM_SEARCH", 3, 1), store_, "", slurm_);
  EXPECT_EQ(run_study_controller("tune", slurm_, kFast), 0);
  tuner::Study ended = study();
  ASSERT_EQ(ended.trials().size(), 3u);
  EXPECT_NE(ended.trials()[1].state, tuner::TrialState::kSucceeded);
  EXPECT_FALSE(ended.trials()[1].final_value);
  EXPECT_EQ(ended.trials()[0].state, tuner::TrialState::kSucceeded);
  EXPECT_EQ(ended.trials()[2].state, tuner::TrialState::kSucceeded);
}

// The controller died after Slurm accepted the trials' job array but before their records
// were saved. The array's elements are still in slurmctld: the new controller must not submit
// those trials again (they would run twice, and their folders be replaced); it cancels each
// element and fails its trial, saying why.
TEST_F(ControllerRun, ACrashBetweenSbatchAndTheRecordNeverRunsATrialTwice) {
  submit_study(a_study("RANDOM_SEARCH", 3, 1, 5), store_, "", slurm_);
  slurm_.crash_after_submission = 2;                                 // the trials' sbatch (after the controller's own)
  slurm_.ended_polls_in_slurmctld = 1000;                            // slurmctld still holds the array's elements
  slurm_.on_end = [](const std::string&) { return std::string(); };  // they run until cancelled
  EXPECT_THROW(run_study_controller("tune", slurm_, kFast), SimulatedCrash);
  std::string array = slurm_.submissions.back().job_id;
  ASSERT_FALSE(trial_of(array + "_1")) << "the crash came before the records";

  slurm_.crash_after_submission = 0;
  EXPECT_EQ(run_study_controller("tune", slurm_, kFast), 1);  // no trial could succeed

  tuner::Study ended = study();
  ASSERT_EQ(ended.trials().size(), 3u);
  for (const auto& trial : ended.trials()) {
    std::string element = array + "_" + std::to_string(trial.id);
    EXPECT_EQ(trial.state, tuner::TrialState::kFailed);
    EXPECT_NE(trial.error_message.find("the controller stopped while submitting it; its Slurm job " + element +
                                       " was cancelled"),
              std::string::npos)
        << trial.error_message;
    EXPECT_NE(std::find(slurm_.cancels.begin(), slurm_.cancels.end(), element), slurm_.cancels.end()) << element;
  }
  // Each trial was given to Slurm once, by the crashed controller, and never again.
  EXPECT_EQ(trial_submissions(), (std::map<int, int>{{1, 1}, {2, 1}, {3, 1}}));
}

// The controller died while submitting, but Slurm never took the job (the crash came before
// sbatch, or sbatch was refused): slurmctld and accounting both answer that no job of the
// trial exists, so it never ran, and is submitted again, once.
TEST_F(ControllerRun, ACrashBeforeSlurmTookTheJobSubmitsTheTrialAgainOnce) {
  submit_study(a_study("RANDOM_SEARCH", 2, 1), store_, "", slurm_);
  slurm_.crash_after_submission = 2;
  EXPECT_THROW(run_study_controller("tune", slurm_, kFast), SimulatedCrash);
  slurm_.refuse_last_submission();  // no trace of the trial's job anywhere
  slurm_.crash_after_submission = 0;
  EXPECT_EQ(run_study_controller("tune", slurm_, kFast), 0);
  tuner::Study ended = study();
  ASSERT_EQ(ended.trials().size(), 2u);
  EXPECT_EQ(ended.trials()[0].state, tuner::TrialState::kSucceeded) << ended.trials()[0].error_message;
  EXPECT_EQ(trial_submissions(), (std::map<int, int>{{1, 1}, {2, 1}}));
  // Both again in one array, so that maxParallelTrials (1) still holds between them.
  ASSERT_EQ(slurm_.submissions.size(), 2u);
  EXPECT_NE(read_text(slurm_.submissions[1].batch.script).find("#SBATCH --array=1,2%1\n"), std::string::npos)
      << read_text(slurm_.submissions[1].batch.script);
}

// slurmctld is away when the trials are submitted (seen in the fault suite: it restarted): no
// trial fails for it; they are submitted again at the next polls, and each runs once.
TEST_F(ControllerRun, TrialsSlurmctldDidNotTakeAreSubmittedAgainNotFailed) {
  submit_study(a_study("RANDOM_SEARCH", 3, 3), store_, "", slurm_);
  slurm_.unreachable_submissions = 2;
  EXPECT_EQ(run_study_controller("tune", slurm_, kFast), 0);
  EXPECT_EQ(slurm_.unreachable_submissions, 0);
  expect_every_trial_succeeded_once(3);
}

// The same when preparing the trials finds slurmctld away (sinfo, asked whether a job can ever
// fit the cluster): seen in the fault suite, where it failed trial 4.
TEST_F(ControllerRun, TrialsPreparedWhileSlurmctldIsAwayAreSubmittedLaterNotFailed) {
  submit_study(a_study("RANDOM_SEARCH", 3, 3), store_, "", slurm_);
  fs::remove_all(store_.root() / "cache");  // the inventory submit cached: the controller asks sinfo
  slurm_.unreachable_inventories = 2;
  EXPECT_EQ(run_study_controller("tune", slurm_, kFast), 0);
  EXPECT_EQ(slurm_.unreachable_inventories, 0);
  expect_every_trial_succeeded_once(3);
}

// Scenario 3 of the fault suite: a node fails under trial 2's job (NODE_FAIL). With
// maxFailedTrials leaving room, trial 2 runs again with the same parameters; what its stopped
// run wrote is kept in the study's folder, and the study ends with every trial's result.
// Without maxFailedTrials the node-failed trial fails, as any failed trial, and is not rerun.
TEST_F(ControllerRun, ATrialAFailedNodeStoppedRunsAgainWithinMaxFailedTrials) {
  std::set<std::string> node_failed;
  slurm_.on_end = [&](const std::string& job_id) {
    auto record = trial_of(job_id);
    if (record && record->job["jobId"].get<std::string>().ends_with("_trial_2") && node_failed.insert("2").second)
      return std::string("NODE_FAIL");
    report_objective(job_id);
    return std::string("COMPLETED");
  };
  submit_study(a_study("RANDOM_SEARCH", 3, 3, 2), store_, "", slurm_);
  EXPECT_EQ(run_study_controller("tune", slurm_, kFast), 0);
  tuner::Study ended = study();
  ASSERT_EQ(ended.trials().size(), 3u);
  for (const auto& trial : ended.trials()) EXPECT_EQ(trial.state, tuner::TrialState::kSucceeded) << trial.error_message;
  EXPECT_EQ(ended.trials()[1].lost_runs.size(), 1u);
  EXPECT_EQ(trial_submissions(), (std::map<int, int>{{1, 1}, {2, 2}, {3, 1}}));
  EXPECT_TRUE(fs::exists(store_.folder_of("tune") / "lost-runs" / "2-1" / "job.json"));

  // A run Slurm lost (slurmctld forgot the job on a restart) is lost to the cluster too.
  ScratchFolder lost_scratch("mljob-lost-run");
  {
    ScopedVariable home("MLJOB_HOME", (lost_scratch.path() / "home").string());
    JobStore store = JobStore::from_environment();
    FakeSlurm slurm;
    std::set<std::string> forgotten;
    slurm.on_end = [&](const std::string& job_id) {
      for (auto& record : store.load_all()) {
        if (record.slurm_job_id != job_id) continue;
        if (record.job["jobId"].get<std::string>().ends_with("_trial_1") && forgotten.insert("1").second)
          return std::string("FORGOTTEN");
        report_objective_in(record);
      }
      return std::string("COMPLETED");
    };
    submit_study(a_study("RANDOM_SEARCH", 2, 2, 3), store, "", slurm);
    EXPECT_EQ(run_study_controller("tune", slurm, kFast), 0);
    tuner::Study rerun = load_study(store.folder_of("tune"));
    EXPECT_EQ(rerun.trials()[0].state, tuner::TrialState::kSucceeded) << rerun.trials()[0].error_message;
    ASSERT_EQ(rerun.trials()[0].lost_runs.size(), 1u);
    EXPECT_NE(rerun.trials()[0].lost_runs[0].find("Slurm lost this job"), std::string::npos)
        << rerun.trials()[0].lost_runs[0];
  }

  // The same without maxFailedTrials: trial 2 fails, and the study goes on without it.
  ScratchFolder other("mljob-node-failure");
  ScopedVariable home("MLJOB_HOME", (other.path() / "home").string());
  JobStore store = JobStore::from_environment();
  FakeSlurm slurm;
  node_failed.clear();
  slurm.on_end = [&](const std::string& job_id) {
    for (auto& record : store.load_all()) {
      if (record.slurm_job_id != job_id) continue;
      if (record.job["jobId"].get<std::string>().ends_with("_trial_2")) return std::string("NODE_FAIL");
    }
    return std::string("COMPLETED");
  };
  submit_study(a_study("RANDOM_SEARCH", 3, 3), store, "", slurm);
  run_study_controller("tune", slurm, kFast);
  tuner::Study unbounded = load_study(store.folder_of("tune"));
  EXPECT_EQ(unbounded.trials()[1].state, tuner::TrialState::kFailed);
  EXPECT_NE(unbounded.trials()[1].error_message.find("node"), std::string::npos) << unbounded.trials()[1].error_message;
  EXPECT_TRUE(unbounded.trials()[1].lost_runs.empty());
}

// Seen in the fault suite (scenario 1): Slurm killed a trial's job (CANCELLED, by root or by no
// one named) though neither the user nor the study cancelled it. The trial fails, saying so.
TEST_F(ControllerRun, ATrialCancelledOutsideMljobFailsSayingSo) {
  slurm_.on_end = [&](const std::string& job_id) {
    auto record = trial_of(job_id);
    if (record && record->job["jobId"].get<std::string>().ends_with("_trial_1")) return std::string("CANCELLED");
    report_objective(job_id);
    return std::string("COMPLETED");
  };
  submit_study(a_study("RANDOM_SEARCH", 2, 2), store_, "", slurm_);
  EXPECT_EQ(run_study_controller("tune", slurm_, kFast), 0);
  tuner::Study ended = study();
  EXPECT_EQ(ended.trials()[0].state, tuner::TrialState::kFailed);
  EXPECT_NE(ended.trials()[0].error_message.find("cancelled outside mljob"), std::string::npos)
      << ended.trials()[0].error_message;
  EXPECT_EQ(ended.trials()[1].state, tuner::TrialState::kSucceeded);
  EXPECT_EQ(trial_submissions(), (std::map<int, int>{{1, 1}, {2, 1}}));
}

// Accounting answers nothing for a while after the jobs end (slurmdbd lags), then answers.
// Meanwhile the trials read as QUEUED (submitted moments ago): none is judged, none submitted
// again, and each ends with its result.
TEST_F(ControllerRun, AccountingLateJudgesNoTrialAndSubmitsNoneAgain) {
  submit_study(a_study("RANDOM_SEARCH", 2, 2), store_, "", slurm_);
  slurm_.accounting_silent_calls = 20;
  EXPECT_EQ(run_study_controller("tune", slurm_, kFast), 0);
  EXPECT_EQ(slurm_.accounting_silent_calls, 0);
  expect_every_trial_succeeded_once(2);
}

// slurmdbd is down when the trials end: slurmctld has forgotten them and accounting fails.
// The controller waits; it neither fails nor resubmits them. Once accounting is back, they end
// with their results.
TEST_F(ControllerRun, AccountingDownStopsNothingAndLosesNoResult) {
  submit_study(a_study("RANDOM_SEARCH", 2, 2), store_, "", slurm_);
  slurm_.on_end = [&](const std::string& job_id) {
    report_objective(job_id);
    slurm_.accounting_down = true;  // down from the moment the jobs end
    return std::string("COMPLETED");
  };
  // Back after many of the controller's polls; counted in calls, not time, so that a slow
  // (sanitized, loaded) machine sees the same outage as a fast one.
  slurm_.accounting_back_after_failures = 10;
  int status = run_study_controller("tune", slurm_, {std::chrono::milliseconds(20), std::chrono::milliseconds(1)});
  EXPECT_EQ(status, 0);
  expect_every_trial_succeeded_once(2);
  EXPECT_GE(slurm_.accounting_failures, 10) << "the controller did not wait out the outage";
  EXPECT_FALSE(slurm_.accounting_down);
}

}  // namespace
}  // namespace mljob::study
