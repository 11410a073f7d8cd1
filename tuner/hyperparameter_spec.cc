#include "tuner/hyperparameter_spec.h"

#include <cmath>
#include <set>

#include "base/ignored_field.h"
#include "base/input_error.h"
#include "tuner/json_fields.h"
#include "tuner/sagemaker_tuning.h"

namespace mljob::tuner {
namespace {

using nlohmann::json;

// An enum field: one of `names` (each mapped to a value), `fallback` when absent.
template <typename Enum>
Enum read_enum(const json& object, const std::string& key, const std::string& at,
               const std::vector<std::pair<std::string, Enum>>& names, std::optional<Enum> fallback) {
  std::string field = at + "." + key;
  if (!object.contains(key) || object[key].is_null()) {
    if (fallback) return *fallback;
    throw InputError(field, "", "is required");
  }
  const json& value = object[key];
  std::string allowed;
  for (const auto& [name, member] : names) {
    if (value.is_string() && value.get<std::string>() == name) return member;
    allowed += (allowed.empty() ? "" : ", ") + name;
  }
  throw InputError(field, shown(value), "must be one of " + allowed);
}

int read_count(const json& object, const std::string& key, const std::string& at, int fallback, int minimum) {
  if (!object.contains(key) || object[key].is_null()) return fallback;
  const json& value = object[key];
  std::string field = at + "." + key;
  if (!value.is_number_integer()) throw InputError(field, shown(value), "must be an integer");
  long long number = value.get<long long>();
  if (number < minimum || number > 1000000) {
    throw InputError(field, shown(value), "must be between " + std::to_string(minimum) + " and 1000000");
  }
  return static_cast<int>(number);
}

std::string read_string(const json& object, const std::string& key, const std::string& at, std::string fallback) {
  if (!object.contains(key) || object[key].is_null()) return fallback;
  if (!object[key].is_string()) throw InputError(at + "." + key, shown(object[key]), "must be a string");
  return object[key].get<std::string>();
}

double read_number(const json& object, const std::string& key, const std::string& at) {
  std::string field = at + "." + key;
  if (!object.contains(key) || object[key].is_null()) throw InputError(field, "", "is required for this type");
  const json& value = object[key];
  if (!value.is_number() || !std::isfinite(value.get<double>())) {
    throw InputError(field, shown(value), "must be a finite number");
  }
  return value.get<double>();
}

void refuse_present(const json& object, const std::string& key, const std::string& at, const std::string& type) {
  if (object.contains(key) && !object[key].is_null()) {
    throw InputError(at + "." + key, shown(object[key]), "is not allowed for a " + type + " parameter");
  }
}

// The API: "If type==DISCRETE, feasible_points must be provided, and {min_value, max_value}
// will be ignored." Accepted as the service does, and said, since they decide nothing.
void warn_range_ignored(const json& object, const std::string& at) {
  for (const char* key : {"minValue", "maxValue"}) {
    if (object.contains(key) && !object[key].is_null()) {
      warn_ignored({at + "." + key, shown(object[key]), "a DISCRETE parameter takes only its discreteValues"});
    }
  }
}

const std::vector<std::pair<std::string, ParameterType>> kTypes = {{"DOUBLE", ParameterType::kDouble},
                                                                   {"INTEGER", ParameterType::kInteger},
                                                                   {"CATEGORICAL", ParameterType::kCategorical},
                                                                   {"DISCRETE", ParameterType::kDiscrete}};
// NONE is the API's name for "no scaling", i.e. linear.
const std::vector<std::pair<std::string, ScaleType>> kScales = {{"NONE", ScaleType::kLinear},
                                                                {"UNIT_LINEAR_SCALE", ScaleType::kLinear},
                                                                {"UNIT_LOG_SCALE", ScaleType::kLog},
                                                                {"UNIT_REVERSE_LOG_SCALE", ScaleType::kReverseLog}};
// GOAL_TYPE_UNSPECIFIED is the API's zero value, which it defines as MAXIMIZE; listed first so
// that a spec prints back as MAXIMIZE.
const std::vector<std::pair<std::string, Goal>> kGoals = {
    {"GOAL_TYPE_UNSPECIFIED", Goal::kMaximize}, {"MAXIMIZE", Goal::kMaximize}, {"MINIMIZE", Goal::kMinimize}};
const std::vector<std::pair<std::string, Algorithm>> kAlgorithms = {{"ALGORITHM_UNSPECIFIED", Algorithm::kBayesian},
                                                                    {"GRID_SEARCH", Algorithm::kGridSearch},
                                                                    {"RANDOM_SEARCH", Algorithm::kRandomSearch}};

void read_range(const json& object, const std::string& at, ParameterSpec& param) {
  param.min_value = read_number(object, "minValue", at);
  param.max_value = read_number(object, "maxValue", at);
  if (param.type == ParameterType::kInteger) {
    for (const char* key : {"minValue", "maxValue"}) {
      double number = object[key].get<double>();
      if (number != std::floor(number) || std::fabs(number) > 9.0e15) {
        throw InputError(at + "." + key, shown(object[key]), "must be an integer for an INTEGER parameter");
      }
    }
  }
  if (!(param.min_value < param.max_value)) {
    throw InputError(at + ".maxValue", shown(object["maxValue"]),
                     "must be greater than minValue (" + shown(object["minValue"]) + ")");
  }
}

void read_discrete_values(const json& object, const std::string& at, ParameterSpec& param) {
  std::string field = at + ".discreteValues";
  if (!object.contains("discreteValues") || !object["discreteValues"].is_array() || object["discreteValues"].empty()) {
    throw InputError(field, object.contains("discreteValues") ? shown(object["discreteValues"]) : "",
                     "must be a non-empty list of numbers for a DISCRETE parameter");
  }
  const json& values = object["discreteValues"];
  if (values.size() > kMaxDiscreteValues) {
    throw InputError(field, std::to_string(values.size()) + " values", "must have at most 1000 values");
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::string item = field + "[" + std::to_string(i) + "]";
    if (!values[i].is_number() || !std::isfinite(values[i].get<double>())) {
      throw InputError(item, shown(values[i]), "must be a finite number");
    }
    double number = values[i].get<double>();
    if (i > 0 && !(number > param.discrete_values.back())) {
      throw InputError(item, shown(values[i]),
                       "must be greater than the value before it (discreteValues are strictly increasing)");
    }
    param.discrete_values.push_back(number);
  }
}

void read_categorical_values(const json& object, const std::string& at, ParameterSpec& param) {
  std::string field = at + ".categoricalValues";
  if (!object.contains("categoricalValues") || !object["categoricalValues"].is_array() ||
      object["categoricalValues"].empty()) {
    throw InputError(field, object.contains("categoricalValues") ? shown(object["categoricalValues"]) : "",
                     "must be a non-empty list of strings for a CATEGORICAL parameter");
  }
  std::set<std::string> seen;
  const json& values = object["categoricalValues"];
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::string item = field + "[" + std::to_string(i) + "]";
    if (!values[i].is_string()) throw InputError(item, shown(values[i]), "must be a string");
    if (!seen.insert(values[i].get<std::string>()).second) throw InputError(item, shown(values[i]), "is a duplicate");
    param.categorical_values.push_back(values[i].get<std::string>());
  }
}

void check_log_scale(const json& object, const std::string& at, const ParameterSpec& param) {
  if (param.scale == ScaleType::kLinear) return;
  bool discrete = param.type == ParameterType::kDiscrete;
  double lowest = discrete ? param.discrete_values.front() : param.min_value;
  if (lowest <= 0) {
    throw InputError(at + (discrete ? ".discreteValues[0]" : ".minValue"),
                     shown(discrete ? object["discreteValues"][0] : object["minValue"]),
                     "must be greater than 0: " + to_string(param.scale) + " needs a strictly positive range");
  }
}

ParameterSpec read_parameter(const json& object, const std::string& at) {
  if (!object.is_object()) throw InputError(at, shown(object), "must be an object");
  require_known_keys(
      object, at,
      {"parameterName", "type", "minValue", "maxValue", "categoricalValues", "discreteValues", "scaleType"});
  ParameterSpec param;
  param.name = read_string(object, "parameterName", at, "");
  if (param.name.empty()) throw InputError(at + ".parameterName", "", "is required and must not be empty");
  param.type = read_enum<ParameterType>(object, "type", at, kTypes, std::nullopt);
  std::string type_name = to_string(param.type);
  if (param.type == ParameterType::kCategorical) {
    refuse_present(object, "scaleType", at, type_name);
  } else {
    param.scale = read_enum<ScaleType>(object, "scaleType", at, kScales, ScaleType::kLinear);
  }
  switch (param.type) {
    case ParameterType::kDouble:
    case ParameterType::kInteger:
      refuse_present(object, "categoricalValues", at, type_name);
      refuse_present(object, "discreteValues", at, type_name);
      read_range(object, at, param);
      break;
    case ParameterType::kCategorical:
      for (const char* key : {"minValue", "maxValue", "discreteValues"}) refuse_present(object, key, at, type_name);
      read_categorical_values(object, at, param);
      break;
    case ParameterType::kDiscrete:
      refuse_present(object, "categoricalValues", at, type_name);
      warn_range_ignored(object, at);
      read_discrete_values(object, at, param);
      break;
  }
  check_log_scale(object, at, param);
  return param;
}

std::vector<ParameterSpec> read_parameters(const json& value, const std::string& at) {
  std::string field = at + ".params";
  if (!value.contains("params") || !value["params"].is_array() || value["params"].empty()) {
    throw InputError(field, value.contains("params") ? shown(value["params"]) : "",
                     "must be a non-empty list of parameters");
  }
  std::vector<ParameterSpec> params;
  std::set<std::string> names;
  for (std::size_t i = 0; i < value["params"].size(); ++i) {
    std::string item = field + "[" + std::to_string(i) + "]";
    params.push_back(read_parameter(value["params"][i], item));
    if (!names.insert(params.back().name).second) {
      throw InputError(item + ".parameterName", params.back().name, "is a duplicate: parameter names must be unique");
    }
  }
  return params;
}

bool read_bool(const json& object, const std::string& key, const std::string& at) {
  if (!object.contains(key) || object[key].is_null()) return false;
  if (!object[key].is_boolean()) throw InputError(at + "." + key, shown(object[key]), "must be true or false");
  return object[key].get<bool>();
}

template <typename Enum>
std::string name_of(Enum member, const std::vector<std::pair<std::string, Enum>>& names) {
  // The last name wins so that aliases (NONE, ALGORITHM_UNSPECIFIED) print as the canonical one.
  std::string found;
  for (const auto& [name, value] : names) {
    if (value == member) found = name;
  }
  return found;
}

}  // namespace

std::string to_string(ParameterType type) {
  return name_of(type, kTypes);
}
std::string to_string(ScaleType scale) {
  return name_of(scale, kScales);
}
std::string to_string(Goal goal) {
  return name_of(goal, kGoals);
}
std::string to_string(Algorithm algorithm) {
  return algorithm == Algorithm::kBayesian ? "ALGORITHM_UNSPECIFIED" : name_of(algorithm, kAlgorithms);
}

HyperparameterSpec parse_hyperparameter_spec(const json& value, const std::string& at) {
  if (!value.is_object()) throw InputError(at, shown(value), "must be an object (a HyperparameterSpec)");
  if (is_sagemaker_tuning(value)) return parse_sagemaker_tuning(value, at);
  require_known_keys(value, at,
                     {"goal", "params", "maxTrials", "maxParallelTrials", "maxFailedTrials", "hyperparameterMetricTag",
                      "resumePreviousJobId", "enableTrialEarlyStopping", "algorithm"});
  HyperparameterSpec spec;
  spec.goal = read_enum<Goal>(value, "goal", at, kGoals, Goal::kMaximize);
  spec.params = read_parameters(value, at);
  spec.max_trials = read_count(value, "maxTrials", at, 1, 1);
  spec.max_parallel_trials = read_count(value, "maxParallelTrials", at, 1, 1);
  if (value.contains("maxFailedTrials") && !value["maxFailedTrials"].is_null()) {
    spec.max_failed_trials = read_count(value, "maxFailedTrials", at, 0, 0);
  }
  spec.metric_tag = read_string(value, "hyperparameterMetricTag", at, spec.metric_tag);
  if (spec.metric_tag.empty()) throw InputError(at + ".hyperparameterMetricTag", "", "must not be empty");
  spec.resume_previous_job_id = read_string(value, "resumePreviousJobId", at, "");
  spec.enable_trial_early_stopping = read_bool(value, "enableTrialEarlyStopping", at);
  spec.algorithm = read_enum<Algorithm>(value, "algorithm", at, kAlgorithms, Algorithm::kBayesian);
  if (spec.algorithm == Algorithm::kGridSearch) {
    for (std::size_t i = 0; i < spec.params.size(); ++i) {
      if (spec.params[i].type == ParameterType::kDouble) {
        throw InputError(at + ".params[" + std::to_string(i) + "].type", "DOUBLE",
                         "GRID_SEARCH needs INTEGER, CATEGORICAL or DISCRETE parameters only (parameter '" +
                             spec.params[i].name + "')");
      }
    }
  }
  return spec;
}

json to_json(const HyperparameterSpec& spec) {
  json params = json::array();
  for (const auto& param : spec.params) {
    json out = {{"parameterName", param.name}, {"type", to_string(param.type)}};
    if (param.type == ParameterType::kDouble) {
      out["minValue"] = param.min_value;
      out["maxValue"] = param.max_value;
    } else if (param.type == ParameterType::kInteger) {
      out["minValue"] = static_cast<long long>(param.min_value);
      out["maxValue"] = static_cast<long long>(param.max_value);
    } else if (param.type == ParameterType::kCategorical) {
      out["categoricalValues"] = param.categorical_values;
    } else {
      out["discreteValues"] = param.discrete_values;
    }
    if (param.type != ParameterType::kCategorical) out["scaleType"] = to_string(param.scale);
    params.push_back(out);
  }
  json out = {{"goal", to_string(spec.goal)},
              {"params", params},
              {"maxTrials", spec.max_trials},
              {"maxParallelTrials", spec.max_parallel_trials},
              {"hyperparameterMetricTag", spec.metric_tag},
              {"enableTrialEarlyStopping", spec.enable_trial_early_stopping},
              {"algorithm", to_string(spec.algorithm)}};
  if (spec.max_failed_trials) out["maxFailedTrials"] = *spec.max_failed_trials;
  if (!spec.resume_previous_job_id.empty()) out["resumePreviousJobId"] = spec.resume_previous_job_id;
  return out;
}

}  // namespace mljob::tuner
