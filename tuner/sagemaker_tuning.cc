#include "tuner/sagemaker_tuning.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "base/input_error.h"
#include "metrics/metrics_spec.h"
#include "tuner/json_fields.h"

namespace mljob::tuner {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxRangesPerKind = 30, kMaxCategoricalValues = 30, kMaxParents = 5;

// Whether `object` gives `key` a value: a field left out and a field set to null read alike.
bool given(const json& object, const std::string& key) {
  return object.contains(key) && !object[key].is_null();
}

const json& required(const json& object, const std::string& key, const std::string& at) {
  if (!given(object, key)) throw InputError(at + "." + key, "", "is required");
  return object[key];
}

const json& object_at(const json& object, const std::string& key, const std::string& at) {
  const json& value = required(object, key, at);
  if (!value.is_object()) throw InputError(at + "." + key, shown(value), "must be an object");
  return value;
}

std::string one_of(const json& object, const std::string& key, const std::string& at,
                   const std::vector<std::string>& allowed, const std::string& fallback = "") {
  if (!given(object, key)) {
    if (fallback.empty()) throw InputError(at + "." + key, "", "is required");
    return fallback;
  }
  const json& value = object[key];
  if (value.is_string() && std::find(allowed.begin(), allowed.end(), value.get<std::string>()) != allowed.end()) {
    return value.get<std::string>();
  }
  std::string list;
  for (const auto& name : allowed) list += (list.empty() ? "" : ", ") + name;
  throw InputError(at + "." + key, shown(value), "must be one of " + list);
}

int count_at_least_one(const json& object, const std::string& key, const std::string& at) {
  const json& value = required(object, key, at);
  if (!value.is_number_integer() || value.get<long long>() < 1 || value.get<long long>() > 1'000'000) {
    throw InputError(at + "." + key, shown(value), "must be a whole number of at least 1");
  }
  return value.get<int>();
}

// SageMaker's range bounds are strings ("0.001"); a YAML number is taken as well.
double bound(const json& range, const std::string& key, const std::string& at, bool integer) {
  const json& value = required(range, key, at);
  double number = NAN;
  if (value.is_number()) {
    number = value.get<double>();
  } else if (value.is_string()) {
    try {
      std::size_t used = 0;
      number = std::stod(value.get<std::string>(), &used);
      if (used != value.get<std::string>().size()) number = NAN;
    } catch (const std::exception&) {
      number = NAN;
    }
  }
  if (!std::isfinite(number))
    throw InputError(at + "." + key, shown(value), "must be a number (as a string, e.g. \"0.01\")");
  if (integer && number != std::floor(number))
    throw InputError(at + "." + key, shown(value), "must be a whole number for an integer range");
  return number;
}

ParameterSpec numeric_range(const json& range, const std::string& at, bool integer) {
  if (!range.is_object())
    throw InputError(at, shown(range), "must be an object {Name, MinValue, MaxValue, ScalingType}");
  require_known_keys(range, at, {"Name", "MinValue", "MaxValue", "ScalingType"});
  ParameterSpec param;
  const json& name = required(range, "Name", at);
  if (!name.is_string() || name.get<std::string>().empty())
    throw InputError(at + ".Name", shown(name), "must be a non-empty string");
  param.name = name.get<std::string>();
  param.type = integer ? ParameterType::kInteger : ParameterType::kDouble;
  param.min_value = bound(range, "MinValue", at, integer);
  param.max_value = bound(range, "MaxValue", at, integer);
  if (!(param.min_value < param.max_value)) {
    throw InputError(at + ".MaxValue", shown(range["MaxValue"]),
                     "must be greater than MinValue (" + shown(range["MinValue"]) + ")");
  }
  std::string scaling =
      one_of(range, "ScalingType", at, {"Auto", "Linear", "Logarithmic", "ReverseLogarithmic"}, "Auto");
  if (scaling == "Logarithmic") {
    if (param.min_value <= 0)
      throw InputError(at + ".MinValue", shown(range["MinValue"]), "must be greater than 0 for Logarithmic scaling");
    param.scale = ScaleType::kLog;
  } else if (scaling == "ReverseLogarithmic") {
    if (integer) throw InputError(at + ".ScalingType", scaling, "is for continuous ranges only");
    if (param.min_value < 0 || param.max_value >= 1) {
      throw InputError(at + ".ScalingType", scaling, "needs a range within 0 <= value < 1");
    }
    param.scale = ScaleType::kReverseLog;
  }
  return param;  // Auto: mljob's choice is linear (SageMaker leaves Auto's choice to itself)
}

ParameterSpec categorical_range(const json& range, const std::string& at) {
  if (!range.is_object()) throw InputError(at, shown(range), "must be an object {Name, Values}");
  require_known_keys(range, at, {"Name", "Values"});
  ParameterSpec param;
  const json& name = required(range, "Name", at);
  if (!name.is_string() || name.get<std::string>().empty())
    throw InputError(at + ".Name", shown(name), "must be a non-empty string");
  param.name = name.get<std::string>();
  param.type = ParameterType::kCategorical;
  const json& values = required(range, "Values", at);
  if (!values.is_array() || values.empty() || values.size() > kMaxCategoricalValues) {
    throw InputError(at + ".Values", shown(values), "must be a list of 1 to 30 strings");
  }
  std::set<std::string> seen;
  for (const auto& value : values) {
    if (!value.is_string())
      throw InputError(at + ".Values", shown(value), "must be strings (SageMaker's hyperparameters are strings)");
    if (!seen.insert(value.get<std::string>()).second) throw InputError(at + ".Values", shown(value), "is a duplicate");
    param.categorical_values.push_back(value.get<std::string>());
  }
  return param;
}

std::vector<ParameterSpec> parameter_ranges(const json& config, const std::string& at) {
  std::string where = at + ".ParameterRanges";
  const json& ranges = object_at(config, "ParameterRanges", at);
  require_known_keys(
      ranges, where,
      {"IntegerParameterRanges", "ContinuousParameterRanges", "CategoricalParameterRanges", "AutoParameters"});
  if (ranges.contains("AutoParameters"))
    throw InputError(where + ".AutoParameters", shown(ranges["AutoParameters"]), "is not offered: give the ranges");
  std::vector<ParameterSpec> params;
  std::set<std::string> names;
  for (const std::string kind : {"ContinuousParameterRanges", "IntegerParameterRanges", "CategoricalParameterRanges"}) {
    if (!given(ranges, kind)) continue;
    const json& list = ranges[kind];
    if (!list.is_array() || list.size() > kMaxRangesPerKind)
      throw InputError(where + "." + kind, shown(list), "must be a list of at most 30 ranges");
    for (std::size_t i = 0; i < list.size(); ++i) {
      std::string item = where + "." + kind + "[" + std::to_string(i) + "]";
      params.push_back(kind == "CategoricalParameterRanges"
                           ? categorical_range(list[i], item)
                           : numeric_range(list[i], item, kind == "IntegerParameterRanges"));
      if (!names.insert(params.back().name).second) {
        throw InputError(item + ".Name", params.back().name, "is a duplicate: each hyperparameter has one range");
      }
    }
  }
  if (params.empty()) throw InputError(where, shown(ranges), "must give at least one range");
  return params;
}

WarmStart warm_start(const json& request, const std::string& at) {
  std::string where = at + ".WarmStartConfig";
  const json& config = object_at(request, "WarmStartConfig", at);
  require_known_keys(config, where, {"ParentHyperParameterTuningJobs", "WarmStartType"});
  WarmStart out;
  // The API's enum values; its prose spells them in capitals, so both are taken.
  std::string type =
      one_of(config, "WarmStartType", where,
             {"IdenticalDataAndAlgorithm", "TransferLearning", "IDENTICAL_DATA_AND_ALGORITHM", "TRANSFER_LEARNING"});
  out.type = type == "TransferLearning" || type == "TRANSFER_LEARNING" ? WarmStartType::kTransferLearning
                                                                       : WarmStartType::kIdenticalDataAndAlgorithm;
  const json& parents = required(config, "ParentHyperParameterTuningJobs", where);
  if (!parents.is_array() || parents.empty() || parents.size() > kMaxParents) {
    throw InputError(where + ".ParentHyperParameterTuningJobs", shown(parents), "must list 1 to 5 parent tuning jobs");
  }
  for (std::size_t i = 0; i < parents.size(); ++i) {
    std::string item = where + ".ParentHyperParameterTuningJobs[" + std::to_string(i) + "]";
    if (!parents[i].is_object())
      throw InputError(item, shown(parents[i]), "must be an object {HyperParameterTuningJobName}");
    require_known_keys(parents[i], item, {"HyperParameterTuningJobName"});
    const json& name = required(parents[i], "HyperParameterTuningJobName", item);
    if (!name.is_string() || name.get<std::string>().empty()) {
      throw InputError(item + ".HyperParameterTuningJobName", shown(name), "must be a non-empty string");
    }
    out.parents.push_back(name.get<std::string>());
  }
  return out;
}

HyperparameterSpec tuning_config(const json& config, const std::string& at) {
  if (!config.is_object()) throw InputError(at, shown(config), "must be an object (a HyperParameterTuningJobConfig)");
  require_known_keys(config, at,
                     {"Strategy", "StrategyConfig", "HyperParameterTuningJobObjective", "ResourceLimits",
                      "ParameterRanges", "TrainingJobEarlyStoppingType", "TuningJobCompletionCriteria", "RandomSeed"});
  HyperparameterSpec spec;
  std::string strategy = one_of(config, "Strategy", at, {"Bayesian", "Random", "Grid", "Hyperband"});
  if (strategy == "Hyperband") {
    throw InputError(at + ".Strategy", strategy,
                     "is not offered: use Bayesian or Random with TrainingJobEarlyStoppingType Auto");
  }
  spec.algorithm = strategy == "Grid"     ? Algorithm::kGridSearch
                   : strategy == "Random" ? Algorithm::kRandomSearch
                                          : Algorithm::kBayesian;
  if (config.contains("StrategyConfig"))
    throw InputError(at + ".StrategyConfig", shown(config["StrategyConfig"]), "is for Hyperband, which is not offered");
  if (config.contains("TuningJobCompletionCriteria")) {
    throw InputError(at + ".TuningJobCompletionCriteria", shown(config["TuningJobCompletionCriteria"]),
                     "is not offered: a study runs MaxNumberOfTrainingJobs trials");
  }
  std::string objective_at = at + ".HyperParameterTuningJobObjective";
  const json& objective = object_at(config, "HyperParameterTuningJobObjective", at);
  require_known_keys(objective, objective_at, {"Type", "MetricName"});
  spec.goal = one_of(objective, "Type", objective_at, {"Maximize", "Minimize"}) == "Maximize" ? Goal::kMaximize
                                                                                              : Goal::kMinimize;
  const json& metric = required(objective, "MetricName", objective_at);
  if (!metric.is_string() || metric.get<std::string>().empty())
    throw InputError(objective_at + ".MetricName", shown(metric), "must be a non-empty string");
  spec.metric_tag = metric.get<std::string>();
  spec.params = parameter_ranges(config, at);
  std::string limits_at = at + ".ResourceLimits";
  const json& limits = object_at(config, "ResourceLimits", at);
  require_known_keys(limits, limits_at, {"MaxNumberOfTrainingJobs", "MaxParallelTrainingJobs", "MaxRuntimeInSeconds"});
  if (limits.contains("MaxRuntimeInSeconds")) {
    throw InputError(limits_at + ".MaxRuntimeInSeconds", shown(limits["MaxRuntimeInSeconds"]),
                     "is not offered: limit each trial's time in the training job instead");
  }
  spec.max_parallel_trials = count_at_least_one(limits, "MaxParallelTrainingJobs", limits_at);
  if (spec.algorithm == Algorithm::kGridSearch) {
    for (std::size_t i = 0; i < spec.params.size(); ++i) {
      if (spec.params[i].type != ParameterType::kCategorical) {
        throw InputError(at + ".Strategy", strategy,
                         "Grid takes categorical ranges only (hyperparameter '" + spec.params[i].name + "')");
      }
    }
  }
  // Grid may leave the count out: every combination once.
  bool grid_without_count = spec.algorithm == Algorithm::kGridSearch && !limits.contains("MaxNumberOfTrainingJobs");
  spec.max_trials = grid_without_count ? 1'000'000 : count_at_least_one(limits, "MaxNumberOfTrainingJobs", limits_at);
  spec.enable_trial_early_stopping =
      one_of(config, "TrainingJobEarlyStoppingType", at, {"Off", "Auto"}, "Off") == "Auto";
  if (config.contains("RandomSeed")) {
    const json& seed = config["RandomSeed"];
    if (!seed.is_number_integer() || seed.get<long long>() < 0)
      throw InputError(at + ".RandomSeed", shown(seed), "must be a whole number of at least 0");
    spec.random_seed = seed.get<std::uint64_t>();
  }
  return spec;
}

// SageMaker's limits: StoppingCondition's MaxRuntimeInSeconds up to 28 days, and
// MaxPendingTimeInSeconds from 2 hours to 28 days; at most 100 static hyperparameters.
constexpr long long kMaxStoppingSeconds = 28LL * 24 * 3600, kMinPendingSeconds = 2LL * 3600;
constexpr std::size_t kMaxStaticHyperparameters = 100, kMaxHyperparameterValue = 2500;

std::optional<long long> seconds(const json& condition, const std::string& key, const std::string& at,
                                 long long minimum) {
  if (!given(condition, key)) return std::nullopt;
  const json& value = condition[key];
  if (!value.is_number_integer() || value.get<long long>() < minimum || value.get<long long>() > kMaxStoppingSeconds) {
    throw InputError(at + "." + key, shown(value),
                     "must be a whole number of seconds from " + std::to_string(minimum) + " to 2419200 (28 days)");
  }
  return value.get<long long>();
}

std::map<std::string, std::string> static_hyperparameters(const json& value, const std::string& at,
                                                          const std::vector<ParameterSpec>& tuned) {
  if (!value.is_object() || value.size() > kMaxStaticHyperparameters) {
    throw InputError(at, shown(value), "must be a map of at most 100 names to string values");
  }
  std::map<std::string, std::string> out;
  for (const auto& [name, item] : value.items()) {
    // Each one becomes the trial's argument --NAME=VALUE, so a name must survive that form.
    if (name.empty() || name.size() > 256 || name.find_first_of("= \t\n") != std::string::npos ||
        name.rfind("-", 0) == 0) {
      throw InputError(
          at + "." + name, shown(item),
          "the name must be 1 to 256 characters without '=', blanks or a leading '-' (it is passed as --NAME=VALUE)");
    }
    if (!item.is_string() || item.get<std::string>().size() > kMaxHyperparameterValue) {
      throw InputError(at + "." + name, shown(item),
                       "must be a string of at most 2500 characters (SageMaker's hyperparameters are strings)");
    }
    for (const auto& param : tuned) {
      if (param.name == name)
        throw InputError(at + "." + name, item.get<std::string>(),
                         "is also a tuned range: a hyperparameter is either static or tuned");
    }
    out[name] = item.get<std::string>();
  }
  return out;
}

json metric_definitions(const json& algorithm, const std::string& at, const std::string& objective_metric,
                        const std::string& objective_at) {
  if (!given(algorithm, "MetricDefinitions")) return json::array();
  const json& definitions = algorithm["MetricDefinitions"];
  std::string where = at + ".MetricDefinitions";
  // The same checks as a job's own MetricDefinitions: shape, SageMaker's limits, and every regex compiled.
  metrics::parse_metric_definitions(nlohmann::ordered_json::parse(definitions.dump()), where, nullptr);
  std::string names;
  for (const auto& definition : definitions) {
    if (definition["Name"] == objective_metric) return definitions;
    names += (names.empty() ? "" : ", ") + definition["Name"].get<std::string>();
  }
  // SageMaker's rule for an algorithm that declares its metrics: the objective must be one of them.
  throw InputError(objective_at, objective_metric,
                   "must be one of the TrainingJobDefinition's MetricDefinitions (" + names + ")");
}

// Variables mljob, its plugin and Slurm set in every trial, and those sbatch and srun read as
// their options: an Environment that changed them would take a trial's role, hyperparameters,
// metric file or Slurm allocation from it.
bool reserved_variable(const std::string& name) {
  for (const char* prefix : {"SLURM_", "SBATCH_", "SALLOC_", "SRUN_", "SPANK_", "MLJOB_", "SM_", "CLOUD_ML_"}) {
    if (name.rfind(prefix, 0) == 0) return true;
  }
  for (const char* set : {"TF_CONFIG", "CLUSTER_SPEC", "RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE",
                          "MASTER_ADDR", "MASTER_PORT"}) {
    if (name == set) return true;
  }
  return false;
}

// Variables bash keeps for itself. The trial's batch script (and a job array's, which
// `export`s each trial's Environment) runs in bash: exporting a read-only one (UID, EUID, PPID,
// SHELLOPTS, BASHOPTS, BASH_VERSINFO) fails, and the trial with it; bash sets the others
// itself (RANDOM, SECONDS, PWD, ...) or reads them to change how the script runs (BASH_ENV,
// IFS, ...), so the trainer would not get the value given.
bool bash_variable(const std::string& name) {
  static const std::set<std::string> kBashNames = {
      "BASH",     "BASHOPTS",       "BASHPID", "SHELLOPTS", "UID",          "EUID",          "PPID",     "GROUPS",
      "RANDOM",   "SRANDOM",        "SECONDS", "LINENO",    "EPOCHSECONDS", "EPOCHREALTIME", "FUNCNAME", "HISTCMD",
      "DIRSTACK", "PIPESTATUS",     "OPTIND",  "OPTERR",    "SHLVL",        "PWD",           "OLDPWD",   "IFS",
      "PS4",      "COMP_WORDBREAKS"};
  return name.rfind("BASH_", 0) == 0 || kBashNames.contains(name);
}

// SageMaker's Environment: up to 100 variables, names [A-Za-z_][A-Za-z0-9_]* of at most 512
// characters, values of at most 512.
std::map<std::string, std::string> environment(const json& value, const std::string& at) {
  if (!value.is_object() || value.size() > 100)
    throw InputError(at, shown(value), "must be a map of at most 100 variable names to string values");
  std::map<std::string, std::string> out;
  for (const auto& [name, item] : value.items()) {
    bool identifier = !name.empty() && name.size() <= 512 && !std::isdigit(static_cast<unsigned char>(name[0])) &&
                      std::all_of(name.begin(), name.end(),
                                  [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
    if (!identifier)
      throw InputError(at + "." + name, shown(item),
                       "the name must match [A-Za-z_][A-Za-z0-9_]* (at most 512 characters)");
    if (reserved_variable(name)) {
      throw InputError(at + "." + name, shown(item),
                       "is set for every trial by mljob, its plugin or Slurm, and cannot be replaced");
    }
    if (bash_variable(name)) {
      throw InputError(
          at + "." + name, shown(item),
          "is a variable bash keeps for itself (read-only, or set or read by bash, which runs each trial's "
          "batch script), so it cannot be given to the trainer");
    }
    if (!item.is_string() || item.get<std::string>().size() > 512)
      throw InputError(at + "." + name, shown(item), "must be a string of at most 512 characters");
    if (item.get<std::string>().find('\0') != std::string::npos) {
      throw InputError(at + "." + name, "(a value with a NUL byte)",
                       "must not contain a NUL byte (a variable's value ends at it)");
    }
    out[name] = item.get<std::string>();
  }
  return out;
}

// ResourceConfig's InstanceType and InstanceCount; the volume, warm-pool and reservation
// settings have no meaning on a cluster and are accepted and not read.
void resources(const json& definition, const std::string& at, TrialDefinition& out) {
  std::string where = at + ".ResourceConfig";
  const json& config = object_at(definition, "ResourceConfig", at);
  require_known_keys(config, where,
                     {"InstanceType", "InstanceCount", "VolumeSizeInGB", "VolumeKmsKeyId", "KeepAlivePeriodInSeconds",
                      "InstanceGroups", "TrainingPlanArn", "InstancePlacementConfig"});
  if (config.contains("InstanceGroups")) {
    throw InputError(where + ".InstanceGroups", shown(config["InstanceGroups"]),
                     "heterogeneous clusters are not offered: give InstanceType and InstanceCount");
  }
  const json& type = required(config, "InstanceType", where);
  if (!type.is_string() || type.get<std::string>().empty())
    throw InputError(where + ".InstanceType", shown(type), "must be a non-empty string");
  out.instance_type = type.get<std::string>();
  if (config.contains("InstanceCount")) out.instance_count = count_at_least_one(config, "InstanceCount", where);
}

// The parts of a TrainingJobDefinition a trial on Slurm can honour (TrialDefinition). What names
// AWS resources (images, S3 channels, roles, VPCs) is accepted and not read: a trial runs the
// job spec's trainer.
TrialDefinition trial_definition(const json& request, const std::string& at, const HyperparameterSpec& spec) {
  std::string where = at + ".TrainingJobDefinition";
  const json& definition = object_at(request, "TrainingJobDefinition", at);
  require_known_keys(definition, where,
                     {"DefinitionName", "TuningObjective", "HyperParameterRanges", "StaticHyperParameters",
                      "AlgorithmSpecification", "RoleArn", "InputDataConfig", "VpcConfig", "OutputDataConfig",
                      "ResourceConfig", "HyperParameterTuningResourceConfig", "StoppingCondition",
                      "EnableNetworkIsolation", "EnableInterContainerTrafficEncryption", "EnableManagedSpotTraining",
                      "CheckpointConfig", "RetryStrategy", "Environment"});
  for (const char* key : {"TuningObjective", "HyperParameterRanges"}) {
    if (definition.contains(key)) {
      throw InputError(where + "." + key, shown(definition[key]),
                       "is for several TrainingJobDefinitions, which are not offered: give them in the "
                       "HyperParameterTuningJobConfig");
    }
  }
  TrialDefinition out;
  if (given(definition, "StaticHyperParameters")) {
    out.static_hyperparameters =
        static_hyperparameters(definition["StaticHyperParameters"], where + ".StaticHyperParameters", spec.params);
  }
  if (definition.contains("HyperParameterTuningResourceConfig")) {
    throw InputError(where + ".HyperParameterTuningResourceConfig",
                     shown(definition["HyperParameterTuningResourceConfig"]),
                     "is not offered: give the trials' machines in ResourceConfig");
  }
  if (given(definition, "ResourceConfig")) resources(definition, where, out);
  if (given(definition, "Environment")) {
    out.environment = environment(definition["Environment"], where + ".Environment");
  }
  if (given(definition, "AlgorithmSpecification")) {
    const json& algorithm = object_at(definition, "AlgorithmSpecification", where);
    std::string algorithm_at = where + ".AlgorithmSpecification";
    require_known_keys(algorithm, algorithm_at,
                       {"TrainingImage", "TrainingInputMode", "AlgorithmName", "MetricDefinitions",
                        "EnableSageMakerMetricsTimeSeries"});
    out.metric_definitions =
        metric_definitions(algorithm, algorithm_at, spec.metric_tag,
                           at + ".HyperParameterTuningJobConfig.HyperParameterTuningJobObjective.MetricName");
  }
  if (given(definition, "StoppingCondition")) {
    const json& condition = object_at(definition, "StoppingCondition", where);
    std::string condition_at = where + ".StoppingCondition";
    require_known_keys(condition, condition_at,
                       {"MaxRuntimeInSeconds", "MaxWaitTimeInSeconds", "MaxPendingTimeInSeconds"});
    out.max_runtime_seconds = seconds(condition, "MaxRuntimeInSeconds", condition_at, 1);
    out.max_pending_seconds = seconds(condition, "MaxPendingTimeInSeconds", condition_at, kMinPendingSeconds);
    // MaxWaitTimeInSeconds bounds managed Spot training (waiting for spare capacity plus running);
    // a Slurm job has no such capacity to wait for, so it is accepted and not read.
  }
  return out;
}

}  // namespace

bool is_sagemaker_tuning(const json& value) {
  return value.is_object() && (value.contains("HyperParameterTuningJobConfig") || value.contains("ParameterRanges"));
}

HyperparameterSpec parse_sagemaker_tuning(const json& value, const std::string& at) {
  if (!value.contains("HyperParameterTuningJobConfig")) return tuning_config(value, at);
  require_known_keys(value, at,
                     {"HyperParameterTuningJobName", "HyperParameterTuningJobConfig", "TrainingJobDefinition",
                      "TrainingJobDefinitions", "WarmStartConfig", "Tags", "Autotune"});
  if (value.contains("TrainingJobDefinitions")) {
    throw InputError(at + ".TrainingJobDefinitions", shown(value["TrainingJobDefinitions"]),
                     "several training definitions in one tuning job are not offered: give one TrainingJobDefinition");
  }
  if (value.contains("Autotune"))
    throw InputError(at + ".Autotune", shown(value["Autotune"]), "is not offered: give the tuning job config");
  HyperparameterSpec spec =
      tuning_config(value["HyperParameterTuningJobConfig"], at + ".HyperParameterTuningJobConfig");
  if (value.contains("WarmStartConfig")) spec.warm_start = warm_start(value, at);
  if (value.contains("TrainingJobDefinition")) spec.trial_definition = trial_definition(value, at, spec);
  return spec;
}

}  // namespace mljob::tuner
