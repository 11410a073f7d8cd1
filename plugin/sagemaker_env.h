// The SageMaker training environment, as Amazon's SageMaker Training Toolkit defines it
// (sagemaker-training-toolkit, ENVIRONMENT_VARIABLES.md and environment.py), for training
// code written for SageMaker:
//
//   SM_HOSTS            JSON list of the step's hosts, sorted lexicographically
//   SM_CURRENT_HOST     this task's host
//   SM_NUM_GPUS         GPUs visible to the task (entries of CUDA_VISIBLE_DEVICES)
//   SM_NUM_CPUS         SLURM_CPUS_PER_TASK, else the CPUs the task may run on
//   SM_MODEL_DIR        JOB_DIR/model       (JOB_DIR: $MLJOB_JOB_DIR, else the task's
//   SM_OUTPUT_DATA_DIR  JOB_DIR/output       working directory)
//   SM_CHANNEL_<NAME>   the value of MLJOB_CHANNEL_<NAME>, for every such variable
//   SM_CHANNELS         JSON list of the channel names
//   SM_HPS              the JSON object in MLJOB_HPS ({} and a warning if it is not one)
//   SM_RESOURCE_CONFIG  {"current_host": ..., "hosts": [...]}
//   SM_TRAINING_ENV     all of the above in one JSON object (keys below)
//
// Host names are Slurm's node names, not SageMaker's "algo-1", "algo-2", ...: they are what
// resolves on the cluster and what TF_CONFIG and MASTER_ADDR name.
//
// Nothing here creates, opens or checks a directory: the plugin runs as root in
// slurmstepd, and only sets the variables. The training code creates what it writes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "env_lookup.h"

namespace mljob::plugin {

// Bounds on what the job's environment may ask for.
inline constexpr std::size_t kMaxHyperparametersText = 64 * 1024;  // MLJOB_HPS
inline constexpr unsigned kMaxHyperparametersDepth = 64;           // nesting of MLJOB_HPS
inline constexpr std::size_t kMaxChannels = 256;
inline constexpr std::size_t kMaxChannelNameLength = 64;  // SageMaker's limit

inline constexpr std::string_view kChannelVariablePrefix = "MLJOB_CHANNEL_";

// MLJOB_HPS read as SageMaker's hyperparameters: a JSON object, kept as written (key order
// included). Anything else (not JSON, not an object, longer than kMaxHyperparametersText,
// nested deeper than kMaxHyperparametersDepth) gives an empty object and a warning that
// says why. Unset gives an empty object and no warning. Never throws.
struct Hyperparameters {
  nlohmann::ordered_json values = nlohmann::ordered_json::object();
  std::optional<std::string> warning;
};
Hyperparameters parse_hyperparameters(std::optional<std::string_view> text);

// One input channel: MLJOB_CHANNEL_Training=/data/train gives the channel "training"
// (SM_CHANNELS, channel_input_dirs) and SM_CHANNEL_TRAINING=/data/train. The toolkit
// makes SM_CHANNEL_<NAME> from the upper-cased channel name; channel names are SageMaker's
// (letters, digits, '.', '-', '_', at most 64 characters).
struct Channel {
  std::string name;      // lower case
  std::string variable;  // SM_CHANNEL_<NAME in upper case>
  std::string path;      // the value, verbatim
  bool operator==(const Channel&) const = default;
};

// The MLJOB_CHANNEL_* entries of a job's environment ("NAME=VALUE" strings, other entries
// ignored), sorted by channel name. Entries with an invalid name, an empty value, or a name
// that another entry already took (names differ only in case) are left out with a warning
// each; so are entries past kMaxChannels. Never throws.
struct Channels {
  std::vector<Channel> channels;
  std::vector<std::string> warnings;
};
Channels channels_from_environment(std::span<const std::string_view> entries);

// The number of GPUs CUDA_VISIBLE_DEVICES makes visible: its comma-separated non-empty
// entries (indices or UUIDs). Unset, empty or "NoDevFiles" (Slurm's value for GRES without
// device files) count as 0.
unsigned count_visible_gpus(std::optional<std::string_view> cuda_visible_devices);

// SM_NUM_CPUS: SLURM_CPUS_PER_TASK when it is a whole number >= 1; else the number of CPUs
// in the task's affinity mask (0 = unknown); else 1. A malformed SLURM_CPUS_PER_TASK, or
// no count at all, comes with a warning.
struct CpuCount {
  unsigned count;
  std::optional<std::string> warning;
};
CpuCount cpus_of_task(std::optional<std::string_view> cpus_per_task, unsigned affinity_cpus);

// Everything that is the same for every task of the step: computed once per step and node.
struct SageMakerJob {
  std::vector<std::string> hosts;      // sorted lexicographically, each once
  std::string master_host;             // SM_TRAINING_ENV's master_hostname
  std::string job_name;                // SLURM_JOB_NAME, else the job id
  std::optional<std::string> job_dir;  // MLJOB_JOB_DIR, trailing '/' removed
  std::vector<Channel> channels;
  nlohmann::ordered_json hyperparameters;
  std::string hosts_text;             // SM_HOSTS
  std::string hyperparameters_text;   // SM_HPS
  std::vector<std::string> warnings;  // for the user, said once per step
};

// `step_hosts`: the step's nodes (any order, repeats allowed); `master_host`: the node of
// the coordinating task (empty: the first host, as SageMaker's toolkit does);
// `environment`: the job's environment (MLJOB_HPS, MLJOB_JOB_DIR, SLURM_JOB_NAME);
// `entries`: the same environment as "NAME=VALUE" strings, for MLJOB_CHANNEL_*.
// Throws std::invalid_argument when the step has no host, or when SM_TRAINING_ENV could not
// fit in one environment string (kMaxEnvironmentString).
SageMakerJob make_sagemaker_job(std::span<const std::string> step_hosts, std::string master_host, std::uint32_t job_id,
                                const EnvLookup& environment, std::span<const std::string_view> entries);

// What one task knows about itself.
struct SageMakerTask {
  std::string current_host;
  unsigned num_gpus = 0;
  unsigned num_cpus = 1;
  // The task's working directory: needed only when the job has no absolute MLJOB_JOB_DIR.
  std::optional<std::string> working_directory;
};

// True when make_sagemaker_variables needs the task's working directory.
bool needs_working_directory(const SageMakerJob& job);

// SM_MODEL_DIR and SM_OUTPUT_DATA_DIR's parent: MLJOB_JOB_DIR if absolute, else MLJOB_JOB_DIR
// (or nothing) under the working directory. Throws std::invalid_argument when the working
// directory is needed but not known.
std::string job_directory(const SageMakerJob& job, const SageMakerTask& task);

// The SM_* variables of one task, in a fixed order. Throws std::invalid_argument when
// SM_TRAINING_ENV would not fit in one environment string.
std::vector<std::pair<std::string, std::string>> sagemaker_variables(const SageMakerJob& job,
                                                                     const SageMakerTask& task);

}  // namespace mljob::plugin
