// Bayesian optimisation over a SearchSpace: a Gaussian process on the observed losses (lower is
// better; the study negates MAXIMIZE goals), expected improvement maximised over valid points
// only (every candidate is snapped to an assignment a trial can take, so INTEGER, DISCRETE and
// CATEGORICAL parameters are modelled as what they are), and points for free parallel slots
// chosen with the running trials (and the batch's earlier points) taken as observed at their
// predicted loss (a kriging believer), so a batch never piles onto one point.
#pragma once

#include <functional>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include <Eigen/Dense>

#include "tuner/gaussian_process.h"
#include "tuner/search_space.h"

namespace mljob::tuner {

struct Observation {
  Eigen::VectorXd point;  // in the search space's unit cube, snapped
  double loss = 0;
};

struct BayesianOptions {
  int initial_points = 0;      // random points before the model is used; 0: parameters + 1, in [4, 10]
  int max_model_points = 200;  // past this the model sees the best half and a random rest
  int max_fit_points = 100;    // hyperparameters are fitted on at most this many
};

class BayesianOptimizer {
 public:
  explicit BayesianOptimizer(const SearchSpace& space, BayesianOptions options = {});

  // `count` new points, none equal to an observed or pending one where the space allows it.
  // `hyperparameters` carries the GP's fitted hyperparameters from one call to the next (a warm
  // start); it is read if set and always updated when the model was used.
  std::vector<Eigen::VectorXd> suggest(const std::vector<Observation>& observed,
                                       const std::vector<Eigen::VectorXd>& pending, std::size_t count,
                                       std::mt19937_64& rng, std::optional<GpHyperparameters>& hyperparameters) const;

  int initial_points() const;

  // `gp` (fitted to (x, y)) also conditioned on each `running` point at its predicted mean, and
  // the rows it is conditioned on (x, then the running points).
  static std::pair<GaussianProcess, Eigen::MatrixXd> kriging_believer(const GaussianProcess& gp,
                                                                      const Eigen::MatrixXd& x,
                                                                      const Eigen::VectorXd& y,
                                                                      const std::vector<Eigen::VectorXd>& running);

 private:
  Eigen::VectorXd spread_point(const std::vector<Eigen::VectorXd>& taken, std::mt19937_64& rng) const;
  // Scores a row per candidate point (higher is better).
  using Scorer = std::function<Eigen::VectorXd(const Eigen::MatrixXd&)>;
  // The GP fitted to (x, y), warm-started from and updating `hyperparameters`.
  GaussianProcess fit_model(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                            std::optional<GpHyperparameters>& hyperparameters) const;
  // Log expected improvement under `gp` against the best posterior mean at the rows of `x`;
  // `gp` must outlive the scorer.
  Scorer expected_improvement(const GaussianProcess& gp, const Eigen::MatrixXd& x) const;
  Eigen::VectorXd maximise_acquisition(const Scorer& score, const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                                       const std::vector<Eigen::VectorXd>& taken, std::mt19937_64& rng) const;

  const SearchSpace& space_;
  BayesianOptions options_;
};

// log(EI) for minimisation at posterior (mean, variance) against the incumbent `best`,
// accurate where EI itself underflows, so far-off candidates are still ranked.
double log_expected_improvement(double mean, double variance, double best);

// Losses mapped for the model: monotone, so the order of trials is kept, but with the long
// tail of bad values compressed (Rosenbrock's thousands next to its near-zero optimum), then
// standardised.
Eigen::VectorXd warp_losses(const Eigen::VectorXd& losses);

}  // namespace mljob::tuner
