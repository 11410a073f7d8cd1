// The controller's run loop (`mljob study run`) against a recording fake of Slurm
// (study/fake_slurm.h): a study run to its end, a controller that crashed between sbatch and
// the trial's record, accounting late and accounting down. Each checks the one promise of the
// runtime: every trial runs at most once, and the study ends with the trials it asked for.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "base/test_support.h"
#include "base/text.h"
#include "core/job_store.h"
#include "core/spec_parser.h"
#include "metrics/metrics_store.h"
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

constexpr ControllerPace kFast{std::chrono::milliseconds(1), std::chrono::milliseconds(1)};

// The trainer's objective (etc/examples/hptrainer): best at x = 0.3.
double objective(double x) {
  return 1.0 - (x - 0.3) * (x - 0.3);
}

// A study of `trials` RANDOM_SEARCH trials of one DOUBLE parameter x, `parallel` at a time, on
// the stock catalog's BASIC tier (one task: its trials are job array elements).
Job a_study(int trials, int parallel, int max_failed = 0) {
  json hyperparameters = {{"goal", "MAXIMIZE"},
                          {"hyperparameterMetricTag", "objective"},
                          {"algorithm", "RANDOM_SEARCH"},
                          {"maxTrials", trials},
                          {"maxParallelTrials", parallel},
                          {"params", {{{"parameterName", "x"}, {"type", "DOUBLE"}, {"minValue", 0}, {"maxValue", 1}}}}};
  if (max_failed > 0) hyperparameters["maxFailedTrials"] = max_failed;
  return parse_job_spec(
      json{{"jobId", "tune"},
           {"trainingInput",
            {{"scaleTier", "BASIC"}, {"pythonModule", "trainer.task"}, {"hyperparameters", hyperparameters}}}}
          .dump(),
      "the test's study");
}

class ControllerRun : public ::testing::Test {
 protected:
  ControllerRun()
      : home_("MLJOB_HOME", (scratch_.path() / "home").string()),
        tiers_("MLJOB_TIERS", std::string(MLJOB_SOURCE_DIR) + "/etc/tiers.yaml") {
    // A job that ends COMPLETED has reported its objective, as mljob-collect stores it.
    slurm_.on_end = [this](const std::string& job_id) {
      report_objective(job_id);
      return std::string("COMPLETED");
    };
  }

  // The trial job whose Slurm job is `job_id`, from its record (nullopt: not recorded).
  std::optional<JobRecord> trial_of(const std::string& job_id) const {
    for (auto& record : store_.load_all()) {
      if (record.slurm_job_id == job_id) return record;
    }
    return std::nullopt;
  }

  // Writes the trial's objective at its last step into its metrics.db.
  void report_objective(const std::string& job_id) const {
    auto record = trial_of(job_id);
    if (!record) return;  // unrecorded (a crashed controller): nothing is read from it
    double x = 0;
    for (const auto& arg : record->job["trainingInput"]["args"]) {
      std::string text = arg.get<std::string>();
      if (text.rfind("--x=", 0) == 0) x = std::stod(text.substr(4));
    }
    metrics::MetricsDb db(metrics::metrics_db_path(record->folder), true);
    metrics::EMetrics entry;
    entry.meta.subid = "0";
    entry.etimes["step"] = {metrics::ValueType::kInt, "1"};
    entry.values["objective"] = {metrics::ValueType::kFloat, std::to_string(objective(x))};
    db.add(entry);
    ASSERT_TRUE(db.commit());
  }

  tuner::Study study() const { return load_study(store_.folder_of("tune")); }

  // How many times each trial was given to Slurm, read from the submissions' comments: an
  // array's names its trials ("mljob:tune_trials:1,2"), a job's own its trial ("mljob:tune_trial_3").
  std::map<int, int> trial_submissions() const {
    std::map<int, int> count;
    for (const auto& submission : slurm_.submissions) {
      const std::string& comment = submission.batch.options.comment;
      if (auto at = comment.find("tune_trials:"); at != std::string::npos) {
        for (const auto& id : split(comment.substr(at + 12), ',')) ++count[std::stoi(id)];
      } else if (auto own = comment.find("tune_trial_"); own != std::string::npos) {
        ++count[std::stoi(comment.substr(own + 11))];
      }
    }
    return count;
  }

  ScratchFolder scratch_{"mljob-controller-run"};
  ScopedVariable home_, tiers_;
  JobStore store_ = JobStore::from_environment();
  FakeSlurm slurm_;
};

TEST_F(ControllerRun, RunsTheStudyToItsEndSubmittingEveryTrialOnce) {
  submit_study(a_study(4, 2), store_, "", slurm_);
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

// The controller died after Slurm accepted the trials' job array but before their records
// were saved. The array's elements are still in slurmctld: the new controller must not submit
// those trials again (they would run twice, and their folders be replaced); it cancels each
// element and fails its trial, saying why.
TEST_F(ControllerRun, ACrashBetweenSbatchAndTheRecordNeverRunsATrialTwice) {
  submit_study(a_study(3, 1, 5), store_, "", slurm_);
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
  submit_study(a_study(2, 1), store_, "", slurm_);
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

// Accounting answers nothing for a while after the jobs end (slurmdbd lags), then answers.
// Meanwhile the trials read as QUEUED (submitted moments ago): none is judged, none submitted
// again, and each ends with its result.
TEST_F(ControllerRun, AccountingLateJudgesNoTrialAndSubmitsNoneAgain) {
  submit_study(a_study(2, 2), store_, "", slurm_);
  slurm_.accounting_silent_calls = 20;
  EXPECT_EQ(run_study_controller("tune", slurm_, kFast), 0);
  EXPECT_EQ(slurm_.accounting_silent_calls, 0);
  tuner::Study ended = study();
  ASSERT_EQ(ended.trials().size(), 2u);
  for (const auto& trial : ended.trials()) EXPECT_EQ(trial.state, tuner::TrialState::kSucceeded) << trial.error_message;
  EXPECT_EQ(trial_submissions(), (std::map<int, int>{{1, 1}, {2, 1}}));
}

// slurmdbd is down when the trials end: slurmctld has forgotten them and accounting fails.
// The controller waits; it neither fails nor resubmits them. Once accounting is back, they end
// with their results.
TEST_F(ControllerRun, AccountingDownStopsNothingAndLosesNoResult) {
  submit_study(a_study(2, 2), store_, "", slurm_);
  int polls = 0;
  slurm_.on_end = [&](const std::string& job_id) {
    report_objective(job_id);
    slurm_.accounting_down = true;  // down from the moment the jobs end
    return std::string("COMPLETED");
  };
  // Accounting comes back after a while (many of the controller's polls).
  std::thread revive([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    slurm_.accounting_down = false;
    ++polls;
  });
  int status = run_study_controller("tune", slurm_, {std::chrono::milliseconds(20), std::chrono::milliseconds(1)});
  revive.join();
  EXPECT_EQ(status, 0);
  tuner::Study ended = study();
  ASSERT_EQ(ended.trials().size(), 2u);
  for (const auto& trial : ended.trials()) EXPECT_EQ(trial.state, tuner::TrialState::kSucceeded) << trial.error_message;
  EXPECT_EQ(trial_submissions(), (std::map<int, int>{{1, 1}, {2, 1}}));
  EXPECT_EQ(polls, 1);
  EXPECT_GT(slurm_.accounting_failures, 0) << "the controller never found accounting down";
}

}  // namespace
}  // namespace mljob::study
