// The median stopping rule as Google Vizier defines it (Golovin et al., KDD 2017, section 3.2.2):
// a pending trial is stopped at step s if its best objective value by step s is strictly worse
// than the median of the running averages of all completed trials' objectives reported up to
// step s. Values here are losses (lower is better; the study negates MAXIMIZE goals).
#pragma once

#include <optional>
#include <vector>

namespace mljob::tuner {

struct Measurement {
  long long step = 0;
  double loss = 0;
};
using LearningCurve = std::vector<Measurement>;  // in the order reported

struct MedianStoppingOptions {
  // The rule needs something to compare with: it decides only once this many completed trials
  // have reported at or before step s (Vizier leaves the number open).
  int min_completed_trials = 3;
};

// Whether the trial with `curve` (judged at its latest step) should stop, given the learning
// curves of the completed trials.
bool should_stop_early(const LearningCurve& curve, const std::vector<LearningCurve>& completed,
                       MedianStoppingOptions options = {});

// The mean of the losses reported at steps <= `step`; none if there are none.
std::optional<double> running_average(const LearningCurve& curve, long long step);

}  // namespace mljob::tuner
