#include "tuner/gaussian_process.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>

namespace mljob::tuner {
namespace {

constexpr double kSqrt5 = 2.23606797749979;
constexpr double kJitter = 1e-8;

// Box bounds of the (log) hyperparameters: inputs live in [0,1], outputs are standardised.
constexpr double kMinLogLength = -5.3, kMaxLogLength = 3.0;  // 0.005 .. 20
constexpr double kMinLogSignal = -4.6, kMaxLogSignal = 4.6;  // 0.01 .. 100
constexpr double kMinLogNoise = -13.8, kMaxLogNoise = 0.0;   // 1e-6 .. 1

// Weak Gamma priors (in log space, Jacobian included): length scale Gamma(3, 6), mode 1/3 of
// the unit cube; signal variance Gamma(2, 0.15). The noise variance is only bounded.
constexpr double kLengthShape = 3.0, kLengthRate = 6.0;
constexpr double kSignalShape = 2.0, kSignalRate = 0.15;

// Matern 5/2 as a function of r^2, and the factor that turns dS_p into dk/dlog(l_p).
double matern52(double r2) {
  double r = std::sqrt(std::max(r2, 0.0));
  return (1.0 + kSqrt5 * r + 5.0 / 3.0 * r2) * std::exp(-kSqrt5 * r);
}
double matern52_length_factor(double r2) {
  double r = std::sqrt(std::max(r2, 0.0));
  return 5.0 / 3.0 * (1.0 + kSqrt5 * r) * std::exp(-kSqrt5 * r);
}

Eigen::VectorXd clamp_theta(Eigen::VectorXd theta) {
  Eigen::Index p = theta.size() - 2;
  for (Eigen::Index i = 0; i < p; ++i) theta[i] = std::clamp(theta[i], kMinLogLength, kMaxLogLength);
  theta[p] = std::clamp(theta[p], kMinLogSignal, kMaxLogSignal);
  theta[p + 1] = std::clamp(theta[p + 1], kMinLogNoise, kMaxLogNoise);
  return theta;
}

}  // namespace

Eigen::VectorXd GpHyperparameters::as_vector() const {
  Eigen::VectorXd theta(log_length_scales.size() + 2);
  theta << log_length_scales, log_signal_variance, log_noise_variance;
  return theta;
}

GpHyperparameters GpHyperparameters::from_vector(const Eigen::VectorXd& theta) {
  GpHyperparameters h;
  Eigen::Index p = theta.size() - 2;
  h.log_length_scales = theta.head(p);
  h.log_signal_variance = theta[p];
  h.log_noise_variance = theta[p + 1];
  return h;
}

GaussianProcess::GaussianProcess(std::vector<std::size_t> parameter_of_dimension, std::size_t parameter_count)
    : parameter_of_dimension_(std::move(parameter_of_dimension)), parameter_count_(parameter_count) {
  hyper_ = default_hyperparameters();
}

GpHyperparameters GaussianProcess::default_hyperparameters() const {
  GpHyperparameters h;
  h.log_length_scales = Eigen::VectorXd::Constant(static_cast<Eigen::Index>(parameter_count_), std::log(0.3));
  h.log_signal_variance = 0.0;
  h.log_noise_variance = std::log(1e-4);
  return h;
}

Eigen::MatrixXd GaussianProcess::kernel(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b,
                                        const GpHyperparameters& h) const {
  Eigen::VectorXd inverse_length(a.cols());
  for (Eigen::Index d = 0; d < a.cols(); ++d) {
    inverse_length[d] = std::exp(-h.log_length_scales[static_cast<Eigen::Index>(parameter_of_dimension_[d])]);
  }
  Eigen::MatrixXd as = a * inverse_length.asDiagonal();
  Eigen::MatrixXd bs = b * inverse_length.asDiagonal();
  // |a-b|^2 = |a|^2 + |b|^2 - 2ab, clamped at 0 against rounding.
  Eigen::MatrixXd r2 = (-2.0 * as * bs.transpose()).colwise() + as.rowwise().squaredNorm();
  r2.rowwise() += bs.rowwise().squaredNorm().transpose();
  double signal = std::exp(h.log_signal_variance);
  return r2.unaryExpr([signal](double value) { return signal * matern52(value); });
}

void GaussianProcess::compute_squared_distances() {
  const Eigen::Index n = x_.rows();
  squared_distances_.assign(parameter_count_, Eigen::MatrixXd::Zero(n, n));
  for (Eigen::Index d = 0; d < x_.cols(); ++d) {
    Eigen::MatrixXd& target = squared_distances_[parameter_of_dimension_[d]];
    for (Eigen::Index j = 0; j < n; ++j) {
      for (Eigen::Index i = 0; i < n; ++i) {
        double delta = x_(i, d) - x_(j, d);
        target(i, j) += delta * delta;
      }
    }
  }
}

double GaussianProcess::log_posterior(const Eigen::VectorXd& theta, Eigen::VectorXd* gradient) const {
  const Eigen::Index n = x_.rows();
  const Eigen::Index p = static_cast<Eigen::Index>(parameter_count_);
  GpHyperparameters h = GpHyperparameters::from_vector(theta);
  Eigen::MatrixXd scaled_r2 = Eigen::MatrixXd::Zero(n, n);
  for (Eigen::Index q = 0; q < p; ++q) scaled_r2 += squared_distances_[q] * std::exp(-2.0 * h.log_length_scales[q]);
  double signal = std::exp(h.log_signal_variance), noise = std::exp(h.log_noise_variance);
  Eigen::MatrixXd correlation = scaled_r2.unaryExpr([](double r2) { return matern52(r2); });
  Eigen::MatrixXd k = signal * correlation;
  k.diagonal().array() += noise + kJitter;
  Eigen::LLT<Eigen::MatrixXd> llt(k);
  if (llt.info() != Eigen::Success) return -std::numeric_limits<double>::infinity();
  Eigen::VectorXd alpha = llt.solve(y_);
  double log_det = 2.0 * llt.matrixLLT().diagonal().array().log().sum();
  double value = -0.5 * y_.dot(alpha) - 0.5 * log_det - 0.5 * static_cast<double>(n) * std::log(2.0 * M_PI);
  for (Eigen::Index q = 0; q < p; ++q) {
    value += kLengthShape * h.log_length_scales[q] - kLengthRate * std::exp(h.log_length_scales[q]);
  }
  value += kSignalShape * h.log_signal_variance - kSignalRate * signal;
  if (gradient == nullptr) return value;

  // d/dtheta = 1/2 tr((alpha alpha^T - K^-1) dK/dtheta), plus the priors' terms.
  Eigen::MatrixXd inner = alpha * alpha.transpose() - llt.solve(Eigen::MatrixXd::Identity(n, n));
  Eigen::MatrixXd length_factor = scaled_r2.unaryExpr([](double r2) { return matern52_length_factor(r2); });
  gradient->resize(theta.size());
  for (Eigen::Index q = 0; q < p; ++q) {
    double scale = std::exp(-2.0 * h.log_length_scales[q]);
    double trace = (inner.array() * length_factor.array() * squared_distances_[q].array()).sum() * scale * signal;
    (*gradient)[q] = 0.5 * trace + kLengthShape - kLengthRate * std::exp(h.log_length_scales[q]);
  }
  (*gradient)[p] = 0.5 * (inner.array() * correlation.array()).sum() * signal + kSignalShape - kSignalRate * signal;
  (*gradient)[p + 1] = 0.5 * inner.trace() * noise;
  return value;
}

// Limited-memory BFGS on the negated log posterior, kept inside the box by clamping (memory is
// dropped when a bound is hit). Hand-written because no Debian C++ optimiser library is in the
// build's dependencies and the problem is tiny (a dozen variables, smooth).
Eigen::VectorXd GaussianProcess::maximise(Eigen::VectorXd theta, int iterations) const {
  constexpr std::size_t kMemory = 6;
  theta = clamp_theta(theta);
  Eigen::VectorXd gradient;
  double value = -log_posterior(theta, &gradient);
  if (!std::isfinite(value)) return theta;
  gradient = -gradient;
  std::deque<std::pair<Eigen::VectorXd, Eigen::VectorXd>> memory;  // (s, y) pairs
  for (int iteration = 0; iteration < iterations; ++iteration) {
    Eigen::VectorXd direction = -gradient;
    std::vector<double> a(memory.size());
    for (std::size_t i = memory.size(); i-- > 0;) {
      const auto& [s, y] = memory[i];
      a[i] = s.dot(direction) / y.dot(s);
      direction -= a[i] * y;
    }
    if (!memory.empty())
      direction *= memory.back().first.dot(memory.back().second) / memory.back().second.squaredNorm();
    for (std::size_t i = 0; i < memory.size(); ++i) {
      const auto& [s, y] = memory[i];
      direction += s * (a[i] - y.dot(direction) / y.dot(s));
    }
    if (gradient.dot(direction) >= 0) {
      direction = -gradient;
      memory.clear();
    }
    double step = memory.empty() ? std::min(1.0, 1.0 / std::max(gradient.norm(), 1e-12)) : 1.0;
    Eigen::VectorXd next, next_gradient;
    double next_value = 0;
    bool accepted = false;
    for (int tries = 0; tries < 20; ++tries) {
      next = clamp_theta(theta + step * direction);
      next_value = -log_posterior(next, &next_gradient);
      accepted = std::isfinite(next_value) && next_value <= value + 1e-4 * gradient.dot(next - theta);
      if (accepted) break;
      step *= 0.5;
    }
    if (!accepted) break;
    next_gradient = -next_gradient;
    Eigen::VectorXd s = next - theta, y = next_gradient - gradient;
    bool clamped = (next - (theta + step * direction)).norm() > 1e-12;
    if (clamped)
      memory.clear();
    else if (s.dot(y) > 1e-10)
      memory.emplace_back(s, y);
    if (memory.size() > kMemory) memory.pop_front();
    bool converged = std::fabs(value - next_value) < 1e-7 * (1.0 + std::fabs(value)) || s.norm() < 1e-7;
    theta = next;
    value = next_value;
    gradient = next_gradient;
    if (converged) break;
  }
  return theta;
}

void GaussianProcess::fit(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, const GpHyperparameters* warm_start,
                          int iterations) {
  x_ = x;
  y_ = y;
  compute_squared_distances();
  // Two starts while the data are few and the last fit may be far off; later the last fit alone,
  // which is where most of the time of a suggestion would otherwise go.
  constexpr Eigen::Index kWarmOnlyFrom = 60;
  bool warm =
      warm_start != nullptr && warm_start->log_length_scales.size() == static_cast<Eigen::Index>(parameter_count_);
  std::vector<Eigen::VectorXd> starts;
  if (!warm || x.rows() < kWarmOnlyFrom) starts.push_back(default_hyperparameters().as_vector());
  if (warm) starts.push_back(warm_start->as_vector());
  Eigen::VectorXd best = clamp_theta(starts.front());
  double best_value = -std::numeric_limits<double>::infinity();
  for (const auto& start : starts) {
    Eigen::VectorXd theta = maximise(start, iterations);
    double value = log_posterior(theta, nullptr);
    if (value > best_value) best = theta, best_value = value;
  }
  hyper_ = GpHyperparameters::from_vector(best);
  condition(x, y);
}

void GaussianProcess::condition(const Eigen::MatrixXd& x, const Eigen::VectorXd& y) {
  x_ = x;
  y_ = y;
  Eigen::MatrixXd k = kernel(x_, x_, hyper_);
  double extra = std::exp(hyper_.log_noise_variance) + kJitter;
  for (int attempt = 0; attempt < 6; ++attempt, extra *= 10) {
    Eigen::MatrixXd noisy = k;
    noisy.diagonal().array() += extra;
    cholesky_.compute(noisy);
    if (cholesky_.info() == Eigen::Success) break;
  }
  alpha_ = cholesky_.solve(y_);
}

void GaussianProcess::predict(const Eigen::MatrixXd& points, Eigen::VectorXd& mean, Eigen::VectorXd& variance) const {
  Eigen::MatrixXd cross = kernel(x_, points, hyper_);  // n x m
  mean = cross.transpose() * alpha_;
  Eigen::MatrixXd v = cholesky_.matrixL().solve(cross);
  variance = (std::exp(hyper_.log_signal_variance) - v.colwise().squaredNorm().array()).max(1e-12).matrix().transpose();
}

Eigen::VectorXd GaussianProcess::predict_mean(const Eigen::MatrixXd& points) const {
  return kernel(x_, points, hyper_).transpose() * alpha_;
}

}  // namespace mljob::tuner
