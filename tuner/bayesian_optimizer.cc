#include "tuner/bayesian_optimizer.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace mljob::tuner {
namespace {

constexpr double kSqrt2 = 1.4142135623730951;
constexpr double kLogSqrt2Pi = 0.9189385332046727;

double distance_squared_to_nearest(const Eigen::VectorXd& point, const std::vector<Eigen::VectorXd>& others) {
  double nearest = std::numeric_limits<double>::infinity();
  for (const auto& other : others) nearest = std::min(nearest, (point - other).squaredNorm());
  return nearest;
}

bool is_taken(const Eigen::VectorXd& point, const std::vector<Eigen::VectorXd>& taken) {
  return distance_squared_to_nearest(point, taken) < 1e-18;
}

// The indices the model keeps when there are more observations than it can afford: the best
// half by loss, and an evenly drawn sample of the rest for the overall shape.
std::vector<std::size_t> model_subset(const std::vector<Observation>& observed, std::size_t limit,
                                      std::mt19937_64& rng) {
  std::vector<std::size_t> order(observed.size());
  std::iota(order.begin(), order.end(), 0);
  if (observed.size() <= limit) return order;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return observed[a].loss < observed[b].loss; });
  std::vector<std::size_t> kept(order.begin(), order.begin() + static_cast<long>(limit / 2));
  std::vector<std::size_t> rest(order.begin() + static_cast<long>(limit / 2), order.end());
  std::shuffle(rest.begin(), rest.end(), rng);
  kept.insert(kept.end(), rest.begin(), rest.begin() + static_cast<long>(limit - limit / 2));
  return kept;
}

}  // namespace

double log_expected_improvement(double mean, double variance, double best) {
  double sigma = std::sqrt(std::max(variance, 1e-24));
  double z = (best - mean) / sigma;
  double log_h;
  if (z > -5.0) {
    double cdf = 0.5 * std::erfc(-z / kSqrt2);
    double pdf = std::exp(-0.5 * z * z - kLogSqrt2Pi);
    log_h = std::log(std::max(z * cdf + pdf, 1e-300));
  } else {
    // z*Phi(z) + phi(z) = phi(z) / z^2 * (1 - 3/z^2 + 15/z^4 - 105/z^6 ...) for z -> -inf
    // (Mills' ratio); the direct form loses every digit to cancellation out here.
    double w = 1.0 / (z * z);
    log_h = -0.5 * z * z - kLogSqrt2Pi + std::log(w) + std::log1p(w * (-3.0 + w * (15.0 - 105.0 * w)));
  }
  return log_h + std::log(sigma);
}

Eigen::VectorXd warp_losses(const Eigen::VectorXd& losses) {
  Eigen::VectorXd gaps = losses.array() - losses.minCoeff();
  std::vector<double> sorted(gaps.data(), gaps.data() + gaps.size());
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<long>(sorted.size() / 2), sorted.end());
  double scale = sorted[sorted.size() / 2];
  if (!(scale > 0)) scale = gaps.maxCoeff() > 0 ? gaps.maxCoeff() : 1.0;
  Eigen::VectorXd warped = (gaps.array() / scale).log1p();
  double mean = warped.mean();
  double spread = std::sqrt((warped.array() - mean).square().mean());
  if (!(spread > 1e-12)) spread = 1.0;
  return (warped.array() - mean) / spread;
}

BayesianOptimizer::BayesianOptimizer(const SearchSpace& space, BayesianOptions options)
    : space_(space), options_(options) {}

int BayesianOptimizer::initial_points() const {
  if (options_.initial_points > 0) return options_.initial_points;
  return std::clamp(static_cast<int>(space_.params().size()) + 1, 4, 10);
}

// A random valid point far from those taken: the best of a few random draws by distance to the
// nearest taken point (a cheap space-filling design that works one point at a time).
Eigen::VectorXd BayesianOptimizer::spread_point(const std::vector<Eigen::VectorXd>& taken, std::mt19937_64& rng) const {
  Eigen::VectorXd best = space_.snap(space_.uniform_point(rng));
  if (taken.empty()) return best;
  double best_distance = distance_squared_to_nearest(best, taken);
  for (int draw = 0; draw < 30; ++draw) {
    Eigen::VectorXd candidate = space_.snap(space_.uniform_point(rng));
    double distance = distance_squared_to_nearest(candidate, taken);
    if (distance > best_distance) best = candidate, best_distance = distance;
  }
  return best;
}

Eigen::VectorXd BayesianOptimizer::maximise_acquisition(const Scorer& score, const Eigen::MatrixXd& x,
                                                        const Eigen::VectorXd& y,
                                                        const std::vector<Eigen::VectorXd>& taken,
                                                        std::mt19937_64& rng) const {
  const Eigen::Index dims = static_cast<Eigen::Index>(space_.dimensions());
  // Candidates: uniform ones for exploration, and perturbations of the best observed points at
  // three radii for exploitation; all snapped to valid assignments. Fewer when the model is
  // large, so a suggestion stays fast.
  const int uniform_count = std::clamp(static_cast<int>(100000 / std::max<Eigen::Index>(x.rows(), 1)), 300, 1500);
  std::vector<Eigen::Index> by_loss(static_cast<std::size_t>(y.size()));
  std::iota(by_loss.begin(), by_loss.end(), 0);
  std::stable_sort(by_loss.begin(), by_loss.end(), [&](Eigen::Index a, Eigen::Index b) { return y[a] < y[b]; });
  const int local_sources = std::min<int>(5, static_cast<int>(by_loss.size()));
  const int per_source = 60;
  std::normal_distribution<double> gauss(0.0, 1.0);
  Eigen::MatrixXd candidates(uniform_count + local_sources * per_source, dims);
  for (int i = 0; i < uniform_count; ++i) candidates.row(i) = space_.snap(space_.uniform_point(rng)).transpose();
  const double radii[] = {0.02, 0.08, 0.25};
  for (int s = 0; s < local_sources; ++s) {
    for (int j = 0; j < per_source; ++j) {
      Eigen::VectorXd point = x.row(by_loss[s]).transpose();
      for (Eigen::Index d = 0; d < dims; ++d) point[d] += radii[j % 3] * gauss(rng);
      candidates.row(uniform_count + s * per_source + j) = space_.snap(point.cwiseMax(0.0).cwiseMin(1.0)).transpose();
    }
  }
  Eigen::VectorXd scores = score(candidates);

  // Local refinement of the few best distinct candidates: random steps that shrink.
  std::vector<Eigen::Index> order(static_cast<std::size_t>(candidates.rows()));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) { return scores[a] > scores[b]; });
  Eigen::VectorXd overall_best;
  double overall_score = -std::numeric_limits<double>::infinity();
  int refined = 0;
  for (Eigen::Index index : order) {
    if (refined == 3) break;
    Eigen::VectorXd point = candidates.row(index).transpose();
    if (is_taken(point, taken)) continue;
    ++refined;
    double point_score = scores[index];
    double radius = 0.05;
    for (int round = 0; round < 8; ++round, radius *= 0.6) {
      constexpr int kSteps = 16;
      Eigen::MatrixXd steps(kSteps, dims);
      for (int k = 0; k < kSteps; ++k) {
        Eigen::VectorXd step = point;
        for (Eigen::Index d = 0; d < dims; ++d) step[d] += radius * gauss(rng);
        steps.row(k) = space_.snap(step.cwiseMax(0.0).cwiseMin(1.0)).transpose();
      }
      Eigen::VectorXd step_scores = score(steps);
      for (int k = 0; k < kSteps; ++k) {
        if (step_scores[k] > point_score && !is_taken(steps.row(k).transpose(), taken)) {
          point = steps.row(k).transpose();
          point_score = step_scores[k];
        }
      }
    }
    if (point_score > overall_score) overall_best = point, overall_score = point_score;
  }
  if (overall_best.size() == 0) return spread_point(taken, rng);  // every candidate already taken
  return overall_best;
}

GaussianProcess BayesianOptimizer::fit_model(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                                             std::optional<GpHyperparameters>& hyperparameters) const {
  // The hyperparameters are fitted on an evenly strided sample when there are many points: the
  // fit costs O(n^3) per step, and a hundred points pin a dozen hyperparameters down well.
  const Eigen::Index fit_rows = std::min<Eigen::Index>(y.size(), options_.max_fit_points);
  Eigen::MatrixXd fit_x(fit_rows, x.cols());
  Eigen::VectorXd fit_y(fit_rows);
  for (Eigen::Index i = 0; i < fit_rows; ++i) {
    Eigen::Index row = i * y.size() / fit_rows;
    fit_x.row(i) = x.row(row);
    fit_y[i] = y[row];
  }
  GaussianProcess gp(space_.parameter_of_dimension(), space_.params().size());
  gp.fit(fit_x, fit_y, hyperparameters ? &*hyperparameters : nullptr, hyperparameters ? 25 : 80);
  hyperparameters = gp.hyperparameters();
  gp.condition(x, y);
  return gp;
}

BayesianOptimizer::Scorer BayesianOptimizer::expected_improvement(const GaussianProcess& gp,
                                                                  const Eigen::MatrixXd& x) const {
  // The incumbent is the best posterior mean at an observed point, not the best observation: if
  // the model explains part of the data as noise, a lucky observation would otherwise make
  // re-measuring next to it look like an improvement, and the search would stall there.
  Eigen::VectorXd fitted_mean, fitted_variance;
  gp.predict(x, fitted_mean, fitted_variance);
  // Improvement counts only beyond a small margin (in standardised loss units, as GPyOpt and
  // scikit-optimize do): without it, re-measuring a hair's breadth from the best point, where the
  // model's variance is tiny but not zero, can outscore everything and the search stalls there.
  constexpr double kMinimumImprovement = 0.001;
  const double incumbent = fitted_mean.minCoeff() - kMinimumImprovement;
  return [&gp, incumbent](const Eigen::MatrixXd& points) {
    Eigen::VectorXd mean, variance;
    gp.predict(points, mean, variance);
    Eigen::VectorXd value(points.rows());
    for (Eigen::Index i = 0; i < points.rows(); ++i)
      value[i] = log_expected_improvement(mean[i], variance[i], incumbent);
    return value;
  };
}

// Kriging believer (Ginsbourger, Le Riche and Carraro, 2010): each running point is taken as
// observed at the loss the model predicts for it. The posterior mean stays where the data put
// it, but the variance at and around running points collapses, so expected improvement there
// falls to what the model already expects, over a neighbourhood sized by the kernel's own length
// scales (small when the model has learnt a narrow basin, so the batch can still refine it);
// and a running point predicted better than every result lowers the incumbent, so the next
// point must improve on what is already being tried rather than on the last result alone.
// The hyperparameters stay those fitted to real results: fantasies would only confirm them.
std::pair<GaussianProcess, Eigen::MatrixXd> BayesianOptimizer::kriging_believer(
    const GaussianProcess& gp, const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
    const std::vector<Eigen::VectorXd>& running) {
  Eigen::MatrixXd running_x(static_cast<Eigen::Index>(running.size()), x.cols());
  for (std::size_t j = 0; j < running.size(); ++j) running_x.row(static_cast<Eigen::Index>(j)) = running[j].transpose();
  Eigen::MatrixXd believed_x(x.rows() + running_x.rows(), x.cols());
  believed_x << x, running_x;
  Eigen::VectorXd believed_y(y.size() + running_x.rows());
  believed_y << y, gp.predict_mean(running_x);
  GaussianProcess believer = gp;
  believer.condition(believed_x, believed_y);
  return {std::move(believer), std::move(believed_x)};
}

std::vector<Eigen::VectorXd> BayesianOptimizer::suggest(const std::vector<Observation>& observed,
                                                        const std::vector<Eigen::VectorXd>& pending, std::size_t count,
                                                        std::mt19937_64& rng,
                                                        std::optional<GpHyperparameters>& hyperparameters) const {
  std::vector<Eigen::VectorXd> taken = pending;
  for (const auto& observation : observed) taken.push_back(observation.point);
  std::vector<Eigen::VectorXd> suggestions;
  // Random, spread-out points until the model has something to learn from.
  while (suggestions.size() < count &&
         observed.size() + pending.size() + suggestions.size() < static_cast<std::size_t>(initial_points())) {
    suggestions.push_back(spread_point(taken, rng));
    taken.push_back(suggestions.back());
  }
  if (suggestions.size() == count) return suggestions;
  if (observed.size() < 2) {  // nothing to model yet (trials still running): keep spreading
    while (suggestions.size() < count) {
      suggestions.push_back(spread_point(taken, rng));
      taken.push_back(suggestions.back());
    }
    return suggestions;
  }

  std::vector<std::size_t> kept = model_subset(observed, static_cast<std::size_t>(options_.max_model_points), rng);
  const Eigen::Index dims = static_cast<Eigen::Index>(space_.dimensions());
  Eigen::MatrixXd x(static_cast<Eigen::Index>(kept.size()), dims);
  Eigen::VectorXd losses(static_cast<Eigen::Index>(kept.size()));
  for (std::size_t i = 0; i < kept.size(); ++i) {
    x.row(static_cast<Eigen::Index>(i)) = observed[kept[i]].point.transpose();
    losses[static_cast<Eigen::Index>(i)] = observed[kept[i]].loss;
  }
  Eigen::VectorXd y = warp_losses(losses);
  GaussianProcess gp = fit_model(x, y, hyperparameters);
  std::vector<Eigen::VectorXd> running = pending;
  running.insert(running.end(), suggestions.begin(), suggestions.end());
  while (suggestions.size() < count) {
    Eigen::VectorXd next;
    if (running.empty()) {
      next = maximise_acquisition(expected_improvement(gp, x), x, y, taken, rng);
    } else {
      auto [believer, believed_x] = kriging_believer(gp, x, y, running);
      next = maximise_acquisition(expected_improvement(believer, believed_x), x, y, taken, rng);
    }
    suggestions.push_back(next);
    taken.push_back(next);
    running.push_back(next);
  }
  return suggestions;
}

}  // namespace mljob::tuner
