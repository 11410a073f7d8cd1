// AI Platform's HyperparameterSpec: the model of a tuning study, read from the raw JSON that the
// job spec parser keeps (TrainingInput::hyperparameters) and checked against every rule of the
// API, so a bad study is refused at submit with an InputError naming field, value and rule.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mljob::tuner {

enum class Goal { kMaximize, kMinimize };
enum class ParameterType { kDouble, kInteger, kCategorical, kDiscrete };
enum class ScaleType { kLinear, kLog, kReverseLog };
enum class Algorithm { kBayesian, kGridSearch, kRandomSearch };

struct ParameterSpec {
  std::string name;
  ParameterType type = ParameterType::kDouble;
  double min_value = 0;  // DOUBLE and INTEGER
  double max_value = 0;
  std::vector<std::string> categorical_values;  // CATEGORICAL
  std::vector<double> discrete_values;          // DISCRETE, strictly increasing
  ScaleType scale = ScaleType::kLinear;
};

// SageMaker's warm start: the parent tuning jobs whose trials seed a study.
enum class WarmStartType { kIdenticalDataAndAlgorithm, kTransferLearning };
struct WarmStart {
  std::vector<std::string> parents;  // their names: the user's earlier studies' job IDs
  WarmStartType type = WarmStartType::kIdenticalDataAndAlgorithm;
};

// What SageMaker's TrainingJobDefinition says about every trial that a Slurm job can honour
// (tuner/sagemaker_tuning.h); the rest of it (images, S3 channels, IAM roles, VPCs) has no
// meaning on a cluster. Applied to each trial's job by trial_job_spec (tuner/trial_spec.h).
struct TrialDefinition {
  std::map<std::string, std::string> static_hyperparameters;    // passed to every trial
  nlohmann::json metric_definitions = nlohmann::json::array();  // [{Name, Regex}] over every trial's log
  std::optional<long long> max_runtime_seconds;                 // StoppingCondition.MaxRuntimeInSeconds
  std::optional<long long> max_pending_seconds;                 // StoppingCondition.MaxPendingTimeInSeconds
  std::map<std::string, std::string> environment;               // Environment: variables every trial's job gets
  // ResourceConfig: InstanceCount machines of InstanceType (a machine type of the tier catalog).
  std::string instance_type;  // empty: the job spec's scale tier decides the machines
  int instance_count = 1;
};

struct HyperparameterSpec {
  Goal goal = Goal::kMaximize;
  std::vector<ParameterSpec> params;
  int max_trials = 1;
  int max_parallel_trials = 1;
  std::optional<int> max_failed_trials;
  std::string metric_tag = "training/hptuning/metric";
  std::string resume_previous_job_id;
  bool enable_trial_early_stopping = false;
  Algorithm algorithm = Algorithm::kBayesian;
  // From SageMaker's form only (tuner/sagemaker_tuning.h). Used when the study is created and
  // not kept in its state: by then the parents' trials are the study's first trials.
  std::optional<WarmStart> warm_start;
  std::optional<std::uint64_t> random_seed;
  std::optional<TrialDefinition> trial_definition;  // SageMaker's form only; read again from the job each time
};

inline constexpr std::size_t kMaxDiscreteValues = 1000;

// Reads and validates `value` (the `hyperparameters` object); `at` is its dotted path for
// messages, e.g. "trainingInput.hyperparameters". Throws InputError on the first violated rule.
// SageMaker's tuning job (or its HyperParameterTuningJobConfig) is read too, in its own terms
// (tuner/sagemaker_tuning.h).
HyperparameterSpec parse_hyperparameter_spec(const nlohmann::json& value,
                                             const std::string& at = "trainingInput.hyperparameters");

// The spec back in the API's JSON form (defaults filled in).
nlohmann::json to_json(const HyperparameterSpec& spec);

std::string to_string(ParameterType type);
std::string to_string(ScaleType scale);
std::string to_string(Algorithm algorithm);
std::string to_string(Goal goal);

}  // namespace mljob::tuner
