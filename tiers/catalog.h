// The tier catalog: the site admin's mapping from cloud vocabulary (scale tiers, machine types,
// accelerator types, runtime versions) onto Slurm resources. Pure data plus lookups; loading
// lives in catalog_loader.h so that tests can build catalogs in code.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mljob::tiers {

struct AcceleratorRequest {
  std::string type;  // cloud name, e.g. NVIDIA_TESLA_T4
  int count = 0;
  bool operator==(const AcceleratorRequest&) const = default;
};

// What one replica of a machine type gets from Slurm.
struct MachineType {
  std::string name;
  int cpus = 1;
  std::int64_t memory_mb = 0;
  std::optional<AcceleratorRequest> accelerator;  // GPUs that come with the machine type
  std::string partition;                          // empty: the cluster's default partition
  std::string constraint;
  std::string qos;
  std::string account;
  std::string default_time;  // Slurm time syntax, e.g. "1-00:00:00"; empty: partition default
  std::string max_time;
  bool legacy = false;  // AI Platform's legacy names (standard, complex_model_m, ...)
  bool operator==(const MachineType&) const = default;
};

struct AcceleratorType {
  std::string name;       // cloud name
  std::string gres_type;  // Slurm GRES type of gpu, e.g. "t4"
  bool operator==(const AcceleratorType&) const = default;
};

struct ReplicaShape {
  std::string machine_type;
  int count = 0;
  std::optional<AcceleratorRequest> accelerator;  // overrides the machine type's
  bool operator==(const ReplicaShape&) const = default;
};

struct ScaleTier {
  std::string name;
  ReplicaShape master;
  ReplicaShape worker;
  ReplicaShape parameter_server;
  bool operator==(const ScaleTier&) const = default;
};

// How a runtimeVersion / pythonVersion pair is run at this site.
struct RuntimeEnvironment {
  std::string key;  // "default", "2.11", "2.11/3.7", ...
  std::string python = "python3";
  std::string setup;    // shell line run before the trainer, written by the admin
  std::string refusal;  // non-empty: this runtime is refused with this reason
  // The predictor that serves a batch prediction job's `uri` model with this runtimeVersion:
  // "sklearn" (joblib) or "torchscript"; empty: the runtime names none (such jobs are refused).
  std::string predictor;
  bool operator==(const RuntimeEnvironment&) const = default;
};

// What a SageMaker TrainingImage or AlgorithmName runs here (the catalog's `images:`). Running
// the OCI image itself is a later step: the key `container:` is kept for it and refused today.
struct Image {
  std::string key;                   // an image URI or algorithm name; a trailing '*' matches any rest
  std::vector<std::string> command;  // the program, as argv; empty with script_mode
  // SageMaker's script mode (the SageMaker Python SDK's framework images): the entry point
  // named by the sagemaker_program hyperparameter, from sagemaker_submit_directory, run by the
  // runtime's python with the other hyperparameters as --key value arguments.
  bool script_mode = false;
  std::string runtime = "default";  // the runtimes: entry whose setup line (and python) it uses
  bool operator==(const Image&) const = default;
};

class TierCatalog {
 public:
  std::string source;  // the file(s) it was read from, for messages

  std::map<std::string, MachineType> machine_types;
  std::map<std::string, AcceleratorType> accelerator_types;
  std::map<std::string, ScaleTier> scale_tiers;
  std::map<std::string, RuntimeEnvironment> runtimes;
  // logs.maxBytesPerJob: the cap on a job's stored log (0: none). Past it, mljob-collect frees
  // the oldest lines of output.log and `mljob logs` starts at the oldest line kept.
  std::uint64_t max_log_bytes_per_job = 0;
  std::map<std::string, Image> images;
  // storage: object-store prefixes ("s3://lab-data/") and the folders of the cluster's file
  // systems that hold the same objects ("/lustre/lab-data/"). Both end in '/'.
  std::map<std::string, std::string> storage;
  // prediction: how a batch prediction job's workers run. machineType: each worker's (empty:
  // BASIC's master's); modelRegistry: the site's model registry file (tiers/model_registry.h),
  // absolute; empty: the site has none, and modelName / versionName are refused.
  std::string prediction_machine_type;
  std::string model_registry;

  // Every field, so that a test can tell whether a copy (the cache's) lost anything.
  bool operator==(const TierCatalog&) const = default;

  // Lookups return nullptr when the site does not offer the name.
  const MachineType* machine_type(const std::string& name) const;
  const AcceleratorType* accelerator_type(const std::string& name) const;
  const ScaleTier* scale_tier(const std::string& name) const;
  // Most specific first: "RUNTIME/PYTHON", then "RUNTIME", then "default".
  const RuntimeEnvironment* runtime(const std::string& runtime_version, const std::string& python_version) const;

  // The image an image URI or algorithm name runs: an exact key first, then the longest key
  // ending in '*' whose text before the '*' starts `name`.
  const Image* image(const std::string& name) const;
  // The folder an object-store URI is at here, by the longest storage prefix that starts it
  // (a URI equal to a prefix without its '/' is that folder too); nullopt when none does.
  std::optional<std::string> local_path(const std::string& uri) const;

  std::vector<std::string> scale_tier_names() const;
  std::vector<std::string> machine_type_names() const;
  std::vector<std::string> accelerator_type_names() const;
};

}  // namespace mljob::tiers
