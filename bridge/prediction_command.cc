#include "bridge/prediction_command.h"

#include <boost/program_options.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

#include "base/document_limits.h"
#include "base/input_error.h"
#include "base/yaml_json.h"
#include "bridge/command_line.h"
#include "bridge/output_format.h"
#include "bridge/submit_flags.h"
#include "core/prediction_plan.h"
#include "core/spec_parser.h"
#include "jobs/prediction_submission.h"
#include "study/study_resources.h"

namespace mljob::bridge {
namespace {

namespace po = boost::program_options;
using nlohmann::json;

struct PredictionFlags {
  std::string job_id, config, model_dir, model, version, data_format, output_data_format, input_paths, output_path,
      region, runtime_version, signature_name, labels, tiers_file, format;
  std::optional<std::int64_t> max_worker_count, batch_size;
  bool dry_run = false;
};

po::options_description prediction_options(PredictionFlags& f) {
  po::options_description options("mljob submit prediction JOB_ID [options]");
  options.add_options()("help,h", "show this help")(
      "config", po::value(&f.config), "a Job file (YAML or JSON) with predictionInput (and labels, jobId)")(
      "model-dir", po::value(&f.model_dir), "the model's folder (or an object-store URI the catalog maps): uri")(
      "model", po::value(&f.model), "a model of the site's model registry: modelName")(
      "version", po::value(&f.version), "the model's version (default: the registry's defaultVersion): versionName")(
      "data-format", po::value(&f.data_format),
      "input format: json (a JSON instance a line), text (a line is a string), csv (a row of values), tf-record, "
      "tf-record-gzip")("output-data-format", po::value(&f.output_data_format), "json (the default), text or csv")(
      "input-paths", po::value(&f.input_paths), "input files, comma separated; a '*' in a file name is a wildcard")(
      "output-path", po::value(&f.output_path), "the folder the results are written to (new or empty)")(
      "max-worker-count", po::value<std::int64_t>(), "at most this many workers (shards) at once; default 10")(
      "batch-size", po::value<std::int64_t>(), "instances per call of the model; default 64")(
      "runtime-version", po::value(&f.runtime_version), "the runtime (the site's catalog says its predictor)")(
      "signature-name", po::value(&f.signature_name),
      "the model's method: predict_proba, decision_function... (sklearn), an exported method (TorchScript)")(
      "region", po::value(&f.region), "recorded for compatibility; Slurm has one region")(
      "labels", po::value(&f.labels), "labels KEY=VALUE,...")(
      "dry-run", po::bool_switch(&f.dry_run), "print the shards, the worker and the batch script; submit nothing")(
      "format", po::value(&f.format), "yaml or json: print the submitted Job resource, as describe does")(
      "tiers", po::value(&f.tiers_file), "tier catalog file (default: $MLJOB_TIERS, then /etc/mljob/tiers.yaml)");
  return options;
}

// gcloud's spellings (text, tf-record, tf-record-gzip) and the API's (JSON, TF_RECORD, ...).
std::string api_format(const std::string& flag, const std::string& value) {
  std::string name;
  for (char c : value) name += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!data_format_from_name(name))
    throw InputError(flag, value, "must be json, text, csv, tf-record or tf-record-gzip");
  return name;
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> items;
  std::istringstream parts(text);
  for (std::string item; std::getline(parts, item, ',');)
    if (!item.empty()) items.push_back(item);
  return items;
}

// The --config file's Job as JSON (empty without one), the flags laid over its predictionInput.
json job_json(const PredictionFlags& f) {
  json root = json::object();
  if (!f.config.empty()) {
    root =
        yaml_text_to_json(read_document_file(f.config, "--config"), f.config, {"labels", "predictionInput.inputPaths"});
    if (root.is_null()) root = json::object();
    if (!root.is_object()) throw InputError("--config", f.config, "must hold a mapping (a Job)");
    if (root.contains("trainingInput"))
      throw InputError("--config", f.config,
                       "holds a trainingInput: submit training jobs with `mljob submit training JOB_ID --config FILE`");
  }
  json& input = root["predictionInput"];
  if (input.is_null()) input = json::object();
  auto set = [&](const char* key, const std::string& value) {
    if (!value.empty()) input[key] = value;
  };
  if (!f.model_dir.empty() || !f.model.empty()) {
    for (const char* key : {"uri", "modelName", "versionName"}) input.erase(key);  // a flag's model replaces the file's
  }
  set("uri", f.model_dir);
  if (!f.model.empty() && !f.version.empty())
    input["versionName"] = "projects/-/models/" + f.model + "/versions/" + f.version;
  else
    set("modelName", f.model);
  if (!f.version.empty() && f.model.empty()) throw InputError("--version", f.version, "needs --model");
  if (!f.data_format.empty()) input["dataFormat"] = api_format("--data-format", f.data_format);
  if (!f.output_data_format.empty())
    input["outputDataFormat"] = api_format("--output-data-format", f.output_data_format);
  if (!f.input_paths.empty()) input["inputPaths"] = split_commas(f.input_paths);
  set("outputPath", f.output_path);
  set("region", f.region);
  set("runtimeVersion", f.runtime_version);
  set("signatureName", f.signature_name);
  if (f.max_worker_count) input["maxWorkerCount"] = *f.max_worker_count;
  if (f.batch_size) input["batchSize"] = *f.batch_size;
  if (!f.job_id.empty()) root["jobId"] = f.job_id;
  for (const auto& [key, value] : parse_labels(f.labels)) root["labels"][key] = value;
  return root;
}

PredictionFlags parse_flags(const Arguments& args) {
  PredictionFlags flags;
  auto options = prediction_options(flags);
  po::variables_map vm = parse_command_line(args, options, &flags.job_id);
  if (vm.count("help")) {
    std::cout << options << "\n";
    std::exit(kExitOk);
  }
  if (vm.count("max-worker-count")) flags.max_worker_count = vm["max-worker-count"].as<std::int64_t>();
  if (vm.count("batch-size")) flags.batch_size = vm["batch-size"].as<std::int64_t>();
  if (!flags.format.empty()) require_format(flags.format, {"yaml", "json"});
  return flags;
}

void print_dry_run(const jobs::CheckedPrediction& checked) {
  const PredictionInput& input = *checked.job.prediction_input;
  std::cout << "# Model: " << checked.model.source << ": " << checked.model.predictor << " predictor, folder "
            << checked.model.folder << "\n";
  std::cout << "# Input: " << checked.inputs.size() << " file(s), " << data_format_name(input.data_format)
            << "; output: " << checked.output_folder.string() << ", " << data_format_name(input.output_data_format)
            << "\n";
  std::cout << "# Plan: a job array of " << checked.shards.size() << " shard(s), at most " << checked.plan.throttle
            << " at once, each 1 x (" << checked.plan.worker.machine_type << ": " << checked.plan.worker.cpus_per_task
            << " CPUs, " << checked.plan.worker.memory_per_cpu_mb * checked.plan.worker.cpus_per_task << " MB)\n";
  for (std::size_t i = 0; i < checked.shards.size(); ++i) {
    std::cout << "#   shard " << i << ": " << checked.shards[i].bytes << " bytes in " << checked.shards[i].pieces.size()
              << " piece(s)\n";
  }
  std::cout << render_prediction_script(checked.plan);
}

}  // namespace

int submit_prediction(const Arguments& args, const SlurmAccess& slurm, SubmitOutput output,
                      std::string* submitted_job_id) {
  PredictionFlags flags = parse_flags(args);
  if (flags.job_id.empty()) throw InputError("JOB_ID", "", "is required: mljob submit prediction JOB_ID ...");
  if (output != SubmitOutput::kHuman && flags.dry_run)
    throw InputError("--dry-run", "", "is for `mljob submit prediction`; mljob-submit only submits");
  if (flags.dry_run && !flags.format.empty())
    throw InputError("--format", flags.format, "prints the submitted Job resource, which --dry-run does not submit");
  Job job = parse_job_spec(job_json(flags).dump(), flags.config.empty() ? "the command line" : flags.config);
  jobs::CheckedPrediction checked = jobs::check_prediction(std::move(job), flags.tiers_file);
  if (flags.dry_run) {
    print_dry_run(checked);
    return kExitOk;
  }
  JobStore store = JobStore::from_environment();
  JobRecord record = jobs::submit_prediction(checked, store, slurm);
  const std::string& job_id = checked.job.job_id;
  if (submitted_job_id) *submitted_job_id = job_id;
  if (output == SubmitOutput::kSilent) return kExitOk;
  if (output == SubmitOutput::kJobIdOnly) {
    std::cout << job_id << std::endl;
    return kExitOk;
  }
  if (output == SubmitOutput::kJson) {
    std::cout << study::described_job(record, slurm).dump() << std::endl;
    return kExitOk;
  }
  std::cerr << "Job [" << job_id << "] submitted successfully as Slurm job array " << record.slurm_job_id << " ("
            << checked.shards.size() << " shard(s)).\n";
  if (!flags.format.empty()) {
    print_formatted(study::described_job(record, slurm), flags.format);
    return kExitOk;
  }
  std::cerr << "Your job is still active. You may view the status of your job with the command\n\n  $ mljob describe "
            << job_id << "\n\n";
  std::cout << "jobId: " << job_id << "\nstate: QUEUED\n";
  return kExitOk;
}

int resume(const Arguments& args, const SlurmAccess& slurm) {
  po::options_description options("mljob resume JOB_ID");
  options.add_options()("help,h", "show this help");
  std::string job_id;
  po::variables_map vm = parse_command_line(args, options, &job_id);
  if (vm.count("help")) {
    std::cout << options
              << "\nRuns a batch prediction job's unfinished shards again (those without results), as a "
                 "new job array. Finished shards are not computed again.\n";
    return kExitOk;
  }
  if (job_id.empty()) throw InputError("JOB_ID", "", "is required: mljob resume JOB_ID");
  JobStore store = JobStore::from_environment();
  std::vector<int> shards = jobs::resume_prediction(job_id, store, slurm);
  auto record = store.load(job_id);
  std::cerr << "Job [" << job_id << "]: " << shards.size() << " unfinished shard(s) (" << array_indices(shards)
            << ") run again as Slurm job array " << (record ? record->slurm_job_id : "?") << ".\n";
  return kExitOk;
}

}  // namespace mljob::bridge
