#include "tuner/median_stopping.h"

#include <gtest/gtest.h>

namespace mljob::tuner {
namespace {

TEST(MedianStopping, RunningAverageCountsOnlyStepsUpToS) {
  LearningCurve curve = {{1, 4.0}, {2, 2.0}, {3, 0.0}};
  EXPECT_DOUBLE_EQ(*running_average(curve, 2), 3.0);
  EXPECT_DOUBLE_EQ(*running_average(curve, 10), 2.0);
  EXPECT_FALSE(running_average(curve, 0).has_value());
}

TEST(MedianStopping, StopsWhenTheBestSoFarIsStrictlyWorseThanTheMedianOfRunningAverages) {
  // Completed trials' running averages up to step 2: 3.0, 5.0, 7.0 (median 5.0).
  std::vector<LearningCurve> completed = {
      {{1, 4.0}, {2, 2.0}, {3, 0.0}}, {{1, 6.0}, {2, 4.0}, {3, 1.0}}, {{1, 8.0}, {2, 6.0}, {3, 2.0}}};
  EXPECT_TRUE(should_stop_early({{1, 9.0}, {2, 5.5}}, completed));
  EXPECT_FALSE(should_stop_early({{1, 9.0}, {2, 5.0}}, completed));  // equal is not strictly worse
  // The best value so far counts, not the latest: 4.0 at step 1 keeps it going at step 2.
  EXPECT_FALSE(should_stop_early({{1, 4.0}, {2, 8.0}}, completed));
  // A running average, not the completed trials' values at step s (those are 2, 4, 6: median 4).
  EXPECT_FALSE(should_stop_early({{1, 9.0}, {2, 4.5}}, completed));
}

TEST(MedianStoppingTest, AnEvenCountTakesTheMeanOfTheTwoMiddleValues) {
  std::vector<LearningCurve> completed = {{{1, 1.0}}, {{1, 2.0}}, {{1, 4.0}}, {{1, 9.0}}};
  EXPECT_TRUE(should_stop_early({{1, 3.1}}, completed));  // median 3
  EXPECT_FALSE(should_stop_early({{1, 3.0}}, completed));
}

TEST(MedianStopping, NeedsEnoughCompletedTrialsThatReportedByThatStep) {
  std::vector<LearningCurve> completed = {{{1, 1.0}}, {{1, 1.0}}, {{5, 1.0}}};
  EXPECT_FALSE(should_stop_early({{1, 100.0}}, completed));  // only two reported by step 1
  EXPECT_TRUE(should_stop_early({{1, 100.0}}, completed, {.min_completed_trials = 2}));
  EXPECT_FALSE(should_stop_early({}, completed));
}

}  // namespace
}  // namespace mljob::tuner
