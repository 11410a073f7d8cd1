// SageMaker's CreateTrainingJob request, as boto3 sends it, read into mljob's one job model: a
// Job (AI Platform's resource, which describe and the store keep) with a Launch that says what
// runs, plus what the job's folder must hold before it starts (SageMakerTraining). Pure: the
// catalog maps images and object-store URIs to what the cluster has; nothing is read from disk
// here (jobs/sagemaker_staging.h lays the folders out).
//
// Every field is acted on, accepted as having no effect here (said on stderr at submit, as
// ignored_fields does for AI Platform), or refused: an InputError names the field as a dotted
// path (InputDataConfig[1].DataSource.S3DataSource.S3Uri), the value and the rule. docs/sagemaker.md
// has the whole table.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/ignored_field.h"
#include "core/job.h"
#include "tiers/catalog.h"

namespace mljob {

// SageMaker's own bounds, as its API reference states them.
inline constexpr std::size_t kMaxSageMakerHyperParameters = 100;
inline constexpr std::size_t kMaxHyperParameterKeyLength = 256;
inline constexpr std::size_t kMaxHyperParameterValueLength = 2500;
inline constexpr std::size_t kMaxSageMakerChannels = 20;
inline constexpr std::size_t kMaxSageMakerTags = 50;
inline constexpr std::size_t kMaxSageMakerEnvironment = 100;
inline constexpr std::int64_t kMaxSageMakerRuntimeSeconds = 28 * 24 * 3600;
inline constexpr std::int64_t kDefaultSageMakerRuntimeSeconds = 24 * 3600;
// SageMaker's SIGTERM comes this long before a job's MaxRuntimeInSeconds ends it.
inline constexpr int kSageMakerStopWarningSeconds = 120;

// One InputDataConfig channel, with its object-store URI mapped to the cluster's file systems.
struct SageMakerChannel {
  std::string name;                    // ChannelName, as given
  std::string field;                   // "InputDataConfig[i]", for messages
  std::string uri;                     // S3Uri
  std::string local_path;              // where the catalog's storage section puts it
  bool manifest = false;               // S3DataType ManifestFile (else S3Prefix)
  bool sharded = false;                // ShardedByS3Key (else FullyReplicated)
  nlohmann::ordered_json data_config;  // this channel's entry of inputdataconfig.json
};

// The folders of a SageMaker job inside its mljob job folder: what SageMaker keeps under /opt/ml.
struct SageMakerFolders {
  std::string root;  // JOB_FOLDER/sagemaker: input/config, input/data, model, output, code, hosts
  std::string hosts() const { return root + "/hosts"; }
  std::string host(int index) const { return hosts() + "/" + std::to_string(index); }
  std::string input_config() const { return root + "/input/config"; }
  std::string input_data() const { return root + "/input/data"; }
  std::string shards() const { return root + "/input/shards"; }
  std::string model() const { return root + "/model"; }
  std::string output() const { return root + "/output"; }
  std::string code() const { return root + "/code"; }
  std::string phases() const { return root + "/phases"; }
  std::string task_script() const { return root + "/task.sh"; }
};

struct SageMakerTraining {
  Job job;  // job.launch says what runs; describe shows job.launch->request
  SageMakerFolders folders;
  int instance_count = 1;
  nlohmann::ordered_json hyperparameters = nlohmann::ordered_json::object();  // as given
  std::vector<SageMakerChannel> channels;
  // Script mode: sagemaker_submit_directory mapped to a local .tar.gz or folder ("" when the
  // image's command is complete by itself), and the entry point inside it.
  std::string code_source;
  std::string entry_point;
  std::string model_artifacts_uri;      // S3OutputPath/NAME/output/model.tar.gz (or .../model/)
  std::string model_artifacts_path;     // the same, mapped
  bool compress_model = true;           // OutputDataConfig.CompressionType GZIP (default) or NONE
  std::string checkpoint_path;          // CheckpointConfig.S3Uri mapped ("" without one)
  std::string checkpoint_local_path;    // CheckpointConfig.LocalPath under the host's SageMaker root
  std::vector<IgnoredField> no_effect;  // accepted fields that change nothing here
};

struct SageMakerContext {
  std::string job_folder;  // the mljob store's folder for this job (a path; not read)
  // A tuning study's trial, named by the study (<study>_trial_<n>), not by SageMaker's rule.
  bool named_by_a_study = false;
};

// Throws InputError (field, value, rule) on anything the request or the catalog cannot serve.
SageMakerTraining parse_sagemaker_training(const nlohmann::ordered_json& request, const tiers::TierCatalog& catalog,
                                           const SageMakerContext& context);
SageMakerTraining parse_sagemaker_training_text(const std::string& text, const std::string& source_name,
                                                const tiers::TierCatalog& catalog, const SageMakerContext& context);

// A request's Tags as the job's labels: Google's label rules are stricter, so a tag's key and
// value are lowercased and other characters become '_' (the tags stay in the request).
std::map<std::string, std::string> labels_from_tags(const nlohmann::ordered_json& request);

// A tuning study's trial as SageMaker runs one: the CreateTrainingJob request that a
// HyperParameterTrainingJobDefinition (CreateHyperParameterTuningJob's TrainingJobDefinition)
// makes for the training job `name` with `hyperparameters` (the static and the tuned ones, all
// strings). The definition's tuning fields (DefinitionName, TuningObjective, ranges, resource
// config for tuning) are the study's, not the trial's.
nlohmann::ordered_json sagemaker_trial_request(const nlohmann::ordered_json& definition, const std::string& name,
                                               const nlohmann::ordered_json& hyperparameters);

// The shell script every host runs before the program (the step runs `/bin/sh task.sh PROGRAM...`):
// this host's SageMaker root (hosts/N, N = SLURM_NODEID), its resourceconfig.json, the SM_*
// paths that point into it, then exec of the program.
std::string sagemaker_task_script(const SageMakerTraining& training);

}  // namespace mljob
