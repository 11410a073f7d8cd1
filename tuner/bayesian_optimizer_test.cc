#include "tuner/bayesian_optimizer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace mljob::tuner {
namespace {

double plain_expected_improvement(double mean, double variance, double best) {
  double sigma = std::sqrt(variance), z = (best - mean) / sigma;
  double cdf = 0.5 * std::erfc(-z / std::sqrt(2.0)), pdf = std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI);
  return sigma * (z * cdf + pdf);
}

TEST(ExpectedImprovement, LogFormAgreesWithTheDirectFormulaAndKeepsRankingInTheTail) {
  for (double mean : {-1.0, 0.0, 0.5, 1.5, 2.4}) {
    EXPECT_NEAR(log_expected_improvement(mean, 0.25, 0.0), std::log(plain_expected_improvement(mean, 0.25, 0.0)), 1e-6)
        << mean;
  }
  // The tail form joins the direct one where it takes over (z = -5).
  EXPECT_NEAR(log_expected_improvement(2.5 - 1e-9, 0.25, 0.0), log_expected_improvement(2.5 + 1e-9, 0.25, 0.0), 1e-2);
  // Where EI underflows to 0 the log form still prefers the less hopeless point.
  EXPECT_EQ(plain_expected_improvement(60.0, 1.0, 0.0), 0.0);
  EXPECT_GT(log_expected_improvement(60.0, 1.0, 0.0), log_expected_improvement(70.0, 1.0, 0.0));
  EXPECT_TRUE(std::isfinite(log_expected_improvement(70.0, 1.0, 0.0)));
}

TEST(WarpLosses, KeepsTheOrderAndCompressesTheTail) {
  Eigen::VectorXd losses(5);
  losses << 0.1, 0.2, 0.4, 10.0, 3000.0;
  Eigen::VectorXd warped = warp_losses(losses);
  for (Eigen::Index i = 1; i < warped.size(); ++i) EXPECT_LT(warped[i - 1], warped[i]);
  EXPECT_NEAR(warped.mean(), 0.0, 1e-12);
  // The worst point no longer dwarfs the differences among the good ones.
  EXPECT_LT((warped[4] - warped[3]) / (warped[1] - warped[0]), 100.0);
}

ParameterSpec unit_double(const std::string& name, double low, double high) {
  ParameterSpec p;
  p.name = name;
  p.min_value = low;
  p.max_value = high;
  return p;
}

// A bowl whose minimum is far from the centre of the domain.
double off_centre_bowl(const Assignment& a) {
  return std::pow(a["x"].get<double>() - 8.3, 2) + std::pow(a["y"].get<double>() + 4.1, 2);
}

// `trials` sequential suggestions on the off-centre bowl, each told before the next.
std::vector<Observation> run_on_the_bowl(const SearchSpace& space, BayesianOptimizer& optimizer, std::mt19937_64& rng,
                                         std::optional<GpHyperparameters>& hyper, int trials) {
  std::vector<Observation> observed;
  for (int trial = 0; trial < trials; ++trial) {
    Eigen::VectorXd point = optimizer.suggest(observed, {}, 1, rng, hyper).front();
    observed.push_back({point, off_centre_bowl(space.decode(point))});
  }
  return observed;
}

TEST(BayesianOptimizer, FindsAnOffCentreMinimumSoon) {
  SearchSpace space({unit_double("x", -10, 10), unit_double("y", -10, 10)});
  BayesianOptimizer optimizer(space);
  std::mt19937_64 rng(5);
  std::optional<GpHyperparameters> hyper;
  std::vector<Observation> observed = run_on_the_bowl(space, optimizer, rng, hyper, 25);
  double best = observed.front().loss;
  for (const auto& o : observed) best = std::min(best, o.loss);
  EXPECT_LT(best, 0.05);
  EXPECT_TRUE(hyper.has_value());
}

TEST(BayesianOptimizer, ABatchDoesNotPileOnOnePoint) {
  SearchSpace space({unit_double("x", -10, 10), unit_double("y", -10, 10)});
  BayesianOptimizer optimizer(space);
  std::mt19937_64 rng(9);
  std::optional<GpHyperparameters> hyper;
  std::vector<Observation> observed;
  for (int trial = 0; trial < 8; ++trial) {
    Eigen::VectorXd point = space.snap(space.uniform_point(rng));
    observed.push_back({point, off_centre_bowl(space.decode(point))});
  }
  std::vector<Eigen::VectorXd> pending = {observed.back().point};
  auto batch = optimizer.suggest(observed, pending, 5, rng, hyper);
  ASSERT_EQ(batch.size(), 5u);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    EXPECT_GT((batch[i] - pending[0]).norm(), 1e-3);
    for (std::size_t j = 0; j < i; ++j) EXPECT_GT((batch[i] - batch[j]).norm(), 1e-3) << i << " and " << j;
  }
}

TEST(KrigingBeliever, KeepsTheMeanAndTakesAwayTheUncertaintyAtRunningPoints) {
  std::mt19937_64 rng(4);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  Eigen::MatrixXd x(12, 2);
  Eigen::VectorXd y(12);
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    x.row(i) << unit(rng), unit(rng);
    y[i] = std::pow(x(i, 0) - 0.3, 2) + std::pow(x(i, 1) - 0.6, 2);
  }
  y = (y.array() - y.mean()) / std::sqrt((y.array() - y.mean()).square().mean());
  GaussianProcess gp({0, 1}, 2);
  gp.fit(x, y, nullptr, 80);
  std::vector<Eigen::VectorXd> running = {Eigen::Vector2d(0.31, 0.58), Eigen::Vector2d(0.9, 0.1)};
  auto [believer, believed_x] = BayesianOptimizer::kriging_believer(gp, x, y, running);
  ASSERT_EQ(believed_x.rows(), 14);
  Eigen::MatrixXd probe(3, 2);
  probe << 0.31, 0.58, 0.9, 0.1, 0.05, 0.95;  // the two running points and one far from both
  Eigen::VectorXd mean, variance, believed_mean, believed_variance;
  gp.predict(probe, mean, variance);
  believer.predict(probe, believed_mean, believed_variance);
  for (Eigen::Index i = 0; i < 3; ++i) EXPECT_NEAR(believed_mean[i], mean[i], 1e-3 * (1 + std::fabs(mean[i]))) << i;
  for (Eigen::Index i = 0; i < 2; ++i) EXPECT_LT(believed_variance[i], 0.1 * variance[i]) << i;
  // Far from both (a smooth bowl: long length scales, so some of the uncertainty goes there too)
  // the model stays far less sure than at the running points.
  EXPECT_GT(believed_variance[2], 10 * std::max(believed_variance[0], believed_variance[1]));
}

TEST(BayesianOptimizer, ARunningTrialAtTheBestPointSendsTheNextSuggestionElsewhere) {
  SearchSpace space({unit_double("x", -10, 10), unit_double("y", -10, 10)});
  BayesianOptimizer optimizer(space);
  std::mt19937_64 rng(3);
  std::optional<GpHyperparameters> hyper;
  std::vector<Observation> observed = run_on_the_bowl(space, optimizer, rng, hyper, 12);
  std::mt19937_64 same(11), again(11);
  std::optional<GpHyperparameters> hyper_copy = hyper;
  Eigen::VectorXd alone = optimizer.suggest(observed, {}, 1, same, hyper).front();
  Eigen::VectorXd beside = optimizer.suggest(observed, {alone}, 1, again, hyper_copy).front();
  // With the sequential choice already running, the parallel one is not a near copy of it.
  EXPECT_GT((beside - alone).norm(), 0.01) << alone.transpose() << " / " << beside.transpose();
}

TEST(BayesianOptimizer, SuggestsOnlyValidAssignmentsAndNoRepeatsInASmallDiscreteSpace) {
  ParameterSpec n;
  n.name = "n";
  n.type = ParameterType::kInteger;
  n.min_value = 1;
  n.max_value = 4;
  ParameterSpec opt;
  opt.name = "opt";
  opt.type = ParameterType::kCategorical;
  opt.categorical_values = {"a", "b"};
  SearchSpace space({n, opt});  // 8 assignments
  BayesianOptimizer optimizer(space);
  std::mt19937_64 rng(2);
  std::optional<GpHyperparameters> hyper;
  std::vector<Observation> observed;
  std::set<std::string> seen;
  for (int trial = 0; trial < 8; ++trial) {
    Eigen::VectorXd point = optimizer.suggest(observed, {}, 1, rng, hyper).front();
    Assignment a = space.decode(point);
    EXPECT_EQ(space.encode(a), point);
    EXPECT_TRUE(seen.insert(a.dump()).second) << "repeated " << a.dump();
    observed.push_back({point, a["n"].get<double>() + (a["opt"] == "a" ? 0.0 : 0.5)});
  }
}

}  // namespace
}  // namespace mljob::tuner
