#include "core/sagemaker_training.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "base/did_you_mean.h"
#include "base/document_limits.h"
#include "base/input_error.h"
#include "core/batch_script.h"
#include "core/validation.h"

namespace mljob {
namespace {

using json = nlohmann::ordered_json;

std::string shown(const json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// A placeholder a notebook fills in ("${role}") is not a value SageMaker would take either.
std::string placeholder_hint(const json& value) {
  if (value.is_string() && value.get<std::string>().starts_with("${"))
    return " (this is a template placeholder: fill it in before submitting)";
  return "";
}

void require_object(const json& value, const std::string& field) {
  if (!value.is_object()) throw InputError(field, shown(value), "must be an object" + placeholder_hint(value));
}

void require_known_keys(const json& object, const std::string& at, const std::vector<std::string>& known) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string hint = did_you_mean(key, known);
    throw InputError(at.empty() ? key : at + "." + key, shown(value),
                     "is not a field of SageMaker's " + std::string(at.empty() ? "CreateTrainingJob request" : at) +
                         (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
  }
}

std::string string_at(const json& object, const std::string& key, const std::string& at, bool required) {
  std::string field = at.empty() ? key : at + "." + key;
  if (!object.contains(key) || object[key].is_null()) {
    if (required) throw InputError(field, "", "is required");
    return "";
  }
  const json& value = object[key];
  if (!value.is_string()) throw InputError(field, shown(value), "must be a string");
  return value.get<std::string>();
}

std::int64_t integer_at(const json& object, const std::string& key, const std::string& at, std::int64_t low,
                        std::int64_t high, std::int64_t fallback) {
  std::string field = at + "." + key;
  if (!object.contains(key) || object[key].is_null()) return fallback;
  const json& value = object[key];
  if (!value.is_number_integer())
    throw InputError(field, shown(value), "must be a whole number" + placeholder_hint(value));
  std::int64_t number = value.get<std::int64_t>();
  if (number < low || number > high)
    throw InputError(
        field, shown(value),
        "must be between " + std::to_string(low) + " and " + std::to_string(high) + " (SageMaker's bounds)");
  return number;
}

bool flag_at(const json& object, const std::string& key) {
  if (!object.contains(key) || object[key].is_null()) return false;
  if (!object[key].is_boolean())
    throw InputError(key, shown(object[key]), "must be true or false" + placeholder_hint(object[key]));
  return object[key].get<bool>();
}

std::string one_of(const json& object, const std::string& key, const std::string& at,
                   const std::vector<std::string>& allowed, const std::string& fallback) {
  std::string value = string_at(object, key, at, false);
  if (value.empty()) return fallback;
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return value;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  throw InputError(at + "." + key, value, "must be one of " + list + placeholder_hint(object[key]));
}

[[noreturn]] void refuse(const json& object, const std::string& key, const std::string& at, const std::string& why) {
  throw InputError(at.empty() ? key : at + "." + key, shown(object[key]), why);
}

std::string mapped_prefixes(const tiers::TierCatalog& catalog) {
  std::string list;
  for (const auto& [prefix, folder] : catalog.storage) list += (list.empty() ? "" : ", ") + prefix;
  return list.empty() ? "none: the tier catalog has no storage section" : list;
}

// An s3:// URI the site's storage section maps to a folder of the cluster's file systems.
std::string mapped_uri(const std::string& uri, const std::string& field, const tiers::TierCatalog& catalog) {
  if (uri.starts_with("${"))
    throw InputError(field, uri, "is a template placeholder, not an s3:// URI: fill it in before submitting");
  if (!uri.starts_with("s3://") || uri.size() <= 5) throw InputError(field, uri, "must be an s3:// URI");
  if (uri.find("/../") != std::string::npos || uri.ends_with("/..") || uri.find('\0') != std::string::npos)
    throw InputError(field, uri, "may not contain a '..' segment (it would leave the mapped folder)");
  auto local = catalog.local_path(uri);
  if (!local) {
    auto bucket_end = uri.find('/', 5);
    std::string prefix = bucket_end == std::string::npos ? uri + "/" : uri.substr(0, bucket_end + 1);
    throw InputError(field, uri,
                     "no storage prefix of this site maps " + prefix +
                         " to the cluster's file systems (mapped: " + mapped_prefixes(catalog) + ")");
  }
  return *local;
}

std::string without_trailing_slash(std::string text) {
  while (text.size() > 1 && text.back() == '/') text.pop_back();
  return text;
}

}  // namespace

std::map<std::string, std::string> labels_from_tags(const json& request) {
  std::map<std::string, std::string> labels;
  if (!request.contains("Tags")) return labels;
  const json& tags = request["Tags"];
  if (!tags.is_array()) throw InputError("Tags", shown(tags), "must be a list of {Key, Value}");
  if (tags.size() > kMaxSageMakerTags) throw InputError("Tags", std::to_string(tags.size()) + " tags", "at most 50");
  auto label_text = [](const std::string& text) {
    std::string out;
    for (char c : text.substr(0, 63)) {
      unsigned char u = static_cast<unsigned char>(c);
      out += std::isalnum(u) ? static_cast<char>(std::tolower(u)) : (c == '-' ? '-' : '_');
    }
    return out;
  };
  for (std::size_t i = 0; i < tags.size(); ++i) {
    std::string at = "Tags[" + std::to_string(i) + "]";
    require_object(tags[i], at);
    require_known_keys(tags[i], at, {"Key", "Value"});
    std::string key = label_text(string_at(tags[i], "Key", at, true));
    std::string value = label_text(string_at(tags[i], "Value", at, false));
    if (key.empty() || !std::islower(static_cast<unsigned char>(key[0]))) key = "tag_" + key.substr(0, 59);
    labels.emplace(key, value);  // the first of two tags that read alike wins
  }
  return labels;
}

namespace {

json hyperparameters_of(const json& request) {
  if (!request.contains("HyperParameters")) return json::object();
  const json& given = request["HyperParameters"];
  require_object(given, "HyperParameters");
  if (given.size() > kMaxSageMakerHyperParameters)
    throw InputError("HyperParameters", std::to_string(given.size()) + " entries", "at most 100 hyperparameters");
  for (const auto& [key, value] : given.items()) {
    std::string field = "HyperParameters." + key;
    if (key.empty() || key.size() > kMaxHyperParameterKeyLength)
      throw InputError(field, key, "a hyperparameter's name is 1 to 256 characters");
    if (!value.is_string())
      throw InputError(field, shown(value), "must be a string (SageMaker's hyperparameters are strings)");
    if (value.get<std::string>().size() > kMaxHyperParameterValueLength)
      throw InputError(field, shown(value), "a hyperparameter's value is at most 2500 characters");
  }
  return given;
}

// The SageMaker Python SDK JSON-encodes its own hyperparameters ("\"train.py\""), and the
// training toolkit decodes each value that is JSON: so does mljob for sagemaker_program.
std::string decoded(const std::string& text) {
  auto value = parse_json_within_limits<json>(text);
  return value && value->is_string() ? value->get<std::string>() : text;
}

// The arguments script mode gives the entry point: --name value for each hyperparameter but
// SageMaker's own (sagemaker_*), values decoded as the toolkit decodes them.
std::vector<std::string> script_mode_arguments(const json& hyperparameters) {
  std::vector<std::string> args;
  for (const auto& [key, value] : hyperparameters.items()) {
    if (key.starts_with("sagemaker_")) continue;
    args.push_back("--" + key);
    args.push_back(decoded(value.get<std::string>()));
  }
  return args;
}

struct Program {
  std::vector<std::string> command;
  std::string runtime;
};

// AlgorithmSpecification: what runs, through the catalog's images section.
Program program_of(const json& request, const tiers::TierCatalog& catalog, SageMakerTraining& out) {
  const std::string at = "AlgorithmSpecification";
  if (!request.contains(at)) throw InputError(at, "", "is required");
  const json& spec = request[at];
  require_object(spec, at);
  require_known_keys(
      spec, at,
      {"TrainingImage", "AlgorithmName", "TrainingInputMode", "MetricDefinitions", "EnableSageMakerMetricsTimeSeries",
       "ContainerEntrypoint", "ContainerArguments", "TrainingImageConfig"});
  std::string mode = one_of(spec, "TrainingInputMode", at, {"File", "FastFile", "Pipe"}, "");
  if (mode.empty()) throw InputError(at + ".TrainingInputMode", "", "is required (File or FastFile)");
  if (mode == "Pipe") {
    refuse(spec, "TrainingInputMode", at,
           "Pipe mode streams S3 objects through a FIFO, which mljob does not offer: use File or FastFile (the "
           "channels are folders of the cluster's file systems)");
  }
  if (spec.contains("TrainingImageConfig")) {
    refuse(spec, "TrainingImageConfig", at,
           "configures pulling the image from a private registry; images are not pulled here, the tier catalog's "
           "images section says what each one runs");
  }
  std::string image_uri = string_at(spec, "TrainingImage", at, false);
  std::string algorithm = string_at(spec, "AlgorithmName", at, false);
  if (image_uri.empty() == algorithm.empty())
    throw InputError(at + ".TrainingImage", image_uri, "give exactly one of TrainingImage and AlgorithmName");
  std::string field = at + (image_uri.empty() ? ".AlgorithmName" : ".TrainingImage");
  const std::string& name = image_uri.empty() ? algorithm : image_uri;
  const tiers::Image* image = catalog.image(name);
  if (!image) {
    std::string list;
    for (const auto& [key, mapped] : catalog.images) list += (list.empty() ? "" : ", ") + key;
    throw InputError(field, name,
                     "is not mapped by this site's tier catalog (images: " + (list.empty() ? "none" : list) + ")" +
                         placeholder_hint(json(name)));
  }
  if (spec.contains("MetricDefinitions")) out.job.metric_declarations["MetricDefinitions"] = spec["MetricDefinitions"];
  if (spec.contains("EnableSageMakerMetricsTimeSeries")) flag_at(spec, "EnableSageMakerMetricsTimeSeries");

  Program program{{}, image->runtime};
  if (image->script_mode) {
    const json& hps = out.hyperparameters;
    if (!hps.contains("sagemaker_program")) {
      throw InputError("HyperParameters.sagemaker_program", "",
                       "is required: image " + name +
                           " runs in SageMaker's script mode, which starts the entry "
                           "point it names");
    }
    out.entry_point = decoded(hps["sagemaker_program"].get<std::string>());
    if (out.entry_point.empty() || out.entry_point.starts_with("/") || out.entry_point.find("..") != std::string::npos)
      throw InputError("HyperParameters.sagemaker_program", out.entry_point,
                       "must be a file inside sagemaker_submit_directory");
    if (!hps.contains("sagemaker_submit_directory")) {
      throw InputError("HyperParameters.sagemaker_submit_directory", "",
                       "is required: script mode runs sagemaker_program from the code it names");
    }
    {
      std::string directory = decoded(hps["sagemaker_submit_directory"].get<std::string>());
      out.code_source = directory.starts_with("file://")
                            ? directory.substr(7)
                            : mapped_uri(directory, "HyperParameters.sagemaker_submit_directory", catalog);
    }
    const tiers::RuntimeEnvironment* runtime = catalog.runtime(image->runtime, "");
    program.command = {runtime ? runtime->python : "python3", out.entry_point};
    auto args = script_mode_arguments(hps);
    program.command.insert(program.command.end(), args.begin(), args.end());
  } else {
    program.command = image->command;
  }
  if (spec.contains("ContainerEntrypoint")) {
    const json& words = spec["ContainerEntrypoint"];
    if (!words.is_array() || words.empty() ||
        !std::all_of(words.begin(), words.end(), [](const json& w) { return w.is_string(); }))
      throw InputError(at + ".ContainerEntrypoint", shown(words), "must be a non-empty list of strings");
    program.command = words.get<std::vector<std::string>>();
  }
  if (spec.contains("ContainerArguments")) {
    const json& words = spec["ContainerArguments"];
    if (!words.is_array() || !std::all_of(words.begin(), words.end(), [](const json& w) { return w.is_string(); }))
      throw InputError(at + ".ContainerArguments", shown(words), "must be a list of strings");
    for (const auto& word : words) program.command.push_back(word.get<std::string>());
  }
  return program;
}

void read_channel(const json& channel, std::size_t index, const tiers::TierCatalog& catalog,
                  std::set<std::string>& names, SageMakerTraining& out) {
  std::string at = "InputDataConfig[" + std::to_string(index) + "]";
  require_object(channel, at);
  require_known_keys(channel, at,
                     {"ChannelName", "DataSource", "ContentType", "CompressionType", "RecordWrapperType", "InputMode",
                      "ShuffleConfig"});
  SageMakerChannel result;
  result.field = at;
  result.name = string_at(channel, "ChannelName", at, true);
  bool valid_name = result.name.size() <= 64 && std::all_of(result.name.begin(), result.name.end(), [](char c) {
                      return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
                    });
  if (!valid_name)
    throw InputError(at + ".ChannelName", result.name, "must be 1 to 64 letters, digits, '.', '-' or '_'");
  std::string lowered = result.name;
  std::transform(lowered.begin(), lowered.end(), lowered.begin(), [](unsigned char c) { return std::tolower(c); });
  if (!names.insert(lowered).second)
    throw InputError(at + ".ChannelName", result.name,
                     "is the name of another channel (names are compared without case)");

  std::string compression = one_of(channel, "CompressionType", at, {"None", "Gzip"}, "None");
  if (compression == "Gzip") {
    refuse(channel, "CompressionType", at,
           "SageMaker decompresses Gzip only in Pipe mode, which mljob does not offer; in File mode it gives the "
           "files as they are, so leave CompressionType None and read the .gz files yourself");
  }
  if (one_of(channel, "RecordWrapperType", at, {"None", "RecordIO"}, "None") == "RecordIO") {
    refuse(channel, "RecordWrapperType", at,
           "SageMaker wraps objects in RecordIO records only in Pipe mode, which mljob does not offer: give the data "
           "in the format the trainer reads and leave RecordWrapperType None");
  }
  if (one_of(channel, "InputMode", at, {"File", "FastFile", "Pipe"}, "File") == "Pipe")
    refuse(channel, "InputMode", at, "Pipe mode is not offered: use File or FastFile");
  if (channel.contains("ShuffleConfig"))
    refuse(channel, "ShuffleConfig", at, "shuffles objects for Pipe mode, which mljob does not offer");

  if (!channel.contains("DataSource")) throw InputError(at + ".DataSource", "", "is required");
  const json& source = channel["DataSource"];
  std::string source_at = at + ".DataSource";
  require_object(source, source_at);
  require_known_keys(source, source_at, {"S3DataSource", "FileSystemDataSource", "DatasetSource"});
  for (const char* other : {"FileSystemDataSource", "DatasetSource"}) {
    if (source.contains(other)) {
      refuse(source, other, source_at,
             "names an AWS file system or dataset; give the data as an S3DataSource whose S3Uri the tier catalog's "
             "storage section maps to the cluster's file systems");
    }
  }
  if (!source.contains("S3DataSource")) throw InputError(source_at + ".S3DataSource", "", "is required");
  const json& s3 = source["S3DataSource"];
  std::string s3_at = source_at + ".S3DataSource";
  require_object(s3, s3_at);
  require_known_keys(s3, s3_at,
                     {"S3DataType", "S3Uri", "S3DataDistributionType", "AttributeNames", "InstanceGroupNames",
                      "ModelAccessConfig", "HubAccessConfig"});
  std::string type = one_of(s3, "S3DataType", s3_at, {"S3Prefix", "ManifestFile", "AugmentedManifestFile"}, "");
  if (type.empty()) throw InputError(s3_at + ".S3DataType", "", "is required (S3Prefix or ManifestFile)");
  if (type == "AugmentedManifestFile")
    refuse(s3, "S3DataType", s3_at, "augmented manifests are streamed in Pipe mode, which mljob does not offer");
  for (const char* other : {"AttributeNames", "InstanceGroupNames", "ModelAccessConfig", "HubAccessConfig"}) {
    if (s3.contains(other)) {
      refuse(s3, other, s3_at,
             std::string(other) == "AttributeNames"       ? "is for augmented manifests, which are not offered"
             : std::string(other) == "InstanceGroupNames" ? "instance groups (heterogeneous clusters) are not offered"
                                                          : "is for models hosted by AWS, which are not offered");
    }
  }
  result.manifest = type == "ManifestFile";
  result.uri = string_at(s3, "S3Uri", s3_at, true);
  result.local_path = mapped_uri(result.uri, s3_at + ".S3Uri", catalog);
  result.sharded = one_of(s3, "S3DataDistributionType", s3_at, {"FullyReplicated", "ShardedByS3Key"},
                          "FullyReplicated") == "ShardedByS3Key";
  result.data_config = {{"TrainingInputMode", channel.value("InputMode", "File")},
                        {"S3DistributionType", result.sharded ? "ShardedByS3Key" : "FullyReplicated"},
                        {"RecordWrapperType", "None"}};
  if (std::string content = string_at(channel, "ContentType", at, false); !content.empty())
    result.data_config["ContentType"] = content;
  out.channels.push_back(std::move(result));
}

void read_channels(const json& request, const tiers::TierCatalog& catalog, SageMakerTraining& out) {
  if (!request.contains("InputDataConfig")) return;
  const json& channels = request["InputDataConfig"];
  if (!channels.is_array())
    throw InputError("InputDataConfig", shown(channels), "must be a list of channels" + placeholder_hint(channels));
  if (channels.empty() || channels.size() > kMaxSageMakerChannels)
    throw InputError("InputDataConfig", std::to_string(channels.size()) + " channels", "give 1 to 20 channels");
  std::set<std::string> names;
  for (std::size_t i = 0; i < channels.size(); ++i) read_channel(channels[i], i, catalog, names, out);
}

void read_output(const json& request, const tiers::TierCatalog& catalog, SageMakerTraining& out) {
  const std::string at = "OutputDataConfig";
  if (!request.contains(at)) throw InputError(at, "", "is required");
  const json& config = request[at];
  require_object(config, at);
  require_known_keys(config, at, {"S3OutputPath", "KmsKeyId", "CompressionType"});
  std::string path = string_at(config, "S3OutputPath", at, true);
  std::string local = mapped_uri(path, at + ".S3OutputPath", catalog);
  out.compress_model = one_of(config, "CompressionType", at, {"GZIP", "NONE"}, "GZIP") == "GZIP";
  std::string tail = "/" + out.job.job_id + "/output/" + (out.compress_model ? "model.tar.gz" : "model/");
  out.model_artifacts_uri = without_trailing_slash(path) + tail;
  out.model_artifacts_path = without_trailing_slash(local) + tail;
  if (config.contains("KmsKeyId"))
    out.no_effect.push_back({at + ".KmsKeyId", shown(config["KmsKeyId"]),
                             "encryption at rest is the cluster's file systems' (the key is kept for describe)"});
}

void read_resources(const json& request, SageMakerTraining& out) {
  const std::string at = "ResourceConfig";
  if (!request.contains(at)) throw InputError(at, "", "is required");
  const json& config = request[at];
  require_object(config, at);
  require_known_keys(config, at,
                     {"InstanceType", "InstanceCount", "VolumeSizeInGB", "VolumeKmsKeyId", "KeepAlivePeriodInSeconds",
                      "InstanceGroups", "TrainingPlanArn", "InstancePlacementConfig"});
  if (config.contains("InstanceGroups"))
    refuse(config, "InstanceGroups", at,
           "heterogeneous clusters are not offered yet: give InstanceType and InstanceCount");
  if (config.contains("TrainingPlanArn"))
    refuse(config, "TrainingPlanArn", at, "reserved AWS capacity does not exist here: Slurm schedules the job");
  if (config.contains("InstancePlacementConfig"))
    refuse(config, "InstancePlacementConfig", at, "placement across AWS spines is not offered");
  if (integer_at(config, "KeepAlivePeriodInSeconds", at, 0, 3600, 0) > 0) {
    refuse(config, "KeepAlivePeriodInSeconds", at,
           "warm pools keep instances for the next job, and Slurm frees the nodes when a job ends: leave it 0");
  }
  std::string type = string_at(config, "InstanceType", at, true);
  out.instance_count = static_cast<int>(integer_at(config, "InstanceCount", at, 1, 1000, 1));
  TrainingInput& in = out.job.training_input;
  in.scale_tier = "CUSTOM";
  in.master_type = type;
  if (out.instance_count > 1) {
    in.worker_type = type;
    in.worker_count = out.instance_count - 1;
  }
  integer_at(config, "VolumeSizeInGB", at, 1, 16384, 0);
  if (config.contains("VolumeSizeInGB")) {
    out.no_effect.push_back(
        {at + ".VolumeSizeInGB", shown(config["VolumeSizeInGB"]),
         "the channels and the model stay on the cluster's shared file systems; no volume is made"});
  }
  if (config.contains("VolumeKmsKeyId"))
    out.no_effect.push_back({at + ".VolumeKmsKeyId", shown(config["VolumeKmsKeyId"]), "no volume is made here"});
}

void read_stopping(const json& request, SageMakerTraining& out, bool spot) {
  const std::string at = "StoppingCondition";
  json condition = request.contains(at) ? request[at] : json::object();
  require_object(condition, at);
  require_known_keys(condition, at, {"MaxRuntimeInSeconds", "MaxWaitTimeInSeconds", "MaxPendingTimeInSeconds"});
  std::int64_t runtime =
      integer_at(condition, "MaxRuntimeInSeconds", at, 1, kMaxSageMakerRuntimeSeconds, kDefaultSageMakerRuntimeSeconds);
  Scheduling& scheduling = out.job.training_input.scheduling;
  scheduling.max_running_seconds = runtime;
  scheduling.max_running_time = std::to_string(runtime) + "s";
  if (condition.contains("MaxWaitTimeInSeconds")) {
    std::int64_t wait = integer_at(condition, "MaxWaitTimeInSeconds", at, 1, kMaxSageMakerRuntimeSeconds, 0);
    if (!spot)
      refuse(condition, "MaxWaitTimeInSeconds", at, "is for managed spot training: set EnableManagedSpotTraining");
    if (wait < runtime)
      refuse(condition, "MaxWaitTimeInSeconds", at,
             "must be at least MaxRuntimeInSeconds (" + std::to_string(runtime) + ")");
    out.job.launch->deadline_seconds = wait;
  }
  if (condition.contains("MaxPendingTimeInSeconds")) {
    std::int64_t pending = integer_at(condition, "MaxPendingTimeInSeconds", at, 7200, kMaxSageMakerRuntimeSeconds, 0);
    scheduling.max_wait_seconds = pending;
    scheduling.max_wait_time = std::to_string(pending) + "s";
  }
}

void read_checkpoints(const json& request, const tiers::TierCatalog& catalog, SageMakerTraining& out) {
  const std::string at = "CheckpointConfig";
  if (!request.contains(at)) return;
  const json& config = request[at];
  require_object(config, at);
  require_known_keys(config, at, {"S3Uri", "LocalPath"});
  out.checkpoint_path = mapped_uri(string_at(config, "S3Uri", at, true), at + ".S3Uri", catalog);
  std::string local = string_at(config, "LocalPath", at, false);
  if (local.empty()) local = "/opt/ml/checkpoints";
  // /opt/ml is each host's SageMaker root here (SAGEMAKER_BASE_DIR), not a folder of the node.
  if (!local.starts_with("/opt/ml/") || local.find("..") != std::string::npos || local == "/opt/ml/")
    throw InputError(at + ".LocalPath", local, "must be a folder under /opt/ml/ (each host's SageMaker root here)");
  out.checkpoint_local_path = without_trailing_slash(local.substr(std::string("/opt/ml/").size()));
}

// Environment: exported to every host. Names mljob, Slurm or the SageMaker variables own are refused.
void read_environment(const json& request, SageMakerTraining& out) {
  if (!request.contains("Environment")) return;
  const json& environment = request["Environment"];
  require_object(environment, "Environment");
  if (environment.size() > kMaxSageMakerEnvironment)
    throw InputError("Environment", std::to_string(environment.size()) + " entries", "at most 100 variables");
  for (const auto& [name, value] : environment.items()) {
    std::string field = "Environment." + name;
    bool identifier = !name.empty() && name.size() <= 512 && !std::isdigit(static_cast<unsigned char>(name[0])) &&
                      std::all_of(name.begin(), name.end(),
                                  [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
    if (!identifier)
      throw InputError(field, name, "must be a variable name: letters, digits and '_', not a digit first");
    for (const char* owned : {"SLURM_", "MLJOB_", "SM_", "SAGEMAKER_"}) {
      if (name.starts_with(owned))
        throw InputError(field, name, std::string("names starting with ") + owned + " are set by mljob or Slurm");
    }
    if (!value.is_string() || value.get<std::string>().size() > 512)
      throw InputError(field, shown(value), "must be a string of at most 512 characters");
    out.job.launch->environment.emplace_back(name, value.get<std::string>());
  }
}

// The fields that have no Slurm counterpart, and why each is refused.
void refuse_unoffered(const json& request) {
  struct Unoffered {
    const char* field;
    const char* why;
  };
  static const Unoffered kUnoffered[] = {
      {"DebugHookConfig",
       "SageMaker Debugger's hooks and rules run in AWS's rule containers, which mljob does not run "
       "(with the SageMaker Python SDK: debugger_hook_config=False)"},
      {"DebugRuleConfigurations", "SageMaker Debugger's rules run in AWS's rule containers, which mljob does not run"},
      {"ProfilerConfig",
       "SageMaker's profiler runs in AWS's rule containers, which mljob does not run (with the "
       "SageMaker Python SDK: disable_profiler=True)"},
      {"ProfilerRuleConfigurations",
       "SageMaker's profiler rules run in AWS's rule containers, which mljob does not run"},
      {"TensorBoardOutputConfig",
       "is not offered yet: write event files under SM_OUTPUT_DATA_DIR and read them with "
       "`mljob metrics`"},
      {"ExperimentConfig", "SageMaker Experiments is an AWS service; label the job with Tags instead"},
      {"RetryStrategy", "automatic retries are not offered yet: resubmit the job (a requeue keeps its checkpoints)"},
      {"RemoteDebugConfig", "remote debugging through AWS Systems Manager is not offered"},
      {"InfraCheckConfig", "AWS's instance health checks do not exist here (Slurm checks its nodes)"},
      {"SessionChainingConfig", "chains AWS IAM sessions, which do not exist here"},
      {"ServerlessJobConfig", "serverless training is an AWS service; give an AlgorithmSpecification"},
      {"MlflowConfig", "SageMaker's managed MLflow is not offered"},
      {"ModelPackageConfig", "the SageMaker model registry is not offered"},
  };
  for (const auto& [field, why] : kUnoffered) {
    if (request.contains(field)) throw InputError(field, shown(request[field]), why);
  }
  if (flag_at(request, "EnableNetworkIsolation"))
    refuse(request, "EnableNetworkIsolation", "", "the cluster does not cut a job off the network: leave it false");
  if (flag_at(request, "EnableInterContainerTrafficEncryption")) {
    refuse(request, "EnableInterContainerTrafficEncryption", "",
           "traffic between the hosts is the cluster's network, which mljob does not encrypt: leave it false");
  }
}

// Shell lines around the training step: SageMaker's secondary status times (phases), and the
// model artifacts made from SM_MODEL_DIR once the program has succeeded.
void add_phases_and_upload(SageMakerTraining& out) {
  const SageMakerFolders& f = out.folders;
  std::string phases = shell_quote(f.phases());
  Launch& launch = *out.job.launch;
  launch.before_step.push_back("echo \"Training $(date +%s)\" >> " + phases);
  launch.on_warning.push_back("echo \"Signalled $(date +%s)\" >> " + phases);
  std::string target = shell_quote(out.model_artifacts_path);
  std::string temporary =
      shell_quote(without_trailing_slash(out.model_artifacts_path) + ".partial-") + "\"${SLURM_JOB_ID:-0}\"";
  std::string parent = out.model_artifacts_path.substr(0, without_trailing_slash(out.model_artifacts_path).rfind('/'));
  std::string make = out.compress_model ? "tar -czf " + temporary + " -C " + shell_quote(f.model()) + " ."
                                        : "cp -R -- " + shell_quote(f.model() + "/.") + " " + temporary;
  if (!out.compress_model) make = "mkdir -p -- " + temporary + " && " + make;
  launch.after_step = {
      "if [ \"$step_status\" -eq 0 ]; then",
      "  echo \"Uploading $(date +%s)\" >> " + phases,
      "  if mkdir -p -- " + shell_quote(parent) + " && rm -rf -- " + target + " && " + make + " && mv -f -- " +
          temporary + " " + target + "; then :; else",
      "    echo \"mljob: the model artifacts could not be written to \"" + target + " >&2",
      "    echo 'ClientError: the model artifacts could not be written to the output path' > " +
          shell_quote(f.output() + "/failure"),
      "    rm -rf -- " + temporary,
      "    step_status=1",
      "  fi",
      "fi",
      "echo \"Ended $(date +%s) $step_status\" >> " + phases,
  };
}

void build_launch(const json& request, const Program& program, SageMakerTraining& out) {
  Launch& launch = *out.job.launch;
  launch.api = "sagemaker";
  launch.request = request;
  launch.command = {"/bin/sh", out.folders.task_script()};
  launch.command.insert(launch.command.end(), program.command.begin(), program.command.end());
  launch.working_dir = out.entry_point.empty() ? out.folders.root : out.folders.code();
  launch.term_seconds_before_end = kSageMakerStopWarningSeconds;
  launch.one_task_per_node = true;
  // The plugin makes SM_HPS, SM_CHANNELS and SM_TRAINING_ENV of these (plugin/sagemaker_env.h).
  launch.environment.insert(launch.environment.begin(), {"MLJOB_HPS", out.hyperparameters.dump()});
  for (const auto& channel : out.channels)
    launch.environment.emplace_back("MLJOB_CHANNEL_" + channel.name, out.folders.input_data() + "/" + channel.name);
  if (!out.checkpoint_path.empty())
    launch.environment.emplace_back("MLJOB_CHECKPOINT_DIR", without_trailing_slash(out.checkpoint_path));
  add_phases_and_upload(out);
}

}  // namespace

SageMakerTraining parse_sagemaker_training(const json& request, const tiers::TierCatalog& catalog,
                                           const SageMakerContext& context) {
  if (!request.is_object())
    throw InputError("(request)", shown(request), "a CreateTrainingJob request is a JSON object");
  require_known_keys(request, "",
                     {"TrainingJobName",
                      "HyperParameters",
                      "AlgorithmSpecification",
                      "RoleArn",
                      "InputDataConfig",
                      "OutputDataConfig",
                      "ResourceConfig",
                      "VpcConfig",
                      "StoppingCondition",
                      "Tags",
                      "EnableNetworkIsolation",
                      "EnableInterContainerTrafficEncryption",
                      "EnableManagedSpotTraining",
                      "CheckpointConfig",
                      "DebugHookConfig",
                      "DebugRuleConfigurations",
                      "TensorBoardOutputConfig",
                      "ExperimentConfig",
                      "ProfilerConfig",
                      "ProfilerRuleConfigurations",
                      "Environment",
                      "RetryStrategy",
                      "RemoteDebugConfig",
                      "InfraCheckConfig",
                      "SessionChainingConfig",
                      "ServerlessJobConfig",
                      "MlflowConfig",
                      "ModelPackageConfig"});
  SageMakerTraining out;
  out.job.launch = Launch{};
  out.job.job_id = string_at(request, "TrainingJobName", "", true);
  if (out.job.job_id.starts_with("${"))
    throw InputError("TrainingJobName", out.job.job_id, "is a template placeholder: fill it in before submitting");
  if (context.named_by_a_study)
    check_stored_job_name(out.job.job_id, "TrainingJobName");
  else
    check_sagemaker_job_name(out.job.job_id, "TrainingJobName");
  out.folders.root = context.job_folder + "/sagemaker";
  out.job.training_input.job_dir = out.folders.root;  // the plugin's SM_MODEL_DIR is JOB_DIR/model
  std::string role = string_at(request, "RoleArn", "", true);
  if (role.starts_with("${"))
    throw InputError("RoleArn", role, "is a template placeholder: fill it in before submitting");
  refuse_unoffered(request);
  out.job.labels = labels_from_tags(request);
  out.hyperparameters = hyperparameters_of(request);
  Program program = program_of(request, catalog, out);
  if (program.runtime != "default") out.job.training_input.runtime_version = program.runtime;
  read_channels(request, catalog, out);
  read_output(request, catalog, out);
  read_resources(request, out);
  bool spot = flag_at(request, "EnableManagedSpotTraining");
  read_stopping(request, out, spot);
  read_checkpoints(request, catalog, out);
  read_environment(request, out);
  if (request.contains("VpcConfig"))
    out.no_effect.push_back({"VpcConfig", shown(request["VpcConfig"]), "the job runs on the cluster's own network"});
  if (spot)
    out.no_effect.push_back({"EnableManagedSpotTraining", "true",
                             "Slurm schedules the job on the cluster's nodes; MaxWaitTimeInSeconds is its deadline"});
  build_launch(request, program, out);
  return out;
}

SageMakerTraining parse_sagemaker_training_text(const std::string& text, const std::string& source_name,
                                                const tiers::TierCatalog& catalog, const SageMakerContext& context) {
  check_document_size(text, source_name);
  std::string why;
  auto request = parse_json_within_limits<json>(text, &why);
  if (!request) throw InputError(source_name, "", why + " (a CreateTrainingJob request)");
  return parse_sagemaker_training(*request, catalog, context);
}

json sagemaker_trial_request(const json& definition, const std::string& name, const json& hyperparameters) {
  json request = {{"TrainingJobName", name}, {"HyperParameters", hyperparameters}};
  for (const char* key :
       {"AlgorithmSpecification", "RoleArn", "InputDataConfig", "VpcConfig", "OutputDataConfig", "ResourceConfig",
        "StoppingCondition", "EnableNetworkIsolation", "EnableInterContainerTrafficEncryption",
        "EnableManagedSpotTraining", "CheckpointConfig", "RetryStrategy", "Environment"}) {
    if (definition.contains(key)) request[key] = definition[key];
  }
  return request;
}

std::string sagemaker_task_script(const SageMakerTraining& training) {
  const SageMakerFolders& f = training.folders;
  std::string script =
      "#!/bin/sh\n"
      "# Made by mljob for SageMaker training job " +
      training.job.job_id +
      ". Every host runs it before the\n"
      "# program: hosts/N (N: SLURM_NODEID) is that host's /opt/ml, made at submit.\n"
      "set -eu\n"
      "root=" +
      shell_quote(f.root) +
      "\n"
      "ml=\"$root/hosts/${SLURM_NODEID:-0}\"\n"
      "current_host=\"${SM_CURRENT_HOST:-$(hostname -s)}\"\n"
      "hosts=\"${SM_HOSTS:-[\\\"$current_host\\\"]}\"\n"
      "printf '{\"current_host\": \"%s\", \"hosts\": %s, \"network_interface_name\": \"eth0\"}\\n' "
      "\"$current_host\" \"$hosts\" > \"$ml/input/config/resourceconfig.json\"\n"
      "export SAGEMAKER_BASE_DIR=\"$ml\" SM_INPUT_DIR=\"$ml/input\" SM_INPUT_CONFIG_DIR=\"$ml/input/config\"\n"
      "export SM_MODEL_DIR=\"$root/model\" SM_OUTPUT_DIR=\"$root/output\" SM_OUTPUT_DATA_DIR=\"$root/output/data\"\n";
  if (!training.code_source.empty()) script += "export SM_MODULE_DIR=" + shell_quote(f.code()) + "\n";
  // Channel names may hold '.' and '-', which `export` refuses: env(1) sets any name.
  script += "exec env";
  for (const auto& channel : training.channels) {
    std::string upper = channel.name;
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
    script += " \"SM_CHANNEL_" + upper + "=$ml/input/data/" + channel.name + "\"";
  }
  script += " \"$@\"\n";
  return script;
}

}  // namespace mljob
