#include "jobs/sagemaker_staging.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "base/document_limits.h"
#include "base/files.h"
#include "base/input_error.h"
#include "core/package_stager.h"

namespace mljob::jobs {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

// One file of a channel: where it appears in the channel's folder, and the file it links to.
struct ChannelFile {
  fs::path relative;
  fs::path source;
};

void make_link(const fs::path& target, const fs::path& link) {
  fs::create_directories(link.parent_path());
  fs::create_symlink(target, link);
}

// Refused, naming the channel, when `files` already holds the most a channel may.
void check_room_for_one_more(const std::vector<ChannelFile>& files, const SageMakerChannel& channel,
                             const StagingLimits& limits) {
  if (files.size() < limits.channel_files) return;
  throw InputError(channel.field + ".DataSource.S3DataSource.S3Uri", channel.uri,
                   "holds more than " + std::to_string(limits.channel_files) + " files (mljob's bound per channel)");
}

void add_files_under(const fs::path& folder, const fs::path& prefix, const SageMakerChannel& channel,
                     const StagingLimits& limits, std::vector<ChannelFile>& files) {
  for (auto it = fs::recursive_directory_iterator(folder, fs::directory_options::skip_permission_denied);
       it != fs::recursive_directory_iterator(); ++it) {
    if (!it->is_regular_file()) continue;
    check_room_for_one_more(files, channel, limits);
    files.push_back({prefix / fs::relative(it->path(), folder), it->path()});
  }
}

// S3Prefix: a prefix that names a folder gives the folder's files; any other prefix, the
// files and folders in its parent whose names start with its last part, under those names.
std::vector<ChannelFile> prefix_files(const SageMakerChannel& channel, const StagingLimits& limits) {
  std::vector<ChannelFile> files;
  fs::path local = channel.local_path;
  if (fs::is_directory(local)) {
    add_files_under(local, {}, channel, limits, files);
    return files;
  }
  fs::path parent = local.parent_path();
  std::string stem = local.filename().string();
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(parent, error)) {
    std::string name = entry.path().filename().string();
    if (!name.starts_with(stem)) continue;
    if (entry.is_directory()) {
      add_files_under(entry.path(), name, channel, limits, files);
    } else if (entry.is_regular_file()) {
      check_room_for_one_more(files, channel, limits);
      files.push_back({name, entry.path()});
    }
  }
  return files;
}

// ManifestFile: [{"prefix": "s3://bucket/path/"}, "relative/key", ...], each key a file.
std::vector<ChannelFile> manifest_files(const SageMakerChannel& channel, const tiers::TierCatalog& catalog,
                                        const StagingLimits& limits) {
  std::string field = channel.field + ".DataSource.S3DataSource.S3Uri";
  std::error_code error;
  auto size = fs::file_size(channel.local_path, error);
  if (error) throw InputError(field, channel.uri, "the manifest file cannot be read at " + channel.local_path);
  if (size > limits.manifest_bytes) {
    throw InputError(field, channel.uri,
                     "the manifest file is larger than " + std::to_string(limits.manifest_bytes) + " bytes (" +
                         std::to_string(size) + ")");
  }
  std::string why;
  auto parsed =
      parse_json_within_limits<json>(read_document_file(channel.local_path, field, limits.manifest_bytes), &why);
  if (!parsed) throw InputError(field, channel.uri, "the manifest " + why);
  json manifest = std::move(*parsed);
  if (!manifest.is_array() || manifest.empty() || !manifest[0].is_object() || !manifest[0].contains("prefix") ||
      !manifest[0]["prefix"].is_string()) {
    throw InputError(field, channel.uri, "a manifest is a JSON list: {\"prefix\": \"s3://...\"}, then relative keys");
  }
  std::string prefix = manifest[0]["prefix"].get<std::string>();
  std::vector<ChannelFile> files;
  for (std::size_t i = 1; i < manifest.size(); ++i) {
    if (!manifest[i].is_string())
      throw InputError(field, channel.uri, "manifest entry " + std::to_string(i) + " is not a key");
    std::string key = manifest[i].get<std::string>();
    fs::path relative = fs::path(key).lexically_normal();
    if (key.empty() || relative.is_absolute() || *relative.begin() == "..")
      throw InputError(field, channel.uri, "manifest key '" + key + "' leaves its prefix");
    auto source = catalog.local_path(prefix + key);
    if (!source || !fs::is_regular_file(*source)) {
      throw InputError(field, channel.uri,
                       "manifest key '" + prefix + key + "' is no file here" + (source ? " (" + *source + ")" : ""));
    }
    check_room_for_one_more(files, channel, limits);
    files.push_back({relative, *source});
  }
  return files;
}

// The channel's whole data in input/data/NAME; its shards in input/shards/N/NAME.
void stage_channel(const SageMakerTraining& training, const SageMakerChannel& channel,
                   const tiers::TierCatalog& catalog, const StagingLimits& limits) {
  const SageMakerFolders& f = training.folders;
  fs::path whole = fs::path(f.input_data()) / channel.name;
  bool plain_folder = !channel.manifest && fs::is_directory(channel.local_path);
  std::vector<ChannelFile> files =
      channel.manifest ? manifest_files(channel, catalog, limits) : prefix_files(channel, limits);
  if (files.empty()) {
    throw InputError(channel.field + ".DataSource.S3DataSource.S3Uri", channel.uri,
                     "no file is under this prefix here (" + channel.local_path + ")");
  }
  std::sort(files.begin(), files.end(),
            [](const ChannelFile& a, const ChannelFile& b) { return a.relative < b.relative; });
  if (plain_folder) {
    make_link(channel.local_path, whole);
  } else {
    for (const auto& file : files) make_link(file.source, whole / file.relative);
  }
  for (int host = 0; host < training.instance_count; ++host) {
    fs::path view = fs::path(f.host(host)) / "input/data" / channel.name;
    if (!channel.sharded) {
      make_link(whole, view);
      continue;
    }
    // SageMaker gives each host 1/N of the objects; here, every N-th file in key order.
    fs::path shard = fs::path(f.shards()) / std::to_string(host) / channel.name;
    fs::create_directories(shard);
    for (std::size_t i = host; i < files.size(); i += training.instance_count)
      make_link(files[i].source, shard / files[i].relative);
    make_link(shard, view);
  }
}

void stage_code(const SageMakerTraining& training) {
  const std::string field = "HyperParameters.sagemaker_submit_directory";
  fs::path code = training.folders.code();
  if (!training.code_source.empty()) {
    if (fs::is_directory(training.code_source)) {
      std::error_code error;
      fs::copy(training.code_source, code, fs::copy_options::recursive | fs::copy_options::copy_symlinks, error);
      if (error) {
        throw InputError(
            field, training.code_source,
            "the code folder could not be copied into the job's folder (" + code.string() + "): " + error.message());
      }
    } else if (fs::is_regular_file(training.code_source)) {
      unpack_archive(field, training.code_source, training.code_source, code);
    } else {
      throw InputError(field, training.code_source, "is neither an archive nor a folder here");
    }
  }
  if (!training.entry_point.empty() && !fs::is_regular_file(code / training.entry_point)) {
    throw InputError("HyperParameters.sagemaker_program", training.entry_point,
                     "is not a file of the code in sagemaker_submit_directory");
  }
}

// Each host's /opt/ml: links to what the hosts share, and a config folder of its own (the host
// writes its resourceconfig.json there).
void stage_hosts(const SageMakerTraining& training) {
  const SageMakerFolders& f = training.folders;
  for (int host = 0; host < training.instance_count; ++host) {
    fs::path root = f.host(host);
    fs::create_directories(root / "input/config");
    fs::create_directories(root / "input/data");
    for (const char* file : {"hyperparameters.json", "inputdataconfig.json"})
      make_link(fs::path(f.input_config()) / file, root / "input/config" / file);
    make_link(f.model(), root / "model");
    make_link(f.output(), root / "output");
    if (!training.checkpoint_path.empty()) make_link(training.checkpoint_path, root / training.checkpoint_local_path);
  }
}

json input_data_config(const SageMakerTraining& training) {
  json config = json::object();
  for (const auto& channel : training.channels) config[channel.name] = channel.data_config;
  return config;
}

}  // namespace

void stage_sagemaker_job(const SageMakerTraining& training, const tiers::TierCatalog& catalog,
                         const StagingLimits& limits) {
  const SageMakerFolders& f = training.folders;
  for (const auto& folder : {f.input_config(), f.input_data(), f.model(), f.output() + "/data"})
    fs::create_directories(folder);
  write_atomically(fs::path(f.input_config()) / "hyperparameters.json", training.hyperparameters.dump(2) + "\n");
  write_atomically(fs::path(f.input_config()) / "inputdataconfig.json", input_data_config(training).dump(2) + "\n");
  stage_hosts(training);
  for (const auto& channel : training.channels) stage_channel(training, channel, catalog, limits);
  if (!training.checkpoint_path.empty()) {
    std::error_code error;
    fs::create_directories(training.checkpoint_path, error);
    if (error) {
      throw InputError("CheckpointConfig.S3Uri", training.checkpoint_path,
                       "the checkpoint folder cannot be made here: " + error.message());
    }
  }
  stage_code(training);
  fs::create_directories(training.folders.code());
  write_atomically(f.task_script(), sagemaker_task_script(training));
}

}  // namespace mljob::jobs
