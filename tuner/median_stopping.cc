#include "tuner/median_stopping.h"

#include <algorithm>
#include <limits>

namespace mljob::tuner {

std::optional<double> running_average(const LearningCurve& curve, long long step) {
  double sum = 0;
  int count = 0;
  for (const auto& measurement : curve) {
    if (measurement.step <= step) sum += measurement.loss, ++count;
  }
  if (count == 0) return std::nullopt;
  return sum / count;
}

bool should_stop_early(const LearningCurve& curve, const std::vector<LearningCurve>& completed,
                       MedianStoppingOptions options) {
  if (curve.empty()) return false;
  long long step = 0;
  for (const auto& measurement : curve) step = std::max(step, measurement.step);
  double best_so_far = std::numeric_limits<double>::infinity();
  for (const auto& measurement : curve) best_so_far = std::min(best_so_far, measurement.loss);

  std::vector<double> averages;
  for (const auto& other : completed) {
    if (auto average = running_average(other, step)) averages.push_back(*average);
  }
  if (averages.size() < static_cast<std::size_t>(std::max(options.min_completed_trials, 1))) return false;
  std::sort(averages.begin(), averages.end());
  std::size_t middle = averages.size() / 2;
  double median = averages.size() % 2 == 1 ? averages[middle] : 0.5 * (averages[middle - 1] + averages[middle]);
  return best_so_far > median;  // strictly worse
}

}  // namespace mljob::tuner
