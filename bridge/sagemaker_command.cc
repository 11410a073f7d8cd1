#include "bridge/sagemaker_command.h"

#include <boost/program_options.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

#include "base/document_limits.h"
#include "base/input_error.h"
#include "base/interruption.h"
#include "bridge/command_line.h"
#include "core/batch_script.h"
#include "core/inventory_cache.h"
#include "core/planner.h"
#include "core/sagemaker_training.h"
#include "core/validation.h"
#include "jobs/job_preparation.h"
#include "jobs/metrics_declarations.h"
#include "jobs/sagemaker_staging.h"
#include "study/study_controller.h"
#include "study/study_resources.h"
#include "tiers/catalog_cache.h"
#include "tiers/catalog_loader.h"

namespace mljob::bridge {
namespace {

namespace fs = std::filesystem;
namespace po = boost::program_options;

// A CreateTrainingJob request is a few KiB; SageMaker's own limit on a request body is far below.
constexpr std::size_t kMaxRequestBytes = 1 << 20;

struct SageMakerFlags {
  std::string file, tiers_file;
  bool dry_run = false;
};

std::optional<SageMakerFlags> parse_flags(const Arguments& args, const std::string& command = "sagemaker") {
  SageMakerFlags flags;
  po::options_description options("mljob submit " + command + " FILE.json [--tiers FILE] [--dry-run]");
  options.add_options()("help,h", "show this help")(
      "tiers", po::value(&flags.tiers_file), "the tier catalog (default: $MLJOB_TIERS, then /etc/mljob/tiers.yaml)")(
      "dry-run", po::bool_switch(&flags.dry_run), "check, plan and print the batch script; submit nothing");
  po::variables_map vm = parse_command_line(args, options, &flags.file);
  if (vm.count("help")) {
    std::cout << options << "\nFILE: a "
              << (command == "sagemaker" ? "CreateTrainingJob" : "CreateHyperParameterTuningJob")
              << " request (JSON, as boto3 sends it), or - for stdin.\n";
    return std::nullopt;
  }
  if (flags.file.empty()) throw InputError("FILE", "", "give the CreateTrainingJob request (a JSON file, or -)");
  return flags;
}

nlohmann::ordered_json parse_request(const std::string& text, const std::string& file, const std::string& kind) {
  std::string why;
  if (auto request = parse_json_within_limits<nlohmann::ordered_json>(text, &why)) return std::move(*request);
  throw InputError("FILE", file, why + " (a " + kind + " request)");
}

std::string read_request(const std::string& file) {
  return read_request_document(file, "FILE", kMaxRequestBytes, std::cin);
}

void print_dry_run(const SageMakerTraining& training, const SlurmPlan& plan, const SlurmAccess& slurm) {
  print_plan(plan);
  for (const auto& channel : training.channels) {
    std::cout << "# Channel " << channel.name << ": " << channel.uri << " -> " << channel.local_path
              << (channel.sharded ? " (sharded by key over the hosts)" : "") << "\n";
  }
  std::cout << "# Model artifacts: " << training.model_artifacts_uri << " -> " << training.model_artifacts_path << "\n";
  std::cout << render_batch_script(plan);
  print_fit(training.job, plan, slurm);
}

void report_submitted(const std::string& job_id, const JobStore& store, const SlurmAccess& slurm, SubmitOutput output) {
  if (output == SubmitOutput::kSilent) return;
  if (output == SubmitOutput::kJobIdOnly) {
    std::cout << job_id << std::endl;
    return;
  }
  if (output == SubmitOutput::kJson) {
    auto record = store.load(job_id);
    if (record) std::cout << study::described_job(*record, slurm).dump() << std::endl;
    return;
  }
  // CreateTrainingJob's response.
  std::cout << nlohmann::json{{"TrainingJobArn", "arn:mljob:sagemaker::training-job/" + job_id}}.dump(2) << "\n";
  std::cerr << "Training job [" << job_id << "] submitted. See it with\n\n  $ mljob describe " << job_id
            << " --format sagemaker\n\n";
}

}  // namespace

int submit_sagemaker(const Arguments& args, const SlurmAccess& slurm, SubmitOutput output,
                     std::string* submitted_job_id) {
  auto flags = parse_flags(args);
  if (!flags) return kExitOk;
  if (output != SubmitOutput::kHuman && flags->dry_run)
    throw InputError("--dry-run", "", "is for `mljob submit sagemaker`; mljob-submit only submits");
  std::string text = read_request(flags->file);
  JobStore store = JobStore::from_environment();
  tiers::TierCatalog catalog =
      tiers::load_catalog_cached(tiers::effective_catalog_path(flags->tiers_file), store.root() / "cache");
  nlohmann::ordered_json request = parse_request(text, flags->file, "CreateTrainingJob");
  // TrainingJobName names the job's folder: it passes SageMaker's rule before it becomes one. A
  // name that is missing or not a string leaves no folder to name, and the parser refuses it.
  std::string folder;
  if (request.is_object() && request.contains("TrainingJobName") && request["TrainingJobName"].is_string()) {
    std::string name = request["TrainingJobName"].get<std::string>();
    check_sagemaker_job_name(name, "TrainingJobName");
    folder = store.folder_of(name).string();
  }
  SageMakerTraining training = parse_sagemaker_training(request, catalog, {folder});
  jobs::check_front_door_job(training.job, catalog, training.no_effect);
  PlanContext context{training.folders.root, {}};
  SlurmPlan plan = plan_job(training.job, catalog, context);
  if (flags->dry_run) {
    plan.step_wrapper = jobs::collector_wrapper(folder, catalog.max_log_bytes_per_job);
    print_dry_run(training, plan, slurm);
    return kExitOk;
  }
  jobs::check_fit(training.job, plan, slurm, InventoryCache(store.root() / "cache", jobs::kInventoryMaxAge));
  {
    InterruptionGuard interruption;
    jobs::PreparedJob prepared = jobs::prepare_job_folder(
        training.job, catalog, store, "", [&](const fs::path&) { jobs::stage_sagemaker_job(training, catalog); });
    jobs::submit_and_save(prepared, training.job.job_id, store, slurm);
  }
  if (submitted_job_id) *submitted_job_id = training.job.job_id;
  report_submitted(training.job.job_id, store, slurm, output);
  return kExitOk;
}

namespace {

// HyperParameterTuningJobName: SageMaker's name rule, at most 32 characters.
std::string tuning_job_name(const nlohmann::ordered_json& request) {
  if (!request.is_object())
    throw InputError("(request)", "", "a CreateHyperParameterTuningJob request is a JSON object");
  const std::string field = "HyperParameterTuningJobName";
  if (!request.contains(field) || !request[field].is_string()) throw InputError(field, "", "is required (a string)");
  std::string name = request[field].get<std::string>();
  if (name.starts_with("${")) throw InputError(field, name, "is a template placeholder: fill it in before submitting");
  check_sagemaker_job_name(name, field);
  if (name.size() > 32) throw InputError(field, name, "is at most 32 characters (SageMaker's rule)");
  return name;
}

// The study's Job: its trials' machines (for the checks), the request as its hyperparameters
// (tuner/sagemaker_tuning reads it), and a Launch that marks where it came from.
Job tuning_study_job(const nlohmann::ordered_json& request, const std::string& name) {
  if (!request.contains("TrainingJobDefinition") || !request["TrainingJobDefinition"].is_object()) {
    throw InputError("TrainingJobDefinition", "",
                     "is required: a tuning job submitted on its own runs its trials from it (or give the tuning "
                     "config in an AI Platform spec's hyperparameters to tune a Python trainer)");
  }
  const nlohmann::ordered_json& definition = request["TrainingJobDefinition"];
  Job job;
  job.job_id = name;
  job.labels = labels_from_tags(request);
  job.training_input.scale_tier = "CUSTOM";
  if (definition.contains("ResourceConfig") && definition["ResourceConfig"].is_object())
    job.training_input.master_type = definition["ResourceConfig"].value("InstanceType", "");
  job.training_input.hyperparameters = nlohmann::json::parse(request.dump());
  job.launch = Launch{};
  job.launch->api = "sagemaker-tuning";
  job.launch->request = request;
  return job;
}

}  // namespace

int submit_sagemaker_tuning(const Arguments& args, const SlurmAccess& slurm, SubmitOutput output,
                            std::string* submitted_job_id) {
  auto flags = parse_flags(args, "sagemaker-tuning");
  if (!flags) return kExitOk;
  if (output != SubmitOutput::kHuman && flags->dry_run)
    throw InputError("--dry-run", "", "is for `mljob submit sagemaker-tuning`; mljob-submit only submits");
  nlohmann::ordered_json request =
      parse_request(read_request(flags->file), flags->file, "CreateHyperParameterTuningJob");
  std::string name = tuning_job_name(request);
  JobStore store = JobStore::from_environment();
  fs::path catalog_file = tiers::effective_catalog_path(flags->tiers_file);
  tiers::TierCatalog catalog = tiers::load_catalog_cached(catalog_file, store.root() / "cache");
  Job job = tuning_study_job(request, name);
  validate_job(job);
  if (!study::is_study(job)) throw InputError("HyperParameterTuningJobConfig", "", "is required");
  PlanContext context{(store.folder_of(name) / "job-dir").string(), {}};
  study::check_study_job(job, catalog, context, store, "");  // its first trial read, checked and planned
  if (flags->dry_run) {
    std::cout << "# The tuning job " << name << " is valid: its controller would run as a Slurm job of its own, "
              << "its trials as SageMaker training jobs " << name << "_trial_N\n";
    return kExitOk;
  }
  {
    InterruptionGuard interruption;
    study::submit_study(job, store, catalog_file, slurm);
  }
  if (submitted_job_id) *submitted_job_id = name;
  if (output == SubmitOutput::kJobIdOnly) std::cout << name << std::endl;
  if (output == SubmitOutput::kJson) {
    if (auto record = store.load(name)) std::cout << study::described_job(*record, slurm).dump() << std::endl;
  }
  if (output == SubmitOutput::kHuman) {
    std::cout << nlohmann::json{{"HyperParameterTuningJobArn",
                                 "arn:mljob:sagemaker::hyper-parameter-tuning-job/" + name}}
                     .dump(2)
              << "\n";
    std::cerr << "Tuning job [" << name << "] submitted: its controller runs as a Slurm job. See it with\n\n"
              << "  $ mljob describe " << name << " --format sagemaker\n\n";
  }
  return kExitOk;
}

}  // namespace mljob::bridge
