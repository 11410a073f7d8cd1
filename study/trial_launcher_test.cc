#include "study/trial_launcher.h"

#include "tuner/hyperparameter_spec.h"

#include "core/slurm_commands.h"  // parse_listed_jobs: the listings as Slurm prints them

#include <algorithm>

#include <gtest/gtest.h>

namespace mljob::study {
namespace {

using Ids = std::vector<std::string>;
using Step = UnrecordedTrialStep;

Step decide(std::optional<Ids> slurmctld, std::optional<Ids> accounting) {
  return decide_unrecorded_trial({std::move(slurmctld), std::move(accounting), ""});
}

TEST(UnrecordedTrial, IsSubmittedAgainOnlyWhenSlurmctldAndAccountingBothHaveNoJobOfIt) {
  EXPECT_EQ(decide(Ids{}, Ids{}), Step::kSubmit);  // the controller stopped before sbatch
}

TEST(UnrecordedTrial, WhoseJobSlurmctldHoldsIsCancelledAndFailed) {
  EXPECT_EQ(decide(Ids{"456_4"}, Ids{}), Step::kCancelAndFail);
  EXPECT_EQ(decide(Ids{"456_4"}, Ids{"456_4"}), Step::kCancelAndFail);
  EXPECT_EQ(decide(Ids{"123"}, std::nullopt), Step::kCancelAndFail);
}

TEST(UnrecordedTrial, WhoseJobLeftSlurmctldButIsInAccountingRanAndIsNeverRunTwice) {
  // Ended more than MinJobAge ago: slurmctld has forgotten it, accounting has not. Submitting
  // it again would remove its folder (output, metrics) and run it a second time.
  EXPECT_EQ(decide(Ids{}, Ids{"456_4"}), Step::kFailAsRun);
}

TEST(UnrecordedTrial, WaitsWhileAnyPartOfSlurmThatMustBeAskedDoesNotAnswer) {
  EXPECT_EQ(decide(Ids{}, std::nullopt), Step::kWait);  // slurmdbd down: not released, asked again next poll
  EXPECT_EQ(decide(std::nullopt, Ids{}), Step::kWait);
  EXPECT_EQ(decide(std::nullopt, std::nullopt), Step::kWait);
}

TEST(TrialLookups, FindTheTrialsJobsByTheirCommentInEitherListing) {
  // squeue's "%i|%k" and sacct's JobID,Comment: a het job's components, array elements split
  // off and still pending in the array's record, and other trials' and studies' jobs.
  std::string listing =
      "123+0|mljob:tune_trial_4\n"
      "123+1|mljob:tune_trial_4\n"
      "130|mljob:tune_trial_40\n"
      "131|mljob:tune2_trial_4\n"
      "456_3|mljob:tune_trials:3,4,5\n"
      "456_[4-5%2]|mljob:tune_trials:3,4,5\n"
      "460_[7]|mljob:tune_trials:6,7\n"
      "470_4|mljob:tune2_trials:4\n"
      "480|a comment | with bars\n"
      "no bar at all\n";
  EXPECT_EQ(trial_jobs_listed(parse_listed_jobs(listing), "tune", 4), (Ids{"123", "456_4"}));
  EXPECT_EQ(trial_jobs_listed(parse_listed_jobs(listing), "tune", 7), (Ids{"460_7"}));
  EXPECT_EQ(trial_jobs_listed(parse_listed_jobs(listing), "tune", 9), Ids{});
  EXPECT_EQ(trial_jobs_listed({}, "tune", 4), Ids{});
}

TEST(TrialJob, IsTheStudysJobWithTheTrialsParametersAndItsOwnJobId) {
  nlohmann::json study_job = {
      {"jobId", "tune"},
      {"trainingInput",
       {{"scaleTier", "BASIC"},
        {"pythonModule", "trainer.task"},
        {"args", {"--epochs", "3"}},
        {"hyperparameters",
         {{"goal", "MINIMIZE"},
          {"hyperparameterMetricTag", "loss"},
          {"maxTrials", 4},
          {"params", {{{"parameterName", "lr"}, {"type", "DOUBLE"}, {"minValue", 0.001}, {"maxValue", 0.1}}}}}}}}};
  tuner::HyperparameterSpec spec = tuner::parse_hyperparameter_spec(study_job["trainingInput"]["hyperparameters"], "h");
  tuner::Trial trial;
  trial.id = 3;
  trial.parameters = {{"lr", 0.01}};
  Job job = trial_job(study_job, trial, spec, "tune");
  EXPECT_EQ(job.job_id, "tune_trial_3");
  EXPECT_EQ(job.training_input.python_module, "trainer.task");
  EXPECT_EQ(job.training_input.args, (std::vector<std::string>{"--epochs", "3", "--lr=0.01"}));
}

}  // namespace
}  // namespace mljob::study
