// The Job resource as AI Platform Training's projects.jobs API defines it, reduced to what
// mljob reads; fields mljob does not act on yet are kept verbatim in `extra` so that
// describe can give back what the user sent.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/prediction_input.h"

namespace mljob {

struct AcceleratorConfig {
  std::int64_t count = 0;
  std::string type;
};

struct ReplicaConfig {
  std::optional<AcceleratorConfig> accelerator_config;
  std::string image_uri;
};

// AI Platform's Scheduling. maxRunningTime becomes the Slurm time limit, maxWaitTime a Slurm
// deadline (see planner.h); priority is validated and kept but not acted on (Slurm's priority
// is the site's policy, not the user's to raise).
struct Scheduling {
  std::string max_running_time;  // as given, e.g. "7200s"
  std::string max_wait_time;
  std::optional<std::int64_t> priority;
  std::optional<std::int64_t> max_running_seconds;  // parsed from the texts above
  std::optional<std::int64_t> max_wait_seconds;
};

struct TrainingInput {
  std::string scale_tier;
  std::string master_type;
  ReplicaConfig master_config;
  std::string worker_type;
  ReplicaConfig worker_config;
  std::int64_t worker_count = 0;
  std::string parameter_server_type;
  ReplicaConfig parameter_server_config;
  std::int64_t parameter_server_count = 0;
  std::vector<std::string> package_uris;
  std::string python_module;
  std::vector<std::string> args;
  std::string region;
  std::string job_dir;
  std::string runtime_version;
  std::string python_version;
  bool use_chief_in_tf_config = false;
  Scheduling scheduling;
  nlohmann::json hyperparameters;                   // HyperparameterSpec, as given (the tuner reads it)
  nlohmann::json extra = nlohmann::json::object();  // other known fields, verbatim
};

// What a job from SageMaker's or FfDL's front door runs, in place of AI Platform's
// `python -m pythonModule ARGS --job-dir DIR` (core/sagemaker_training.h, core/ffdl_manifest.h).
// Made by mljob from a checked request: user text reaches the shell lines only through
// shell_quote, and the rest only as argv words and environment values.
struct Launch {
  std::string api;                   // "sagemaker" or "ffdl": the front door, for describe and list
  nlohmann::ordered_json request;    // the request or manifest as the user wrote it
  std::vector<std::string> command;  // every replica's program (argv)
  std::string working_dir;           // where it starts; "" = the job's folder
  std::vector<std::pair<std::string, std::string>> environment;  // exported before the step, in order
  std::vector<std::string> before_step;                          // shell lines run before the training step
  std::vector<std::string> after_step;                           // shell lines run after it, whatever its exit status
  int term_seconds_before_end = 0;               // > 0: the replicas get SIGTERM that long before the limit
  std::vector<std::string> on_warning;           // shell lines run when that time comes (before the SIGTERM)
  bool one_task_per_node = false;                // each replica is a host of its own (SageMaker's instances)
  std::optional<std::int64_t> deadline_seconds;  // sbatch --deadline=now+N, as the front door says
};

struct Job {
  std::string job_id;
  std::map<std::string, std::string> labels;
  TrainingInput training_input;
  // How the job declares its metrics besides hyperparameterMetricTag, as given: FfDL's
  // `evaluation_metrics` and SageMaker's `MetricDefinitions` (checked by metrics/). Keys keep
  // the spec's order (FfDL's groups are tried in the order they are written).
  nlohmann::ordered_json metric_declarations = nlohmann::ordered_json::object();
  // Set by the SageMaker and FfDL front doors; AI Platform jobs run pythonModule.
  std::optional<Launch> launch;
  // A batch prediction job (the API's union: a Job has a trainingInput or a predictionInput).
  std::optional<PredictionInput> prediction_input;
};

// The Job as API JSON (camelCase), without the output-only fields: predictionInput for a
// prediction job, else trainingInput.
nlohmann::json to_json(const Job& job);
nlohmann::json to_json(const TrainingInput& input);

}  // namespace mljob
