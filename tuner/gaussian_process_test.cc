#include "tuner/gaussian_process.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace mljob::tuner {
namespace {

// Points in [0,1]^2 and a smooth function of the first coordinate only.
void sample(int n, Eigen::MatrixXd& x, Eigen::VectorXd& y, unsigned seed = 1) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0, 1);
  x.resize(n, 2);
  y.resize(n);
  for (int i = 0; i < n; ++i) {
    x(i, 0) = unit(rng);
    x(i, 1) = unit(rng);
    y[i] = std::sin(6 * x(i, 0));
  }
  y = (y.array() - y.mean()) / std::sqrt((y.array() - y.mean()).square().mean());
}

TEST(GaussianProcess, InterpolatesWhatItWasFittedOn) {
  Eigen::MatrixXd x;
  Eigen::VectorXd y;
  sample(20, x, y);
  GaussianProcess gp({0, 1}, 2);
  gp.fit(x, y, nullptr, 80);
  Eigen::VectorXd mean, variance;
  gp.predict(x, mean, variance);
  EXPECT_LT((mean - y).cwiseAbs().maxCoeff(), 0.05);
  EXPECT_LT(variance.maxCoeff(), 0.01);
  // Far from the data the model is unsure.
  Eigen::MatrixXd far(1, 2);
  far << 3.0, 3.0;
  gp.predict(far, mean, variance);
  EXPECT_GT(variance[0], 0.5 * std::exp(gp.hyperparameters().log_signal_variance));
}

TEST(GaussianProcess, GradientMatchesFiniteDifferences) {
  Eigen::MatrixXd x;
  Eigen::VectorXd y;
  sample(12, x, y, 7);
  GaussianProcess gp({0, 1}, 2);
  gp.fit(x, y, nullptr, 0);  // sets the data; zero iterations keeps the default
  Eigen::VectorXd theta(4);
  theta << std::log(0.4), std::log(0.9), 0.3, std::log(1e-3);
  Eigen::VectorXd gradient;
  gp.log_posterior(theta, &gradient);
  for (Eigen::Index i = 0; i < theta.size(); ++i) {
    Eigen::VectorXd up = theta, down = theta;
    up[i] += 1e-5;
    down[i] -= 1e-5;
    double numeric = (gp.log_posterior(up, nullptr) - gp.log_posterior(down, nullptr)) / 2e-5;
    EXPECT_NEAR(gradient[i], numeric, 1e-4 * (1 + std::fabs(numeric))) << "component " << i;
  }
}

TEST(GaussianProcess, LearnsThatAnIrrelevantParameterHardlyMatters) {
  Eigen::MatrixXd x;
  Eigen::VectorXd y;
  sample(30, x, y, 3);
  GaussianProcess gp({0, 1}, 2);
  gp.fit(x, y, nullptr, 100);
  const Eigen::VectorXd& lengths = gp.hyperparameters().log_length_scales;
  EXPECT_GT(lengths[1], lengths[0] + 1.0) << lengths.transpose();
}

TEST(GaussianProcess, TheOneHotCoordinatesOfAParameterShareALengthScale) {
  GaussianProcess gp({0, 0, 0, 1}, 2);
  EXPECT_EQ(gp.default_hyperparameters().log_length_scales.size(), 2);
}

}  // namespace
}  // namespace mljob::tuner
