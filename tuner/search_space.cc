#include "tuner/search_space.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "base/input_error.h"

namespace mljob::tuner {
namespace {

double clamp01(double unit) {
  return std::clamp(std::isfinite(unit) ? unit : 0.0, 0.0, 1.0);
}

// The value's position on its scale: linear, log, or reverse log (Vizier's: fine resolution
// near the top of the range, log(max + min - x) mirrored).
double scaled(ScaleType scale, double value, double low, double high) {
  switch (scale) {
    case ScaleType::kLinear:
      return (value - low) / (high - low);
    case ScaleType::kLog:
      return (std::log(value) - std::log(low)) / (std::log(high) - std::log(low));
    case ScaleType::kReverseLog:
      return 1.0 - (std::log(high + low - value) - std::log(low)) / (std::log(high) - std::log(low));
  }
  return 0;
}

double unscaled(ScaleType scale, double unit, double low, double high) {
  switch (scale) {
    case ScaleType::kLinear:
      return low + unit * (high - low);
    case ScaleType::kLog:
      return std::exp(std::log(low) + unit * (std::log(high) - std::log(low)));
    case ScaleType::kReverseLog:
      return high + low - std::exp(std::log(low) + (1.0 - unit) * (std::log(high) - std::log(low)));
  }
  return low;
}

std::string describe(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

}  // namespace

SearchSpace::SearchSpace(std::vector<ParameterSpec> params) : params_(std::move(params)) {
  for (std::size_t p = 0; p < params_.size(); ++p) {
    first_dimension_.push_back(parameter_of_dimension_.size());
    std::size_t width = params_[p].type == ParameterType::kCategorical ? params_[p].categorical_values.size() : 1;
    parameter_of_dimension_.insert(parameter_of_dimension_.end(), width, p);
  }
}

double SearchSpace::to_unit(const ParameterSpec& param, double value) const {
  if (param.type == ParameterType::kDiscrete) {
    const auto& values = param.discrete_values;
    if (values.size() == 1) return 0.5;
    return clamp01(scaled(param.scale, value, values.front(), values.back()));
  }
  return clamp01(scaled(param.scale, value, param.min_value, param.max_value));
}

double SearchSpace::from_unit(const ParameterSpec& param, double unit) const {
  unit = clamp01(unit);
  if (param.type == ParameterType::kDiscrete) {
    // The discrete value nearest on the parameter's own scale.
    const auto& values = param.discrete_values;
    double best = values.front(), best_distance = std::numeric_limits<double>::infinity();
    for (double value : values) {
      double distance = std::fabs(to_unit(param, value) - unit);
      if (distance < best_distance) best = value, best_distance = distance;
    }
    return best;
  }
  double value =
      std::clamp(unscaled(param.scale, unit, param.min_value, param.max_value), param.min_value, param.max_value);
  if (param.type == ParameterType::kInteger) {
    // Nearest integer on the parameter's scale, not in raw value (they differ on log scales).
    double low = std::floor(value), high = std::ceil(value);
    low = std::max(low, param.min_value);
    high = std::min(high, param.max_value);
    value = std::fabs(to_unit(param, low) - unit) <= std::fabs(to_unit(param, high) - unit) ? low : high;
  }
  return value;
}

Assignment SearchSpace::decode(const Eigen::VectorXd& point) const {
  Assignment out = Assignment::object();
  for (std::size_t p = 0; p < params_.size(); ++p) {
    const ParameterSpec& param = params_[p];
    std::size_t first = first_dimension_[p];
    if (param.type == ParameterType::kCategorical) {
      std::size_t best = 0;
      for (std::size_t k = 1; k < param.categorical_values.size(); ++k) {
        if (point[first + k] > point[first + best]) best = k;
      }
      out[param.name] = param.categorical_values[best];
    } else if (param.type == ParameterType::kInteger) {
      out[param.name] = static_cast<long long>(from_unit(param, point[first]));
    } else {
      double value = from_unit(param, point[first]);
      // A whole DISCRETE value (a batch size, say) is given as an integer: `--batch=64`, not 64.0.
      bool whole = param.type == ParameterType::kDiscrete && value == std::floor(value) && std::fabs(value) < 9.0e15;
      out[param.name] = whole ? nlohmann::json(static_cast<long long>(value)) : nlohmann::json(value);
    }
  }
  return out;
}

Eigen::VectorXd SearchSpace::encode(const Assignment& assignment) const {
  Eigen::VectorXd point = Eigen::VectorXd::Zero(dimensions());
  for (std::size_t p = 0; p < params_.size(); ++p) {
    const ParameterSpec& param = params_[p];
    std::string field = "parameters." + param.name;
    if (!assignment.is_object() || !assignment.contains(param.name)) throw InputError(field, "", "is missing");
    const auto& value = assignment[param.name];
    std::size_t first = first_dimension_[p];
    if (param.type == ParameterType::kCategorical) {
      auto found = std::find(param.categorical_values.begin(), param.categorical_values.end(),
                             value.is_string() ? value.get<std::string>() : std::string("\x01"));
      if (found == param.categorical_values.end()) {
        throw InputError(field, describe(value), "must be one of the parameter's categoricalValues");
      }
      point[first + (found - param.categorical_values.begin())] = 1.0;
      continue;
    }
    if (!value.is_number()) throw InputError(field, describe(value), "must be a number");
    double number = value.get<double>();
    bool inside = param.type == ParameterType::kDiscrete
                      ? std::find(param.discrete_values.begin(), param.discrete_values.end(), number) !=
                            param.discrete_values.end()
                      : number >= param.min_value && number <= param.max_value &&
                            (param.type == ParameterType::kDouble || number == std::floor(number));
    if (!inside) throw InputError(field, describe(value), "is outside the parameter's domain");
    point[first] = to_unit(param, number);
  }
  return point;
}

Eigen::VectorXd SearchSpace::uniform_point(std::mt19937_64& rng) const {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  Eigen::VectorXd point(dimensions());
  for (Eigen::Index d = 0; d < point.size(); ++d) point[d] = unit(rng);
  return point;
}

std::uint64_t SearchSpace::values_count(const ParameterSpec& param) const {
  switch (param.type) {
    case ParameterType::kCategorical:
      return param.categorical_values.size();
    case ParameterType::kDiscrete:
      return param.discrete_values.size();
    case ParameterType::kInteger:
      return static_cast<std::uint64_t>(param.max_value - param.min_value) + 1;
    case ParameterType::kDouble:
      break;
  }
  return std::numeric_limits<std::uint64_t>::max();
}

nlohmann::json SearchSpace::value_at(const ParameterSpec& param, std::uint64_t index) const {
  switch (param.type) {
    case ParameterType::kCategorical:
      return param.categorical_values[index];
    case ParameterType::kDiscrete:
      return param.discrete_values[index];
    case ParameterType::kInteger:
      return static_cast<long long>(param.min_value) + static_cast<long long>(index);
    case ParameterType::kDouble:
      break;
  }
  return nullptr;
}

std::uint64_t SearchSpace::grid_size() const {
  std::uint64_t size = 1;
  for (const auto& param : params_) {
    std::uint64_t count = values_count(param);
    if (size > std::numeric_limits<std::uint64_t>::max() / count) return std::numeric_limits<std::uint64_t>::max();
    size *= count;
  }
  return size;
}

Assignment SearchSpace::grid_point(std::uint64_t index) const {
  // Mixed radix, the last parameter varying fastest.
  Assignment out = Assignment::object();
  for (std::size_t p = params_.size(); p-- > 0;) {
    std::uint64_t count = values_count(params_[p]);
    out[params_[p].name] = value_at(params_[p], index % count);
    index /= count;
  }
  return out;
}

std::vector<std::string> SearchSpace::as_arguments(const Assignment& assignment) {
  std::vector<std::string> args;
  for (const auto& [name, value] : assignment.items()) {
    std::ostringstream text;
    if (value.is_string())
      text << value.get<std::string>();
    else if (value.is_number_integer())
      text << value.get<long long>();
    else
      text << value.dump();
    args.push_back("--" + name + "=" + text.str());
  }
  return args;
}

}  // namespace mljob::tuner
