// A Gaussian process regression model on the unit cube: Matern 5/2 kernel with one length scale
// per parameter (the one-hot coordinates of a CATEGORICAL parameter share theirs), a signal
// variance and a noise variance, all fitted by maximising the marginal likelihood (with weak
// priors, so a handful of points cannot drive a length scale to an absurd value).
#pragma once

#include <cstddef>
#include <vector>

#include <Eigen/Dense>

namespace mljob::tuner {

struct GpHyperparameters {
  Eigen::VectorXd log_length_scales;  // one per parameter
  double log_signal_variance = 0;
  double log_noise_variance = -9;

  Eigen::VectorXd as_vector() const;
  static GpHyperparameters from_vector(const Eigen::VectorXd& theta);
};

class GaussianProcess {
 public:
  // `parameter_of_dimension[d]`: which parameter (length scale) input coordinate d belongs to.
  GaussianProcess(std::vector<std::size_t> parameter_of_dimension, std::size_t parameter_count);

  // Fits the hyperparameters to (x, y) by maximising the log posterior, starting from the
  // default and, if given, from `warm_start`; then conditions on the data. `y` is used as given
  // (the caller standardises it). `iterations` bounds each start's optimiser.
  void fit(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, const GpHyperparameters* warm_start, int iterations);
  // Conditions on (x, y) with the hyperparameters already set (a constant liar's fantasies).
  void condition(const Eigen::MatrixXd& x, const Eigen::VectorXd& y);
  void set_hyperparameters(const GpHyperparameters& hyperparameters) { hyper_ = hyperparameters; }
  const GpHyperparameters& hyperparameters() const { return hyper_; }

  // Posterior mean and variance (of the latent function) at each row of `points`.
  void predict(const Eigen::MatrixXd& points, Eigen::VectorXd& mean, Eigen::VectorXd& variance) const;

  // The posterior mean alone (cheap: no triangular solve).
  Eigen::VectorXd predict_mean(const Eigen::MatrixXd& points) const;

  // The log marginal likelihood plus the log priors at `theta`, and its gradient.
  double log_posterior(const Eigen::VectorXd& theta, Eigen::VectorXd* gradient) const;

  GpHyperparameters default_hyperparameters() const;

 private:
  Eigen::MatrixXd kernel(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, const GpHyperparameters& h) const;
  void compute_squared_distances();
  Eigen::VectorXd maximise(Eigen::VectorXd theta, int iterations) const;

  std::vector<std::size_t> parameter_of_dimension_;
  std::size_t parameter_count_;
  GpHyperparameters hyper_;
  Eigen::MatrixXd x_;
  Eigen::VectorXd y_;
  std::vector<Eigen::MatrixXd> squared_distances_;  // per parameter, between rows of x_
  Eigen::LLT<Eigen::MatrixXd> cholesky_;
  Eigen::VectorXd alpha_;  // K^-1 y
};

}  // namespace mljob::tuner
