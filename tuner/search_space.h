// The parameter space of a study as the optimisers see it: every assignment of parameter
// values maps to a point of the unit cube [0,1]^D (scale types applied; a CATEGORICAL parameter
// takes one coordinate per value, one-hot), and any point of the cube maps back to the nearest
// valid assignment. Optimisers search the cube; `snap` keeps them on the values a trial can take.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include <Eigen/Dense>
#include <nlohmann/json.hpp>

#include "tuner/hyperparameter_spec.h"

namespace mljob::tuner {

// Parameter values by name, as a trial receives them (numbers, or strings for CATEGORICAL).
using Assignment = nlohmann::json;

class SearchSpace {
 public:
  explicit SearchSpace(std::vector<ParameterSpec> params);

  std::size_t dimensions() const { return parameter_of_dimension_.size(); }
  const std::vector<ParameterSpec>& params() const { return params_; }
  // Which parameter each coordinate belongs to (the one-hot coordinates of a CATEGORICAL share one).
  const std::vector<std::size_t>& parameter_of_dimension() const { return parameter_of_dimension_; }

  Assignment decode(const Eigen::VectorXd& point) const;
  // Throws InputError if a value is missing or outside the parameter's domain.
  Eigen::VectorXd encode(const Assignment& assignment) const;
  // The point of the valid assignment nearest to `point`: decode, then encode.
  Eigen::VectorXd snap(const Eigen::VectorXd& point) const { return encode(decode(point)); }

  Eigen::VectorXd uniform_point(std::mt19937_64& rng) const;

  // Grid search: the number of distinct assignments (saturating at UINT64_MAX), and the
  // index-th of them in a fixed mixed-radix order. Only for spaces without DOUBLE parameters.
  std::uint64_t grid_size() const;
  Assignment grid_point(std::uint64_t index) const;

  // The `--name=value` arguments AI Platform gives a trial.
  static std::vector<std::string> as_arguments(const Assignment& assignment);

 private:
  double to_unit(const ParameterSpec& param, double value) const;
  double from_unit(const ParameterSpec& param, double unit) const;
  std::uint64_t values_count(const ParameterSpec& param) const;
  nlohmann::json value_at(const ParameterSpec& param, std::uint64_t index) const;

  std::vector<ParameterSpec> params_;
  std::vector<std::size_t> first_dimension_;  // per parameter
  std::vector<std::size_t> parameter_of_dimension_;
};

}  // namespace mljob::tuner
