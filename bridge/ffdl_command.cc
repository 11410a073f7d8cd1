#include "bridge/ffdl_command.h"

#include <unistd.h>

#include <boost/program_options.hpp>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <system_error>

#include "base/document_limits.h"
#include "base/input_error.h"
#include "base/interruption.h"
#include "bridge/command_line.h"
#include "bridge/job_flags.h"
#include "bridge/logs_command.h"
#include "bridge/metrics_command.h"
#include "core/batch_script.h"
#include "core/ffdl_manifest.h"
#include "core/inventory_cache.h"
#include "core/job_state.h"
#include "core/planner.h"
#include "core/validation.h"
#include "jobs/ffdl_staging.h"
#include "jobs/ffdl_view.h"
#include "jobs/job_preparation.h"
#include "jobs/job_waiting.h"
#include "jobs/metrics_declarations.h"
#include "study/study_resources.h"
#include "tiers/catalog_cache.h"
#include "tiers/catalog_loader.h"

namespace mljob::bridge {
namespace {

namespace fs = std::filesystem;
namespace po = boost::program_options;

// A manifest is a few KiB; FfDL's REST server reads it whole into memory too.
constexpr std::size_t kMaxManifestBytes = 1 << 20;

constexpr const char* kUsage = R"(usage: mljob ffdl COMMAND [ARGS]

FfDL's operations on trainings submitted with `mljob submit ffdl` (docs/ffdl.md):
  show TRAINING_ID                              the training as FfDL's GetTrainingJob answers (JSON)
  list                                          your FfDL trainings, newest first ({"models": [...]})
  halt TRAINING_ID                              stop it; its folder and results are kept (HALTED)
  delete TRAINING_ID [--yes]                    stop it if it runs, then remove its folder and record
  model-definition TRAINING_ID --output F.zip   the staged model definition as a zip (--force to replace F)
  trained-model TRAINING_ID --output F.zip      what the trainer wrote in RESULT_DIR, as a zip (ended trainings)
  logs TRAINING_ID [mljob logs flags]           the training's log lines (mljob logs; --format json: LogLine)
  emetrics TRAINING_ID [mljob metrics flags]    its evaluation metrics (mljob metrics; JSON EMetrics by default)
)";

struct SubmitFlags {
  std::string manifest, model_definition, tiers_file;
  bool dry_run = false;
};

std::optional<SubmitFlags> parse_submit_flags(const Arguments& args) {
  SubmitFlags flags;
  po::options_description options(
      "mljob submit ffdl --manifest manifest.yml --model-definition model.zip|FOLDER [--tiers FILE] [--dry-run]");
  options.add_options()("help,h", "show this help")("manifest", po::value(&flags.manifest),
                                                    "the training's FfDL manifest (YAML)")(
      "model-definition", po::value(&flags.model_definition),
      "the model definition: a .zip file or a folder, staged into the training's MODEL_DIR")(
      "tiers", po::value(&flags.tiers_file), "the tier catalog (default: $MLJOB_TIERS, then /etc/mljob/tiers.yaml)")(
      "dry-run", po::bool_switch(&flags.dry_run), "check, plan and print the batch script; submit nothing");
  std::string positional;
  po::variables_map vm = parse_command_line(args, options, &positional);
  if (vm.count("help")) {
    std::cout << options << "\n";
    return std::nullopt;
  }
  if (!positional.empty())
    throw InputError("ARGS", positional,
                     "give the manifest and the model definition as --manifest and --model-definition");
  if (flags.manifest.empty()) throw InputError("--manifest", "", "give the training's manifest.yml");
  if (flags.model_definition.empty())
    throw InputError("--model-definition", "", "give the model definition (a .zip file or a folder)");
  // Checked before the job's folder is made, so that a missing one leaves nothing.
  std::error_code error;
  if (!fs::exists(flags.model_definition, error))
    throw InputError("--model-definition", flags.model_definition, "does not exist");
  return flags;
}

std::string read_manifest(const std::string& file) {
  return read_document_file(file, "--manifest", kMaxManifestBytes);
}

void print_dry_run(const FfdlJob& training, const SlurmPlan& plan, const SlurmAccess& slurm) {
  print_plan(plan);
  std::cout << "# Learners: " << training.learners << " x " << training.machine_type << "\n";
  const FfdlFolders& f = training.folders;
  std::cout << "# DATA_DIR: " << f.data_dir << "\n# RESULT_DIR: " << f.result_dir << "\n# MODEL_DIR: " << f.model_dir
            << "\n";
  std::cout << render_batch_script(plan);
  print_fit(training.job, plan, slurm);
}

// ---- the commands on a training ------------------------------------------------------------

// The record of one of the user's FfDL trainings; an InputError for another kind of job.
JobRecord load_ffdl(const JobStore& store, const std::string& id) {
  if (id.empty()) throw InputError("TRAINING_ID", "", "give the training's ID (training-...)");
  JobRecord record = load_or_fail(store, id);
  if (!jobs::is_ffdl_job(record))
    throw InputError("TRAINING_ID", id, "is not an FfDL training (it was not submitted with `mljob submit ffdl`)");
  return record;
}

std::string state_of(const JobRecord& record, const SlurmAccess& slurm) {
  return study::job_resources({record}, slurm).front().value("state", "");
}

// "TRAINING_ID [flags]" for the commands on one training; returns false after printing help.
bool parse_one(const Arguments& args, po::options_description& options, std::string& id) {
  options.add_options()("help,h", "show this help");
  po::variables_map vm = parse_command_line(args, options, &id);
  if (vm.count("help")) {
    std::cout << options << "\n";
    return false;
  }
  if (id.empty()) throw InputError("TRAINING_ID", "", "give the training's ID (training-...)");
  return true;
}

int show(const Arguments& args, const SlurmAccess& slurm) {
  po::options_description options("mljob ffdl show TRAINING_ID");
  std::string id;
  if (!parse_one(args, options, id)) return kExitOk;
  JobStore store = JobStore::from_environment();
  JobRecord record = load_ffdl(store, id);
  nlohmann::json resource = study::job_resources({record}, slurm).front();
  std::cout << jobs::ffdl_model(resource, record).dump(2) << "\n";
  return kExitOk;
}

int list(const Arguments& args, const SlurmAccess& slurm) {
  po::options_description options("mljob ffdl list");
  options.add_options()("help,h", "show this help");
  po::variables_map vm = parse_command_line(args, options, nullptr);
  if (vm.count("help")) {
    std::cout << options << "\n";
    return kExitOk;
  }
  JobStore store = JobStore::from_environment();
  std::vector<JobRecord> records = store.load_all();
  std::erase_if(records, [](const JobRecord& r) { return !jobs::is_ffdl_job(r); });
  std::vector<nlohmann::json> resources = study::job_resources(records, slurm);  // one Slurm query for all
  std::vector<std::size_t> order(records.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return resources[a].value("createTime", std::string()) > resources[b].value("createTime", std::string());
  });
  nlohmann::ordered_json out = {{"models", nlohmann::ordered_json::array()}};  // GetAllTrainingsJobs' ModelList
  for (std::size_t i : order) out["models"].push_back(jobs::ffdl_model(resources[i], records[i]));
  std::cout << out.dump(2) << "\n";
  return kExitOk;
}

// Marks the training halted (HALTED from now on, jobs/ffdl_view.h) and cancels its Slurm job.
// The caller holds the record's lock.
void halt_running(JobRecord& record, const JobStore& store, const SlurmAccess& slurm) {
  record.front_door["halted"] = true;
  record.cancel_requested = true;  // the Job resource says CANCELLING, as after `mljob cancel`
  store.save(record);              // first, so show says HALTED from now on
  slurm.cancel(record.slurm_job_id);
}

int halt(const Arguments& args, const SlurmAccess& slurm) {
  po::options_description options("mljob ffdl halt TRAINING_ID");
  std::string id;
  if (!parse_one(args, options, id)) return kExitOk;
  JobStore store = JobStore::from_environment();
  load_ffdl(store, id);  // before the lock: an unknown ID is refused without a lock file made
  // Read, decide and write as one step, as cancel does.
  JobStore::Lock lock = store.lock(id);
  JobRecord record = load_ffdl(store, id);
  std::string state = state_of(record, slurm);
  if (is_final_state(state) || state == "CANCELLING") {
    // Idempotent, as FfDL's halt of a training that has ended.
    std::cerr << "Training '" << id << "' has already ended or is ending (" << state << "); nothing to halt.\n";
    return kExitOk;
  }
  std::cout << "Halting training '" << id << "'..." << std::endl;
  halt_running(record, store, slurm);
  std::cout << "OK\n";
  return kExitOk;
}

// Asks on the terminal; anything but y or yes is no.
bool confirmed(const std::string& id) {
  std::cerr << "Delete " << id << "? [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes" || answer == "YES" || answer == "Yes";
}

int remove_training(const Arguments& args, const SlurmAccess& slurm) {
  po::options_description options("mljob ffdl delete TRAINING_ID [--yes]");
  bool yes = false;
  options.add_options()("yes,y", po::bool_switch(&yes), "delete without asking");
  std::string id;
  if (!parse_one(args, options, id)) return kExitOk;
  JobStore store = JobStore::from_environment();
  JobRecord record = load_ffdl(store, id);
  if (!yes) {
    // Deleting removes the training's results in its folder: never on a guess.
    if (::isatty(STDIN_FILENO) == 0)
      throw InputError("--yes", "", "is needed to delete " + id + " when there is no terminal to ask on");
    if (!confirmed(id)) {
      std::cerr << "Nothing deleted.\n";
      return kExitOk;
    }
  }
  std::cout << "Deleting model '" << id << "'..." << std::endl;
  fs::path folder = record.folder;
  fs::path result_dir = jobs::result_dir_of(record);
  {
    JobStore::Lock lock = store.lock(id);
    record = load_ffdl(store, id);
    std::string state = state_of(record, slurm);
    if (!is_final_state(state)) {
      if (state != "CANCELLING") halt_running(record, store, slurm);
      // Its learners write into the folder until Slurm has ended them.
      jobs::wait_for_end(id, slurm, [](const nlohmann::json&) {});
    }
    std::error_code error;
    fs::remove_all(folder, error);
    if (error) throw std::system_error(error, "deleting " + id + ": cannot remove " + folder.string());
  }
  // RESULT_DIR in a data store's container is the user's data, outside the job's folder: kept.
  auto [end, _] = std::mismatch(folder.begin(), folder.end(), result_dir.begin(), result_dir.end());
  if (end != folder.end())
    std::cerr << "The training's results in " << result_dir.string() << " are kept (outside its folder).\n";
  std::cout << "OK\n";
  return kExitOk;
}

// Writes `folder` as a zip at `output`: never over an existing file unless `force`, and never
// inside `folder` (the zip would hold itself).
void download(const fs::path& folder, const fs::path& output, bool force, const std::string& what) {
  std::error_code error, target_error, source_error;
  fs::path target = fs::absolute(output);
  fs::path inside = fs::weakly_canonical(target, target_error);
  fs::path source = fs::weakly_canonical(folder, source_error);
  auto [end, _] = std::mismatch(source.begin(), source.end(), inside.begin(), inside.end());
  if (!target_error && !source_error && end == source.end())
    throw InputError("--output", output.string(), "is inside the " + what + " being zipped (" + folder.string() + ")");
  bool exists = fs::exists(fs::symlink_status(target, error));
  if (exists && !force) throw InputError("--output", output.string(), "exists: give --force to replace it");
  if (exists && fs::is_directory(target)) throw InputError("--output", output.string(), "is a folder, not a file");
  // Written beside the target and renamed over it: a failure leaves the old file as it was.
  fs::path partial = target;
  partial += ".partial-" + std::to_string(::getpid());
  jobs::ZipSummary summary;
  try {
    summary = jobs::write_zip(folder, partial);
    fs::rename(partial, target);
  } catch (const std::exception& e) {
    fs::remove(partial, error);
    throw std::runtime_error("writing the " + what + " to " + output.string() + ": " + e.what());
  }
  for (const auto& skipped : summary.skipped)
    std::cerr << "Not in the zip (a link or special file): " << skipped.string() << "\n";
  std::cerr << "Wrote " << output.string() << ": " << summary.files << " files, " << summary.bytes << " bytes.\n";
}

// A download's command line: TRAINING_ID --output FILE.zip [--force].
struct DownloadRequest {
  std::string id, output;
  bool force = false;
};
std::optional<DownloadRequest> parse_download(const Arguments& args, const std::string& command) {
  po::options_description options("mljob ffdl " + command + " TRAINING_ID --output FILE.zip [--force]");
  DownloadRequest request;
  options.add_options()("output,o", po::value(&request.output), "the zip file to write")(
      "force", po::bool_switch(&request.force), "replace FILE.zip if it exists");
  if (!parse_one(args, options, request.id)) return std::nullopt;
  if (request.output.empty()) throw InputError("--output", "", "give the zip file to write");
  return request;
}

int model_definition(const Arguments& args, const SlurmAccess&) {
  auto request = parse_download(args, "model-definition");
  if (!request) return kExitOk;
  JobRecord record = load_ffdl(JobStore::from_environment(), request->id);
  download(jobs::model_dir_of(record), request->output, request->force, "model definition");
  return kExitOk;
}

int trained_model(const Arguments& args, const SlurmAccess& slurm) {
  auto request = parse_download(args, "trained-model");
  if (!request) return kExitOk;
  const std::string& id = request->id;
  JobRecord record = load_ffdl(JobStore::from_environment(), id);
  // A running trainer is still writing: a zip of half its results would pass for the model.
  if (std::string state = state_of(record, slurm); !is_final_state(state))
    throw InputError("TRAINING_ID", id, "has not ended (it is " + state + "): its trained model is not complete yet");
  fs::path results = jobs::result_dir_of(record);
  if (!fs::is_directory(results))
    throw std::runtime_error("the trained model of " + id + ": its RESULT_DIR " + results.string() + " is gone");
  download(results, request->output, request->force, "trained model");
  return kExitOk;
}

// `mljob logs` and `mljob metrics` already answer in FfDL's records (LogLine, EMetrics).
bool has_format(const Arguments& args) {
  return std::any_of(args.begin(), args.end(), [](const std::string& a) { return a.rfind("--format", 0) == 0; });
}

int emetrics(const Arguments& args, const SlurmAccess&) {
  Arguments forwarded = args;
  if (!has_format(args)) forwarded.insert(forwarded.end(), {"--format", "json"});
  return metrics_command(forwarded);
}

}  // namespace

int submit_ffdl(const Arguments& args, const SlurmAccess& slurm, SubmitOutput output, std::string* submitted_job_id) {
  auto flags = parse_submit_flags(args);
  if (!flags) return kExitOk;
  if (output != SubmitOutput::kHuman && flags->dry_run)
    throw InputError("--dry-run", "", "is for `mljob submit ffdl`; mljob-submit only submits");
  std::string text = read_manifest(flags->manifest);
  JobStore store = JobStore::from_environment();
  tiers::TierCatalog catalog =
      tiers::load_catalog_cached(tiers::effective_catalog_path(flags->tiers_file), store.root() / "cache");
  // FfDL's REST server names the training; so does this front door, before anything is read.
  std::string id = new_ffdl_training_id();
  fs::path folder = store.folder_of(id);
  FfdlJob training = parse_ffdl_manifest(text, flags->manifest, catalog, {id, folder.string()});
  jobs::check_front_door_job(training.job, catalog, training.ignored);
  SlurmPlan plan = plan_job(training.job, catalog, PlanContext{(folder / "job-dir").string(), {}});
  if (flags->dry_run) {
    plan.step_wrapper = jobs::collector_wrapper(folder, catalog.max_log_bytes_per_job);
    print_dry_run(training, plan, slurm);
    return kExitOk;
  }
  jobs::check_fit(training.job, plan, slurm, InventoryCache(store.root() / "cache", jobs::kInventoryMaxAge));
  if (output == SubmitOutput::kHuman) {
    // FfDL's CLI's words (cli/cmd/train.go).
    bool zip = fs::is_regular_file(flags->model_definition);
    std::cout << "Deploying model with manifest '" << fs::path(flags->manifest).filename().string() << "' and "
              << (zip ? "model file '" : "model files in '") << flags->model_definition << "'..." << std::endl;
  }
  {
    InterruptionGuard interruption;
    jobs::PreparedJob prepared = jobs::prepare_job_folder(training.job, catalog, store, "", [&](const fs::path&) {
      jobs::stage_model_definition(flags->model_definition, training.folders.model_dir, "--model-definition");
      jobs::prepare_ffdl_folders(training.folders);
    });
    prepared.record.front_door["folders"] = jobs::ffdl_folders_json(training.folders);
    jobs::submit_and_save(prepared, id, store, slurm);
  }
  if (submitted_job_id) *submitted_job_id = id;
  if (output == SubmitOutput::kJobIdOnly) {
    std::cout << id << std::endl;
  } else if (output == SubmitOutput::kJson) {
    if (auto record = store.load(id)) std::cout << study::described_job(*record, slurm).dump() << std::endl;
  } else if (output == SubmitOutput::kHuman) {
    std::cout << "Model ID: " << id << "\nOK\n";
  }
  return kExitOk;
}

int ffdl_command(const Arguments& args, const SlurmAccess& slurm) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << kUsage;
    return args.empty() ? kExitBadInput : kExitOk;
  }
  using Command = int (*)(const Arguments&, const SlurmAccess&);
  static const std::vector<std::pair<std::string, Command>> commands = {{"show", show},
                                                                        {"list", list},
                                                                        {"halt", halt},
                                                                        {"delete", remove_training},
                                                                        {"model-definition", model_definition},
                                                                        {"trained-model", trained_model},
                                                                        {"logs", logs_command},
                                                                        {"emetrics", emetrics}};
  Arguments rest(args.begin() + 1, args.end());
  for (const auto& [name, command] : commands) {
    if (name == args[0]) return command(rest, slurm);
  }
  throw InputError("ffdl", args[0],
                   "must be show, list, halt, delete, model-definition, trained-model, logs or emetrics (see mljob "
                   "ffdl --help)");
}

}  // namespace mljob::bridge
