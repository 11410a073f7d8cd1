#include "jobs/prediction_submission.h"

#include <fnmatch.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>

#include "base/files.h"
#include "base/input_error.h"
#include "base/interruption.h"
#include "core/batch_script.h"
#include "core/fit_check.h"
#include "core/inventory_cache.h"
#include "core/job_state.h"
#include "core/package_stager.h"
#include "core/validation.h"
#include "jobs/job_preparation.h"
#include "jobs/job_view.h"
#include "jobs/sibling_program.h"
#include "prediction/output_line.h"
#include "prediction/record_reader.h"
#include "tiers/catalog_cache.h"
#include "tiers/catalog_loader.h"
#include "tiers/model_registry.h"

namespace mljob::jobs {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// No shard is planned smaller than this (maxWorkerCount is a most, as in the API): a worker's
// start (Python, the model) costs about what scoring a thousand small instances does.
constexpr std::uint64_t kMinShardBytes = 64 << 10;
// The largest record a worker reads; a longer one is an error of that record (docs/prediction.md).
constexpr std::uint64_t kMaxRecordBytes = 64 << 20;
// How many input files one job may name: each is opened by a worker and listed in prediction.json.
constexpr std::size_t kMaxInputFiles = 100000;

const std::vector<std::string> kSklearnSignatures = {"predict",           "predict_proba", "predict_log_proba",
                                                     "decision_function", "transform",     "score_samples"};

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& word : words) out += (out.empty() ? "" : ", ") + word;
  return out;
}

// A path or an object-store URI as a folder or file of this cluster, absolute.
fs::path local_path(const std::string& path, const std::string& field, const tiers::TierCatalog& catalog) {
  if (path.find("://") == std::string::npos) return fs::absolute(path).lexically_normal();
  auto mapped = catalog.local_path(path);
  if (!mapped) {
    std::vector<std::string> prefixes;
    for (const auto& [prefix, folder] : catalog.storage) prefixes.push_back(prefix);
    throw InputError(
        field, path,
        "no storage prefix of the tier catalog maps it to a folder here" +
            (prefixes.empty() ? std::string(" (the catalog maps none)") : " (mapped: " + joined(prefixes) + ")"));
  }
  return fs::path(*mapped).lexically_normal();
}

bool has_file(const fs::path& folder, const char* name) {
  std::error_code error;
  return fs::is_regular_file(folder / name, error);
}

// The predictor a model folder's files call for, when the runtime names none.
std::string predictor_of_files(const fs::path& folder, const std::string& field, const std::string& uri) {
  bool sklearn = has_file(folder, "model.joblib") || has_file(folder, "model.pkl");
  bool torchscript = has_file(folder, "model.pt");
  if (sklearn && torchscript)
    throw InputError(field, uri,
                     "holds both an sklearn model (model.joblib / model.pkl) and a TorchScript one (model.pt): set "
                     "runtimeVersion to a runtime whose predictor says which");
  if (sklearn) return "sklearn";
  if (torchscript) return "torchscript";
  throw InputError(field, uri,
                   "holds no model mljob can serve: model.joblib or model.pkl (scikit-learn, saved with joblib) or "
                   "model.pt (TorchScript); a custom prediction routine is a model registry entry");
}

void require_model_file(const fs::path& folder, const std::string& predictor, const std::string& field,
                        const std::string& uri) {
  if (predictor == "sklearn" && !has_file(folder, "model.joblib") && !has_file(folder, "model.pkl"))
    throw InputError(field, uri, "holds no model.joblib or model.pkl, which its sklearn predictor loads");
  if (predictor == "torchscript" && !has_file(folder, "model.pt"))
    throw InputError(field, uri, "holds no model.pt, which its torchscript predictor loads");
}

void require_folder(const fs::path& folder, const std::string& field, const std::string& value) {
  std::error_code error;
  if (!fs::is_directory(folder, error)) throw InputError(field, value, "is not a folder (" + folder.string() + ")");
  if (::access(folder.c_str(), R_OK | X_OK) != 0)
    throw InputError(field, value, "cannot be read by you (" + folder.string() + ")");
}

void check_signature(const ResolvedModel& model, const std::string& signature) {
  const std::string field = "predictionInput.signatureName";
  if (signature.empty()) return;
  if (model.predictor == "custom")
    throw InputError(field, signature,
                     "a custom prediction routine has one method, predict: signatureName selects a method of sklearn "
                     "and TorchScript models only");
  if (model.predictor == "sklearn" &&
      std::find(kSklearnSignatures.begin(), kSklearnSignatures.end(), signature) == kSklearnSignatures.end())
    throw InputError(field, signature, "must be a method of an sklearn model: " + joined(kSklearnSignatures));
  static const std::regex identifier("[A-Za-z_][A-Za-z0-9_]*");
  if (model.predictor == "torchscript" && !std::regex_match(signature, identifier))
    throw InputError(field, signature, "must name a method of the TorchScript module (forward, or one it exports)");
}

void apply_runtime(ResolvedModel& model, const std::string& runtime_version, const tiers::TierCatalog& catalog,
                   const std::string& field) {
  const tiers::RuntimeEnvironment* runtime = catalog.runtime(runtime_version, "");
  if (!runtime) throw InputError(field, runtime_version, "no runtime of the tier catalog runs it (and no default)");
  if (!runtime->refusal.empty()) throw InputError(field, runtime_version, runtime->refusal);
  model.runtime_version = runtime_version;
  model.python = runtime->python;
  model.runtime_setup = runtime->setup;
}

ResolvedModel model_of_uri(const PredictionInput& input, const tiers::TierCatalog& catalog) {
  const std::string field = "predictionInput.uri";
  ResolvedModel model;
  model.folder = local_path(input.uri, field, catalog).string();
  require_folder(model.folder, field, input.uri);
  apply_runtime(model, input.runtime_version, catalog, "predictionInput.runtimeVersion");
  const tiers::RuntimeEnvironment* runtime = catalog.runtime(input.runtime_version, "");
  model.predictor =
      runtime->predictor.empty() ? predictor_of_files(model.folder, field, input.uri) : runtime->predictor;
  require_model_file(model.folder, model.predictor, field, input.uri);
  model.source = "uri " + input.uri;
  return model;
}

// "projects/P/models/M" or "M"; "projects/P/models/M/versions/V".
std::pair<std::string, std::string> model_and_version(const PredictionInput& input) {
  static const std::regex model_name("(?:projects/[^/]+/models/)?([A-Za-z][A-Za-z0-9_]*)");
  static const std::regex version_name(
      "projects/[^/]+/models/([A-Za-z][A-Za-z0-9_]*)/versions/([A-Za-z][A-Za-z0-9_]*)");
  std::smatch match;
  if (!input.model_name.empty()) {
    if (!std::regex_match(input.model_name, match, model_name))
      throw InputError("predictionInput.modelName", input.model_name,
                       "must be projects/PROJECT/models/MODEL or MODEL (a letter, then letters, digits and '_')");
    return {match[1], ""};
  }
  if (!std::regex_match(input.version_name, match, version_name))
    throw InputError("predictionInput.versionName", input.version_name,
                     "must be projects/PROJECT/models/MODEL/versions/VERSION");
  return {match[1], match[2]};
}

ResolvedModel model_of_registry(const PredictionInput& input, const tiers::TierCatalog& catalog) {
  const std::string field = input.model_name.empty() ? "predictionInput.versionName" : "predictionInput.modelName";
  const std::string value = input.model_name.empty() ? input.version_name : input.model_name;
  if (catalog.model_registry.empty())
    throw InputError(field, value,
                     "this site has no model registry (the tier catalog's prediction.modelRegistry): give the model's "
                     "folder as uri (--model-dir)");
  tiers::ModelRegistry registry;
  try {
    registry = tiers::load_model_registry(catalog.model_registry);
  } catch (const tiers::CatalogError& e) {
    throw InputError(field, value, std::string("the site's model registry cannot be used: ") + e.what());
  }
  auto [name, version] = model_and_version(input);
  auto model_versions = registry.versions.find(name);
  if (model_versions == registry.versions.end()) {
    std::vector<std::string> names;
    for (const auto& [known, versions] : registry.versions) names.push_back(known);
    throw InputError(field, value, "is not a model of the site's registry (models: " + joined(names) + ")");
  }
  if (version.empty()) version = registry.default_versions.at(name);
  auto entry = model_versions->second.find(version);
  if (entry == model_versions->second.end()) {
    std::vector<std::string> names;
    for (const auto& [known, unused] : model_versions->second) names.push_back(known);
    throw InputError(field, value,
                     "model " + name + " has no version " + version + " (versions: " + joined(names) + ")");
  }
  const tiers::ModelVersion& found = entry->second;
  ResolvedModel model;
  model.folder = found.path;
  require_folder(model.folder, field, value);
  model.predictor = found.predictor;
  model.prediction_class = found.prediction_class;
  model.package_uris = found.package_uris;
  model.machine_type = found.machine_type;
  std::string runtime_version = input.runtime_version.empty() ? found.runtime_version : input.runtime_version;
  apply_runtime(model, runtime_version, catalog, "predictionInput.runtimeVersion");
  require_model_file(model.folder, model.predictor, field, value);
  if (model.predictor == "custom") check_packages("", model.package_uris);
  model.source = "model " + name + " version " + version + " (" + registry.source + ")";
  return model;
}

std::vector<fs::path> matching_files(const fs::path& pattern, const std::string& field, const std::string& value) {
  fs::path folder = pattern.parent_path();
  std::error_code error;
  if (!fs::is_directory(folder, error))
    throw InputError(field, value, "its folder " + folder.string() + " does not exist");
  std::vector<fs::path> found;
  std::string name_pattern = pattern.filename().string();
  for (const auto& entry : fs::directory_iterator(folder, error)) {
    std::string name = entry.path().filename().string();
    if (::fnmatch(name_pattern.c_str(), name.c_str(), FNM_PERIOD) != 0) continue;
    if (fs::is_regular_file(entry.path(), error)) found.push_back(entry.path());
  }
  if (error) throw InputError(field, value, "its folder cannot be listed: " + error.message());
  std::sort(found.begin(), found.end());
  if (found.empty()) throw InputError(field, value, "matches no file");
  return found;
}

bool holds_results(const fs::path& folder, std::string* example) {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(folder, error)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("prediction.results-", 0) == 0 || name.rfind("prediction.errors_stats-", 0) == 0) {
      *example = name;
      return true;
    }
  }
  return false;
}

json pieces_json(const prediction::Shard& shard) {
  json pieces = json::array();
  for (const auto& piece : shard.pieces)
    pieces.push_back({{"path", piece.path}, {"begin", piece.begin}, {"end", piece.end}});
  return {{"pieces", pieces}, {"bytes", shard.bytes}};
}

json worker_config(const CheckedPrediction& checked, const std::vector<std::string>& python_path) {
  const PredictionInput& input = *checked.job.prediction_input;
  json shards = json::array();
  for (const auto& shard : checked.shards) shards.push_back(pieces_json(shard));
  json server = {{"predictor", checked.model.predictor},
                 {"modelDir", checked.model.folder},
                 {"predictionClass", checked.model.prediction_class},
                 {"pythonPath", python_path},
                 {"signatureName", input.signature_name},
                 {"threads", checked.plan.worker.cpus_per_task}};
  return {{"jobId", checked.job.job_id},
          {"dataFormat", data_format_name(input.data_format)},
          {"outputDataFormat", data_format_name(input.output_data_format)},
          {"batchSize", input.batch_size},
          {"outputFolder", checked.output_folder.string()},
          {"shardCount", checked.shards.size()},
          {"maxRecordBytes", kMaxRecordBytes},
          {"python", checked.model.python},
          {"model", checked.model.source},
          {"server", server},
          {"shards", shards}};
}

// Creates the output folder (and its parents) if missing; true if it made the folder itself.
bool make_output_folder(const fs::path& folder) {
  std::error_code error;
  if (fs::is_directory(folder, error)) return false;
  if (!fs::create_directories(folder, error) && error)
    throw InputError("predictionInput.outputPath", folder.string(), "cannot be made: " + error.message());
  return true;
}

void refuse_if_never_fits(const PredictionArrayPlan& array, const std::string& field, const SlurmAccess& slurm,
                          const JobStore& store) {
  SlurmPlan plan;
  plan.components = {array.worker};
  InventoryCache cache(store.root() / "cache", kInventoryMaxAge);
  if (auto cached = cache.load_fresh(); cached && reasons_plan_never_fits(plan, *cached).empty()) return;
  std::string fresh = slurm.inventory_text();
  cache.save(fresh);
  auto reasons = reasons_plan_never_fits(plan, parse_sinfo_nodes(fresh));
  if (reasons.empty()) return;
  throw InputError(field, array.worker.machine_type,
                   "a prediction worker of this machine type can never start on this cluster: " + joined(reasons));
}

void refuse_past_array_size(std::size_t shards, const SlurmAccess& slurm) {
  long max_array_size = 1001;  // Slurm's default MaxArraySize
  if (auto value = slurm.config_value("MaxArraySize")) max_array_size = std::stol(*value);
  if (static_cast<long>(shards) > max_array_size)
    throw InputError("predictionInput.maxWorkerCount", std::to_string(shards),
                     "this cluster's job arrays have at most " + std::to_string(max_array_size) +
                         " elements (MaxArraySize): ask for fewer workers");
}

}  // namespace

ResolvedModel resolve_model(const PredictionInput& input, const tiers::TierCatalog& catalog) {
  ResolvedModel model = input.uri.empty() ? model_of_registry(input, catalog) : model_of_uri(input, catalog);
  check_signature(model, input.signature_name);
  return model;
}

std::vector<prediction::InputFile> find_input_files(const PredictionInput& input, const tiers::TierCatalog& catalog) {
  std::vector<prediction::InputFile> files;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < input.input_paths.size(); ++i) {
    const std::string& value = input.input_paths[i];
    std::string field = "predictionInput.inputPaths[" + std::to_string(i) + "]";
    fs::path path = local_path(value, field, catalog);
    std::vector<fs::path> found;
    if (path.filename().string().find('*') != std::string::npos) {
      found = matching_files(path, field, value);
    } else {
      std::error_code error;
      if (!fs::is_regular_file(path, error)) throw InputError(field, value, "is not a file (" + path.string() + ")");
      found = {path};
    }
    for (const auto& file : found) {
      if (::access(file.c_str(), R_OK) != 0) throw InputError(field, value, file.string() + " cannot be read by you");
      if (!seen.insert(file.string()).second) continue;
      files.push_back({file.string(), static_cast<std::uint64_t>(fs::file_size(file))});
      if (files.size() > kMaxInputFiles)
        throw InputError(field, value, "the input paths name more than " + std::to_string(kMaxInputFiles) + " files");
    }
  }
  return files;
}

fs::path checked_output_folder(const PredictionInput& input, const tiers::TierCatalog& catalog) {
  const std::string field = "predictionInput.outputPath";
  fs::path folder = local_path(input.output_path, field, catalog);
  std::error_code error;
  if (fs::exists(folder, error)) {
    if (!fs::is_directory(folder, error)) throw InputError(field, input.output_path, "is a file, not a folder");
    std::string example;
    if (holds_results(folder, &example))
      throw InputError(field, input.output_path,
                       "already holds results (" + example +
                           "): give a new or empty folder, so that no job's results "
                           "are mixed with another's");
    if (::access(folder.c_str(), W_OK | X_OK) != 0)
      throw InputError(field, input.output_path, "cannot be written by you");
    return folder;
  }
  fs::path existing = folder.parent_path();
  while (!existing.empty() && !fs::exists(existing, error)) existing = existing.parent_path();
  if (existing.empty() || !fs::is_directory(existing, error) || ::access(existing.c_str(), W_OK | X_OK) != 0)
    throw InputError(field, input.output_path, "cannot be made: " + existing.string() + " cannot be written by you");
  return folder;
}

CheckedPrediction check_prediction(Job job, const fs::path& tiers_file) {
  CheckedPrediction checked;
  check_job_id(job.job_id);
  validate_labels(job.labels);
  if (!job.prediction_input) throw InputError("predictionInput", "", "is required for a batch prediction job");
  checked.catalog = tiers::load_catalog_cached(tiers::effective_catalog_path(tiers_file.string()),
                                               JobStore::from_environment().root() / "cache");
  const PredictionInput& input = *job.prediction_input;
  checked.model = resolve_model(input, checked.catalog);
  checked.inputs = find_input_files(input, checked.catalog);
  checked.output_folder = checked_output_folder(input, checked.catalog);
  DataFormat format = input.data_format;
  checked.shards = prediction::plan_shards(checked.inputs, static_cast<int>(input.max_worker_count), kMinShardBytes,
                                           splittable(format), [format](const std::string& path, std::uint64_t offset) {
                                             return prediction::next_record_start(path, format, offset);
                                           });
  if (checked.shards.empty())
    throw InputError("predictionInput.inputPaths", joined(input.input_paths),
                     "the files are empty: there is nothing to predict");
  PredictionArrayPlan& plan = checked.plan;
  plan.job_name = job.job_id;
  checked.machine_type_field =
      checked.model.machine_type.empty() ? "prediction.machineType (tier catalog)" : "machineType (model registry)";
  plan.worker = prediction_worker(checked.catalog, checked.model.machine_type, checked.machine_type_field);
  for (int i = 0; i < static_cast<int>(checked.shards.size()); ++i) plan.shards.push_back(i);
  plan.throttle = static_cast<int>(std::min<std::int64_t>(input.max_worker_count, checked.shards.size()));
  plan.runtime_setup = checked.model.runtime_setup;
  plan.worker_command = {sibling_program("mljob-predict").string(), "--job-folder",
                         JobStore::from_environment().folder_of(job.job_id).string()};
  checked.job = std::move(job);
  return checked;
}

JobRecord submit_prediction(CheckedPrediction& checked, const JobStore& store, const SlurmAccess& slurm) {
  refuse_past_array_size(checked.shards.size(), slurm);
  refuse_if_never_fits(checked.plan, checked.machine_type_field, slurm, store);
  const std::string& job_id = checked.job.job_id;
  fs::path folder = store.reserve(job_id);
  bool made_output = false;
  std::error_code ignored;  // cleaning up after a failure must not hide it
  JobRecord record{to_json(checked.job), "", {"predictor"}, {}, false, folder, {{"api", "prediction"}}, {}, ""};
  try {
    std::vector<std::string> python_path;
    StagingOptions staging{fetch_limits_from_environment(), {}};
    for (const auto& entry : stage_packages("", checked.model.package_uris, folder / "packages", staging))
      python_path.push_back(entry.string());
    make_private_folder(folder / "logs");
    make_private_folder(folder / "progress");
    made_output = make_output_folder(checked.output_folder);
    write_atomically(folder / "prediction.json", worker_config(checked, python_path).dump(1) + "\n");
    checked.plan.worker_command = {sibling_program("mljob-predict").string(), "--job-folder", folder.string()};
    write_atomically(folder / "job.sbatch", render_prediction_script(checked.plan));
  } catch (...) {
    store.release(job_id);
    if (made_output) fs::remove(checked.output_folder, ignored);
    throw_if_interrupted();
    throw;
  }
  try {
    throw_if_interrupted();  // the last point where a Ctrl-C stops the submission
    SubmitOptions options{(folder / "logs" / "shard-%a.log").string(), folder.string(),
                          unique_comment("mljob:" + job_id), ""};
    // No comment kept: each run of the shards has its own (marks_of in jobs/job_view.cc).
    record_submission(record, slurm.submit_marked({folder / "job.sbatch", options, {}}), "");
    for (std::size_t i = 0; i < checked.shards.size(); ++i)
      record.shard_jobs.push_back(record.slurm_job_id + "_" + std::to_string(i));
    save_or_cancel(store, record, slurm);
  } catch (const SubmissionUnknown&) {
    throw;  // Slurm may hold the job: its folder stays, for its output (the message says so)
  } catch (const UncancelledJobWithoutRecord&) {
    throw;
  } catch (...) {
    store.release(job_id);
    if (made_output) fs::remove(checked.output_folder, ignored);
    throw;
  }
  return record;
}

json read_prediction_config(const fs::path& folder) {
  std::ifstream in(folder / "prediction.json");
  if (!in) throw std::runtime_error((folder / "prediction.json").string() + " cannot be read");
  return json::parse(in);
}

std::vector<int> unfinished_shards(const JobRecord& record) {
  json config = read_prediction_config(record.folder);
  fs::path output = config.at("outputFolder").get<std::string>();
  int count = config.at("shardCount").get<int>();
  std::vector<int> unfinished;
  std::error_code error;
  for (int i = 0; i < count; ++i) {
    if (!fs::exists(output / prediction::shard_file_name("prediction.results", i, count), error))
      unfinished.push_back(i);
  }
  return unfinished;
}

std::vector<int> resume_prediction(const std::string& job_id, const JobStore& store, const SlurmAccess& slurm) {
  JobStore::Lock lock = store.lock(job_id);
  auto record = store.load(job_id);
  if (!record) throw InputError("JOB_ID", job_id, "no such job among yours");
  if (record->shard_jobs.empty())
    throw InputError("JOB_ID", job_id,
                     "is not a batch prediction job: `mljob resume` runs a prediction job's unfinished shards (a "
                     "study is resumed with `mljob study resume`)");
  std::string state = job_resources({*record}, slurm).front().value("state", "");
  if (!is_final_state(state))
    throw InputError("JOB_ID", job_id,
                     "is " + state + ": a job is resumed once every shard has ended (`mljob cancel` ends it now)");
  std::vector<int> shards = unfinished_shards(*record);
  if (shards.empty()) throw InputError("JOB_ID", job_id, "has no unfinished shard: every shard's results are written");
  json config = read_prediction_config(record->folder);
  int throttle = std::min<int>(static_cast<int>(shards.size()),
                               std::stoi(record->job["predictionInput"].value("maxWorkerCount", "10")));
  SubmitOptions options{(record->folder / "logs" / "shard-%a.log").string(), record->folder.string(),
                        unique_comment("mljob:" + job_id), array_indices(shards) + "%" + std::to_string(throttle)};
  std::string array_id = slurm.submit_marked({record->folder / "job.sbatch", options, {}});
  JobRecord updated = *record;
  record_submission(updated, array_id, "");
  updated.cancel_requested = false;
  for (int shard : shards) updated.shard_jobs[shard] = array_id + "_" + std::to_string(shard);
  save_or_cancel(store, updated, slurm);
  return shards;
}

}  // namespace mljob::jobs
