// What the study controller's tests share (study_controller_run_test.cc and
// study_controller_restart_test.cc): a store and the stock catalog in a scratch folder, a
// FakeSlurm whose ended jobs have reported the trainer's objective, and ways to read back what
// the controller did.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/test_support.h"
#include "base/text.h"
#include "core/job_store.h"
#include "core/spec_parser.h"
#include "metrics/metrics_store.h"
#include "study/fake_slurm.h"
#include "study/study_controller.h"
#include "study/study_files.h"
#include "tuner/study.h"
#include "tuner/trial_spec.h"

namespace mljob::study::testing {

using mljob::testing::FakeSlurm;
using mljob::testing::ScopedVariable;
using mljob::testing::ScratchFolder;
using nlohmann::json;
using tuner::TrialState;

// Polls and stop graces of a millisecond: a test's study runs in milliseconds.
inline constexpr ControllerPace kFast{std::chrono::milliseconds(1), std::chrono::milliseconds(1)};

// The trainer's objective (etc/examples/hptrainer): best at x = 0.3.
inline double objective(double x) {
  return 1.0 - (x - 0.3) * (x - 0.3);
}

// A study of `trials` trials of one parameter x, `parallel` at a time, on the stock catalog's
// BASIC tier (one task: its trials are job array elements). RANDOM_SEARCH draws x in [0, 1];
// GRID_SEARCH runs x = 0.1, 0.3 and 0.5. `max_failed`: maxFailedTrials (0: the API's default).
inline Job a_study(const std::string& algorithm, int trials, int parallel, int max_failed = 0) {
  json x = {{"parameterName", "x"}, {"type", "DOUBLE"}, {"minValue", 0}, {"maxValue", 1}};
  if (algorithm == "GRID_SEARCH")
    x = {{"parameterName", "x"}, {"type", "DISCRETE"}, {"discreteValues", {0.1, 0.3, 0.5}}};
  json hyperparameters = {{"goal", "MAXIMIZE"},  {"hyperparameterMetricTag", "objective"}, {"algorithm", algorithm},
                          {"maxTrials", trials}, {"maxParallelTrials", parallel},          {"params", {x}}};
  if (max_failed > 0) hyperparameters["maxFailedTrials"] = max_failed;
  json spec = {{"jobId", "tune"},
               {"trainingInput",
                {{"scaleTier", "BASIC"}, {"pythonModule", "trainer.task"}, {"hyperparameters", hyperparameters}}}};
  return parse_job_spec(spec.dump(), "the test's study");
}

class ControllerTest : public ::testing::Test {
 protected:
  ControllerTest()
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

  static double x_of(const JobRecord& trial) {
    for (const auto& arg : trial.job["trainingInput"]["args"]) {
      std::string text = arg.get<std::string>();
      if (text.rfind("--x=", 0) == 0) return std::stod(text.substr(4));
    }
    ADD_FAILURE() << "no --x= among the trial's args";
    return 0;
  }

  // Writes the trial's objective at step 1 into its metrics.db, as mljob-collect would.
  void report_objective(const std::string& job_id) const {
    auto record = trial_of(job_id);
    if (!record) return;  // unrecorded (a crashed controller): nothing is read from it
    report_objective_in(*record);
  }

  // The same for a trial's record of any store.
  static void report_objective_in(const JobRecord& trial) {
    const JobRecord* record = &trial;
    metrics::MetricsDb db(metrics::metrics_db_path(record->folder), true);
    metrics::EMetrics entry;
    entry.meta.subid = "0";
    entry.etimes["step"] = {metrics::ValueType::kInt, "1"};
    entry.values["objective"] = {metrics::ValueType::kFloat, std::to_string(objective(x_of(*record)))};
    db.add(entry);
    ASSERT_TRUE(db.commit());
  }

  tuner::Study study() const { return load_study(store_.folder_of("tune")); }
  bool has_record(int trial) const { return store_.load(tuner::trial_job_id("tune", trial)).has_value(); }
  bool has_folder(int trial) const {
    return std::filesystem::exists(store_.folder_of(tuner::trial_job_id("tune", trial)));
  }

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

  // Every trial succeeded with the objective its x gives.
  void expect_every_trial_succeeded(std::size_t trials) const {
    tuner::Study ended = study();
    ASSERT_EQ(ended.trials().size(), trials);
    for (const auto& trial : ended.trials()) {
      EXPECT_EQ(trial.state, TrialState::kSucceeded) << trial.id << ": " << trial.error_message;
      ASSERT_TRUE(trial.final_value) << trial.id;
      EXPECT_NEAR(*trial.final_value, objective(trial.parameters["x"].get<double>()), 1e-5);
    }
  }

  ScratchFolder scratch_{"mljob-controller"};
  ScopedVariable home_, tiers_;
  JobStore store_ = JobStore::from_environment();
  FakeSlurm slurm_;
};

}  // namespace mljob::study::testing
