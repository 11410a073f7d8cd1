// mljob submit training JOB_ID [flags] [-- USER_ARGS...]: gcloud ai-platform jobs submit
// training, on Slurm. Flags override the --config file as gcloud does.
#include <boost/program_options.hpp>

#include <chrono>
#include <functional>
#include <fstream>
#include <iostream>
#include <thread>

#include "bridge/cli.h"
#include "bridge/output_tail.h"
#include "bridge/command_line.h"
#include "bridge/job_view.h"
#include "bridge/metrics_declarations.h"
#include "bridge/study_controller.h"
#include "core/batch_script.h"
#include "base/files.h"
#include "core/fit_check.h"
#include "base/interruption.h"
#include "core/inventory_cache.h"
#include "core/job_state.h"
#include "core/package_stager.h"
#include "core/planner.h"
#include "base/input_error.h"
#include "core/spec_parser.h"
#include "core/validation.h"
#include "tiers/catalog_cache.h"
#include "tiers/catalog_loader.h"
#include "tuner/hyperparameter_spec.h"
#include "tuner/sagemaker_tuning.h"
#include "tuner/trial_spec.h"

namespace mljob::cli {
namespace {

namespace po = boost::program_options;
namespace fs = std::filesystem;

struct SubmitFlags {
  std::string job_id, config, scale_tier, module_name, package_path, job_dir, labels, runtime_version,
      python_version, region, master_machine_type, master_accelerator, master_image_uri, worker_machine_type,
      worker_accelerator, parameter_server_machine_type, tiers_file;
  std::vector<std::string> packages;
  std::optional<std::int64_t> worker_count, parameter_server_count;
  bool dry_run = false, stream_logs = false, async = false, use_chief = false;
  std::string format;  // --format yaml|json: the submitted Job resource; empty: gcloud's short form
  std::vector<std::string> user_args;
  bool has_user_args = false;
};

po::options_description submit_options(SubmitFlags& f) {
  po::options_description options("mljob submit training JOB_ID [options] [-- USER_ARGS...]");
  options.add_options()
      ("help,h", "show this help")
      ("config", po::value(&f.config), "job spec file (YAML or JSON): trainingInput, labels, jobId, or a whole Job")
      ("scale-tier", po::value(&f.scale_tier), "BASIC (the default), STANDARD_1, PREMIUM_1, BASIC_GPU, CUSTOM")
      ("module-name", po::value(&f.module_name), "the Python module to run, e.g. trainer.task")
      ("package-path", po::value(&f.package_path), "local folder of the Python package to stage")
      ("packages", po::value<std::vector<std::string>>()->multitoken(), "packages, comma separated: folders, wheels, sdists or tarballs, local or http(s) URLs")
      ("job-dir", po::value(&f.job_dir), "the folder passed to the program as --job-dir")
      ("labels", po::value(&f.labels), "labels KEY=VALUE,...")
      ("runtime-version", po::value(&f.runtime_version), "runtime version (the site maps it to an environment)")
      ("python-version", po::value(&f.python_version), "Python version")
      ("region", po::value(&f.region), "recorded for compatibility; Slurm has one region")
      ("master-machine-type", po::value(&f.master_machine_type), "CUSTOM: the master's machine type")
      ("master-accelerator", po::value(&f.master_accelerator), "count=N,type=TYPE")
      ("master-image-uri", po::value(&f.master_image_uri), "container image for the master (refused: mljob runs Python packages)")
      ("worker-count", po::value<std::int64_t>(), "CUSTOM: number of workers")
      ("worker-machine-type", po::value(&f.worker_machine_type), "CUSTOM: the workers' machine type")
      ("worker-accelerator", po::value(&f.worker_accelerator), "count=N,type=TYPE")
      ("parameter-server-count", po::value<std::int64_t>(), "CUSTOM: number of parameter servers")
      ("parameter-server-machine-type", po::value(&f.parameter_server_machine_type), "CUSTOM: their machine type")
      ("use-chief-in-tf-config", po::bool_switch(&f.use_chief), "name the master 'chief' in TF_CONFIG")
      ("stream-logs", po::bool_switch(&f.stream_logs), "wait for the job, printing its output; exit 0 only if it SUCCEEDED")
      ("async", po::bool_switch(&f.async), "return once submitted (the default)")
      ("dry-run", po::bool_switch(&f.dry_run), "print the plan and the batch script; submit nothing")
      ("format", po::value(&f.format), "yaml or json: print the submitted Job resource, as describe does")
      ("tiers", po::value(&f.tiers_file), "tier catalog file (default: $MLJOB_TIERS, then /etc/mljob/tiers.yaml)");
  return options;
}

// "count=2,type=NVIDIA_TESLA_T4"
AcceleratorConfig parse_accelerator(const std::string& flag, const std::string& text) {
  AcceleratorConfig config;
  std::istringstream parts(text);
  std::string part;
  while (std::getline(parts, part, ',')) {
    auto eq = part.find('=');
    std::string key = part.substr(0, eq), value = eq == std::string::npos ? "" : part.substr(eq + 1);
    if (key == "type") {
      config.type = value;
    } else if (key == "count") {
      try {
        std::size_t used = 0;
        config.count = std::stoll(value, &used);
        if (used != value.size()) throw std::invalid_argument(value);
      } catch (const std::exception&) {
        throw InputError(flag, text, "count must be an integer, as in count=1,type=NVIDIA_TESLA_T4");
      }
    } else {
      throw InputError(flag, text, "must be count=N,type=TYPE");
    }
  }
  if (config.type.empty()) throw InputError(flag, text, "needs type=TYPE, as in count=1,type=NVIDIA_TESLA_T4");
  if (config.count == 0) config.count = 1;
  return config;
}

std::map<std::string, std::string> parse_labels(const std::string& text) {
  std::map<std::string, std::string> labels;
  std::istringstream parts(text);
  std::string part;
  while (std::getline(parts, part, ',')) {
    auto eq = part.find('=');
    if (eq == std::string::npos || eq == 0) throw InputError("--labels", text, "must be KEY=VALUE,...");
    labels[part.substr(0, eq)] = part.substr(eq + 1);
  }
  return labels;
}

template <typename T>
void override_if(T& target, const std::optional<T>& value) {
  if (value) target = *value;
}
void override_if(std::string& target, const std::string& value) {
  if (!value.empty()) target = value;
}

Job build_job(const SubmitFlags& f) {
  Job job = f.config.empty() ? Job{} : parse_job_spec_file(f.config);
  TrainingInput& in = job.training_input;
  override_if(job.job_id, f.job_id);
  override_if(in.scale_tier, f.scale_tier);
  override_if(in.python_module, f.module_name);
  override_if(in.job_dir, f.job_dir);
  override_if(in.runtime_version, f.runtime_version);
  override_if(in.python_version, f.python_version);
  override_if(in.region, f.region);
  override_if(in.master_type, f.master_machine_type);
  override_if(in.master_config.image_uri, f.master_image_uri);
  override_if(in.worker_type, f.worker_machine_type);
  override_if(in.parameter_server_type, f.parameter_server_machine_type);
  override_if(in.worker_count, f.worker_count);
  override_if(in.parameter_server_count, f.parameter_server_count);
  if (!f.master_accelerator.empty()) in.master_config.accelerator_config = parse_accelerator("--master-accelerator", f.master_accelerator);
  if (!f.worker_accelerator.empty()) in.worker_config.accelerator_config = parse_accelerator("--worker-accelerator", f.worker_accelerator);
  if (f.use_chief) in.use_chief_in_tf_config = true;
  if (!f.labels.empty()) {
    for (const auto& [key, value] : parse_labels(f.labels)) job.labels[key] = value;
  }
  for (const auto& entry : f.packages) in.package_uris.push_back(entry);
  if (f.has_user_args) in.args = f.user_args;  // as gcloud: args after -- replace the file's
  return job;
}

std::vector<std::string> component_role_names(const SlurmPlan& plan) {
  std::vector<std::string> names;
  for (const auto& component : plan.components) {
    std::string name;
    for (const auto& span : component.roles) {
      if (!name.empty()) name += " and ";
      name += span.tasks == 1 ? span.role : std::to_string(span.tasks) + " " + span.role + (span.role == "ps" ? "" : "s");
    }
    names.push_back(name);
  }
  return names;
}

void print_plan(const SlurmPlan& plan) {
  std::cout << "# Plan: " << plan.components.size() << " heterogeneous component(s), " << plan.total_tasks()
            << " task(s), roles " << plan.ml_roles() << "\n";
  for (std::size_t c = 0; c < plan.components.size(); ++c) {
    const auto& comp = plan.components[c];
    std::cout << "#   component " << c << ": " << component_role_names(plan)[c] << ", " << comp.tasks << " x ("
              << comp.machine_type << ": " << comp.cpus_per_task << " CPUs, "
              << comp.memory_per_cpu_mb * comp.cpus_per_task << " MB";
    if (comp.gpus_per_task) std::cout << ", " << comp.gpus_per_task << " GPU " << comp.gpu_type;
    std::cout << ")\n";
  }
}

}  // namespace

nlohmann::json wait_for_end(const std::string& job_id, const SlurmAccess& slurm,
                            const std::function<void(const nlohmann::json&)>& on_poll) {
  constexpr int kAccountingGraceSeconds = 20;
  int waited_for_accounting = 0;
  JobStore store = JobStore::from_environment();
  for (;;) {
    auto record = store.load(job_id);
    if (!record) throw std::runtime_error("the record of job " + job_id + " disappeared");
    std::map<std::string, std::vector<AccountingRecord>> used;
    nlohmann::json resource = job_resources({*record}, slurm, &used).front();
    on_poll(resource);
    if (is_final_state(resource["state"])) {
      // The grace is counted from the end of the job, not from the start of the wait.
      bool settled = every_component_accounted(used[record->slurm_job_id], record->component_roles.size()) ||
                     waited_for_accounting++ >= kAccountingGraceSeconds;
      if (settled) return resource;
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

namespace {

// Waits for the job to end, printing its output as it grows. Exit 0 only on SUCCEEDED.
int stream_until_done(const JobStore& store, const std::string& job_id, const SlurmAccess& slurm) {
  OutputTail output(store.folder_of(job_id) / "output.log");
  nlohmann::json resource = wait_for_end(job_id, slurm, [&](const nlohmann::json&) { output.print_new(std::cout); });
  output.print_new(std::cout);
  std::string state = resource["state"];
  std::cerr << "Job [" << job_id << "] ended: " << state;
  if (resource.contains("errorMessage")) std::cerr << ": " << resource["errorMessage"].get<std::string>();
  std::cerr << "\n";
  return state == "SUCCEEDED" ? kExitOk : kExitFailure;
}

// A plan the cluster can never run would pend forever: refuse it, saying why.
void refuse_if_never_fits(const Job& job, const SlurmPlan& plan, const ClusterInventory& cluster) {
  auto reasons = reasons_plan_never_fits(plan, cluster);
  if (reasons.empty()) return;
  std::string rule = "this job can never start on this cluster: ";
  for (std::size_t i = 0; i < reasons.size(); ++i) rule += (i ? "; " : "") + reasons[i];
  const TrainingInput& in = job.training_input;
  throw InputError("trainingInput.scaleTier", in.scale_tier == "CUSTOM" ? "CUSTOM (" + in.master_type + ")" : in.scale_tier, rule);
}

// How old a cached `sinfo` answer may be to accept a plan on (see core/inventory_cache.h).
constexpr std::chrono::seconds kInventoryMaxAge{60};

// Accepts a plan that fits a recent inventory at once; anything else is decided on a fresh one,
// so that no job is ever refused on stale data.
void check_fit(const Job& job, const SlurmPlan& plan, const SlurmAccess& slurm, const InventoryCache& cache) {
  if (auto cached = cache.load_fresh(); cached && reasons_plan_never_fits(plan, *cached).empty()) return;
  std::string fresh = slurm.inventory_text();
  cache.save(fresh);
  refuse_if_never_fits(job, plan, parse_sinfo_nodes(fresh));
}

// A HyperparameterSpec with params is a tuning study: every rule of the spec is checked here,
// and the study runs under its controller (bridge/study_controller.h). A block without params
// only names the metric of a single run (hyperparameterMetricTag).
bool is_study(const Job& job) {
  const nlohmann::json& spec = job.training_input.hyperparameters;
  if (!spec.is_object() || !(spec.contains("params") || tuner::is_sagemaker_tuning(spec))) return false;
  tuner::parse_hyperparameter_spec(spec, "trainingInput.hyperparameters");
  return true;
}

// A study's trials run its job as SageMaker's TrainingJobDefinition changes it (static
// hyperparameters, metric regexes, stopping condition: tuner/trial_spec.h). That job is checked
// here as any job is, so a contradiction or a time limit the catalog refuses is refused at
// submit, not at every trial's launch.
void check_trial_job(const Job& study_job, const tiers::TierCatalog& catalog, const PlanContext& context) {
  tuner::HyperparameterSpec spec = tuner::parse_hyperparameter_spec(study_job.training_input.hyperparameters, "trainingInput.hyperparameters");
  if (!spec.trial_definition) return;
  Job trial = parse_job_spec(tuner::trial_job_spec(to_json(study_job), tuner::Trial{}, spec).dump(), "the trial's job");
  try {
    validate_job(trial);
    validate_against_catalog(trial, catalog);
    check_metric_declarations(trial);
    plan_job(trial, catalog, context);
  } catch (const InputError& error) {
    // Machines from ResourceConfig are refused in the field the user wrote, not the one made of it.
    bool about_machines = error.field().starts_with("trainingInput.masterType") || error.field().starts_with("trainingInput.workerType");
    if (spec.trial_definition->instance_type.empty() || !about_machines) throw;
    throw InputError("trainingInput.hyperparameters.TrainingJobDefinition.ResourceConfig.InstanceType", error.value(), error.rule());
  }
}

// A study's own checks beyond its job's: its trials' job (above), its packages, which every
// trial stages itself and so are not staged at submit, and its trials' job IDs (check_study).
void check_study_job(const Job& study_job, const tiers::TierCatalog& catalog, const PlanContext& context,
                     const JobStore& store, const std::string& package_path) {
  check_trial_job(study_job, catalog, context);
  check_packages(package_path, study_job.training_input.package_uris);
  check_study(study_job, store);
}

SubmitFlags parse_flags(const Arguments& args) {
  SubmitFlags flags;
  Arguments own = args;
  if (auto dashes = std::find(own.begin(), own.end(), "--"); dashes != own.end()) {
    flags.user_args.assign(dashes + 1, own.end());
    flags.has_user_args = true;
    own.erase(dashes, own.end());
  }
  auto options = submit_options(flags);
  po::variables_map vm = parse_command_line(own, options, &flags.job_id);
  if (vm.count("help")) {
    std::cout << options << "\n";
    std::exit(kExitOk);
  }
  if (vm.count("worker-count")) flags.worker_count = vm["worker-count"].as<std::int64_t>();
  if (vm.count("parameter-server-count")) flags.parameter_server_count = vm["parameter-server-count"].as<std::int64_t>();
  if (vm.count("packages")) {
    for (const auto& group : vm["packages"].as<std::vector<std::string>>()) {
      std::istringstream items(group);
      for (std::string item; std::getline(items, item, ',');) if (!item.empty()) flags.packages.push_back(item);
    }
  }
  if (flags.job_id.empty()) throw InputError("JOB_ID", "", "is required: mljob submit training JOB_ID ...");
  return flags;
}

// Reserves the job's folder and fills it: packages staged, metric declarations, job.sbatch.
// On failure the folder is released, so nothing is left behind.
PreparedJob prepare_job_folder(Job& job, const tiers::TierCatalog& catalog, const JobStore& store,
                               const std::string& package_path) {
  fs::path folder = store.reserve(job.job_id);
  try {
    PlanContext context{(folder / "job-dir").string(), {}};
    StagingOptions staging{fetch_limits_from_environment(), terminal_progress};
    for (const auto& entry : stage_packages(package_path, job.training_input.package_uris, folder / "packages", staging)) {
      context.python_path.push_back(entry.string());
    }
    SlurmPlan plan = plan_job(job, catalog, context);
    plan.step_wrapper = collector_wrapper(folder);
    write_atomically(folder / metrics::kDeclarationsFile, metric_declarations(job).dump(2) + "\n");
    fs::path script = folder / "job.sbatch";
    write_atomically(script, render_batch_script(plan));
    SubmitOptions submit{(folder / "output.log").string(), folder.string(), "mljob:" + job.job_id};
    JobRecord record{to_json(job), "", component_role_names(plan), plan.task_roles(), false, folder};
    return {std::move(record), std::move(plan), script, submit};
  } catch (...) {
    store.release(job.job_id);
    throw_if_interrupted();  // a Ctrl-C that also stopped tar says so, not "could not be unpacked"
    throw;
  }
}

// The spec from the command line, with the API's defaults applied and every rule checked.
struct CheckedSubmission {
  SubmitFlags flags;
  Job job;
  std::vector<std::string> defaulted;  // what the API's defaults filled in, for --dry-run
  tiers::TierCatalog catalog;
};

CheckedSubmission check_submission(const Arguments& args) {
  CheckedSubmission checked;
  checked.flags = parse_flags(args);
  checked.job = build_job(checked.flags);
  checked.defaulted = apply_api_defaults(checked.job);
  validate_job(checked.job);
  // From $MLJOB_HOME/cache while the catalog's files are unchanged: parsing the YAML was the
  // largest part of what submit adds to sbatch (tiers/catalog_cache.h).
  checked.catalog = tiers::load_catalog_cached(tiers::effective_catalog_path(checked.flags.tiers_file),
                                               JobStore::from_environment().root() / "cache");
  validate_against_catalog(checked.job, checked.catalog);
  check_metric_declarations(checked.job);  // a bad metric regex is refused here, before anything is done
  return checked;
}

// Reserves the job's (or the study's) folder, fills it, submits it and records it. From the
// reservation on, a Ctrl-C or SIGTERM undoes what is half-done (base/interruption.h); one that
// comes once the job is submitted and recorded ends the command after it has said so.
void submit_and_record(Job& job, bool study, const tiers::TierCatalog& catalog, const JobStore& store,
                       const SubmitFlags& flags, SubmitOutput output, const SlurmAccess& slurm) {
  InterruptionGuard interruption;
  if (study) {
    // Each trial stages the packages itself: a local package folder is passed on as a path.
    if (!flags.package_path.empty()) job.training_input.package_uris.push_back(fs::absolute(flags.package_path).string());
    submit_study(job, store, tiers::effective_catalog_path(flags.tiers_file), slurm);  // its trials use the same catalog
    if (output == SubmitOutput::kHuman) std::cerr << "Study [" << job.job_id << "] submitted: its controller runs as a Slurm job.\n";
    return;
  }
  PreparedJob prepared = prepare_job_folder(job, catalog, store, flags.package_path);
  try {
    throw_if_interrupted();  // the last point where a Ctrl-C stops the submission
    // A comment of this submission's own: if sbatch's answer is lost, the job is found by it.
    BatchSubmission marked{prepared.script, prepared.submit, {}};
    marked.options.comment = unique_comment(marked.options.comment);
    prepared.record.slurm_job_id = slurm.submit_marked(marked);
    save_or_cancel(store, prepared.record, slurm);
  } catch (const SubmissionUnknown&) {
    throw;  // Slurm may hold the job: its folder stays, for its output (the message says so)
  } catch (const UncancelledJobWithoutRecord&) {
    throw;  // the job may run: its folder stays, for its output (the message says so)
  } catch (...) {
    store.release(job.job_id);
    throw;
  }
  if (output == SubmitOutput::kHuman) {
    std::cerr << "Job [" << job.job_id << "] submitted successfully as Slurm job " << prepared.record.slurm_job_id << ".\n";
  }
}

}  // namespace

void save_or_cancel(const JobStore& store, const JobRecord& record, const SlurmAccess& slurm) {
  try {
    store.save(record);
  } catch (const std::exception& error) {
    const std::string& id = record.slurm_job_id;
    std::string what = "the job's record could not be saved (" + std::string(error.what()) + "), ";
    try {
      slurm.cancel(id);
    } catch (const std::exception& cancel_error) {
      throw UncancelledJobWithoutRecord(what + "and its Slurm job " + id + " could not be cancelled either (" +
                                        cancel_error.what() + "): cancel it with `scancel " + id + "`; its folder " +
                                        record.folder.string() + " is kept for its output");
    }
    throw std::runtime_error(what + "so its Slurm job " + id + " was cancelled: nothing runs without a record");
  }
}

SlurmPlan plan_training(const Arguments& args) {
  CheckedSubmission checked = check_submission(args);
  fs::path folder = JobStore::from_environment().folder_of(checked.job.job_id);
  return plan_job(checked.job, checked.catalog, {(folder / "job-dir").string(), {(folder / "packages").string()}});
}

PreparedJob prepare_training(const Arguments& args, const SlurmAccess& slurm) {
  CheckedSubmission checked = check_submission(args);
  Job& job = checked.job;
  if (is_study(job)) throw InputError("trainingInput.hyperparameters.params", "", "a job prepared on its own cannot be a study");
  JobStore store = JobStore::from_environment();
  PlanContext context{(store.folder_of(job.job_id) / "job-dir").string(), {}};
  check_fit(job, plan_job(job, checked.catalog, context), slurm, InventoryCache(store.root() / "cache", kInventoryMaxAge));
  return prepare_job_folder(job, checked.catalog, store, checked.flags.package_path);
}

namespace {

// --format prints the Job resource that was submitted; a dry run submits none, and
// --stream-logs prints the job's output instead.
void check_submit_format(const SubmitFlags& flags) {
  if (flags.format.empty()) return;
  require_format(flags.format, {"yaml", "json"});
  if (flags.dry_run || flags.stream_logs) {
    throw InputError("--format", flags.format, std::string("prints the submitted Job resource, which ") +
                                                  (flags.dry_run ? "--dry-run does not submit" : "--stream-logs replaces with the job's output"));
  }
}

// The Job resource of a job just submitted, as `mljob describe` answers it (state from Slurm).
nlohmann::json described_job(const JobStore& store, const std::string& job_id, const SlurmAccess& slurm) {
  auto record = store.load(job_id);
  if (!record) throw std::runtime_error("the record of job " + job_id + " disappeared");
  return job_resource(*record, slurm);
}

}  // namespace

int submit_training(const Arguments& args, const SlurmAccess& slurm, SubmitOutput output, std::string* submitted_job_id) {
  CheckedSubmission checked = check_submission(args);
  const SubmitFlags& flags = checked.flags;
  if (output != SubmitOutput::kHuman && (flags.dry_run || flags.stream_logs)) {
    throw InputError(flags.dry_run ? "--dry-run" : "--stream-logs", "", "is for `mljob submit training`; mljob-submit only submits (use --wait)");
  }
  check_submit_format(flags);
  Job& job = checked.job;
  const tiers::TierCatalog& catalog = checked.catalog;
  const std::vector<std::string>& defaulted = checked.defaulted;
  bool study = is_study(job);

  JobStore store = JobStore::from_environment();
  fs::path folder = store.folder_of(job.job_id);
  PlanContext context{(folder / "job-dir").string(), {(folder / "packages").string()}};

  if (flags.dry_run) {
    SlurmPlan plan = plan_job(job, catalog, context);  // refuses unplannable jobs like a submit
    if (study) check_study_job(job, catalog, context, store, flags.package_path);
    for (const auto& note : defaulted) std::cout << "# Default: " << note << "\n";
    plan.step_wrapper = collector_wrapper(folder);
    print_plan(plan);
    std::cout << render_batch_script(plan);
    try {
      refuse_if_never_fits(job, plan, slurm.inventory());
      std::cout << "# Fit: the cluster can run this plan\n";
    } catch (const SlurmError& e) {
      std::cout << "# Fit: not checked (" << e.what() << ")\n";
    }
    return kExitOk;
  }

  SlurmPlan plan = plan_job(job, catalog, context);  // before reserving: bad specs leave nothing
  if (study) check_study_job(job, catalog, context, store, flags.package_path);
  check_fit(job, plan, slurm, InventoryCache(store.root() / "cache", kInventoryMaxAge));
  submit_and_record(job, study, catalog, store, flags, output, slurm);
  if (submitted_job_id) *submitted_job_id = job.job_id;
  if (output == SubmitOutput::kSilent) return kExitOk;
  if (output == SubmitOutput::kJobIdOnly) {
    std::cout << job.job_id << std::endl;
    return kExitOk;
  }
  if (output == SubmitOutput::kJson) {
    std::cout << described_job(store, job.job_id, slurm).dump() << std::endl;  // one line: the Job resource
    return kExitOk;
  }
  if (flags.stream_logs) return stream_until_done(store, job.job_id, slurm);
  if (!flags.format.empty()) {
    print_formatted(described_job(store, job.job_id, slurm), flags.format);
    return kExitOk;
  }
  std::cerr << "Your job is still active. You may view the status of your job with the command\n\n  $ mljob describe "
            << job.job_id << "\n\n";
  std::cout << "jobId: " << job.job_id << "\nstate: QUEUED\n";
  return kExitOk;
}

}  // namespace mljob::cli
