#include "bridge/sagemaker_command.h"

#include <boost/program_options.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

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

std::optional<SageMakerFlags> parse_flags(const Arguments& args) {
  SageMakerFlags flags;
  po::options_description options("mljob submit sagemaker FILE.json [--tiers FILE] [--dry-run]");
  options.add_options()("help,h", "show this help")(
      "tiers", po::value(&flags.tiers_file), "the tier catalog (default: $MLJOB_TIERS, then /etc/mljob/tiers.yaml)")(
      "dry-run", po::bool_switch(&flags.dry_run), "check, plan and print the batch script; submit nothing");
  po::variables_map vm = parse_command_line(args, options, &flags.file);
  if (vm.count("help")) {
    std::cout << options << "\nFILE: a CreateTrainingJob request (JSON, as boto3 sends it), or - for stdin.\n";
    return std::nullopt;
  }
  if (flags.file.empty()) throw InputError("FILE", "", "give the CreateTrainingJob request (a JSON file, or -)");
  return flags;
}

std::string read_request(const std::string& file) {
  std::ostringstream text;
  if (file == "-") {
    text << std::cin.rdbuf();
  } else {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw InputError("FILE", file, "cannot be read");
    text << in.rdbuf();
  }
  if (text.str().size() > kMaxRequestBytes) throw InputError("FILE", file, "is larger than 1 MiB");
  return text.str();
}

// The job's rules as any job's, against the catalog; then what the request sets to no effect.
void check_training(const SageMakerTraining& training, const tiers::TierCatalog& catalog) {
  validate_job(training.job);
  validate_against_catalog(training.job, catalog);
  jobs::check_metric_declarations(training.job);
  for (const auto& field : training.no_effect) warn_ignored(field);
}

void print_dry_run(const SageMakerTraining& training, const SlurmPlan& plan, const SlurmAccess& slurm) {
  print_plan(plan);
  for (const auto& channel : training.channels) {
    std::cout << "# Channel " << channel.name << ": " << channel.uri << " -> " << channel.local_path
              << (channel.sharded ? " (sharded by key over the hosts)" : "") << "\n";
  }
  std::cout << "# Model artifacts: " << training.model_artifacts_uri << " -> " << training.model_artifacts_path << "\n";
  std::cout << render_batch_script(plan);
  try {
    jobs::refuse_if_never_fits(training.job, plan, slurm.inventory());
    std::cout << "# Fit: the cluster can run this plan\n";
  } catch (const SlurmError& e) {
    std::cout << "# Fit: not checked (" << e.what() << ")\n";
  }
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
  // The name is checked by the parser before it becomes a folder's.
  nlohmann::ordered_json request;
  try {
    request = nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::parse_error& error) {
    throw InputError("FILE", flags->file, std::string("is not JSON (a CreateTrainingJob request): ") + error.what());
  }
  if (request.is_object() && request.contains("TrainingJobName") && request["TrainingJobName"].is_string())
    check_sagemaker_job_name(request["TrainingJobName"].get<std::string>(), "TrainingJobName");
  std::string name = request.is_object() ? request.value("TrainingJobName", "") : "";
  fs::path folder = name.empty() ? fs::path("/nonexistent") : store.folder_of(name);
  SageMakerTraining training = parse_sagemaker_training(request, catalog, {folder.string()});
  check_training(training, catalog);
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

}  // namespace mljob::bridge
