#include "bridge/submit_flags.h"

#include <boost/program_options.hpp>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <sstream>

#include "base/input_error.h"
#include "bridge/command_line.h"
#include "core/spec_parser.h"

namespace mljob::bridge {
namespace {

namespace po = boost::program_options;

po::options_description submit_options(SubmitFlags& f) {
  po::options_description options("mljob submit training JOB_ID [options] [-- USER_ARGS...]");
  options.add_options()("help,h", "show this help")(
      "config", po::value(&f.config), "job spec file (YAML or JSON): trainingInput, labels, jobId, or a whole Job")(
      "scale-tier", po::value(&f.scale_tier), "BASIC (the default), STANDARD_1, PREMIUM_1, BASIC_GPU, CUSTOM")(
      "module-name", po::value(&f.module_name), "the Python module to run, e.g. trainer.task")(
      "package-path", po::value(&f.package_path), "local folder of the Python package to stage")(
      "packages", po::value<std::vector<std::string>>()->multitoken(),
      "packages, comma separated: folders, wheels, sdists or tarballs, local or http(s) URLs")(
      "job-dir", po::value(&f.job_dir), "the folder passed to the program as --job-dir")(
      "labels", po::value(&f.labels), "labels KEY=VALUE,...")("runtime-version", po::value(&f.runtime_version),
                                                              "runtime version (the site maps it to an environment)")(
      "python-version", po::value(&f.python_version), "Python version")(
      "region", po::value(&f.region), "recorded for compatibility; Slurm has one region")(
      "master-machine-type", po::value(&f.master_machine_type), "CUSTOM: the master's machine type")(
      "master-accelerator", po::value(&f.master_accelerator), "count=N,type=TYPE")(
      "master-image-uri", po::value(&f.master_image_uri),
      "container image for the master (refused: mljob runs Python packages)")("worker-count", po::value<std::int64_t>(),
                                                                              "CUSTOM: number of workers")(
      "worker-machine-type", po::value(&f.worker_machine_type), "CUSTOM: the workers' machine type")(
      "worker-accelerator", po::value(&f.worker_accelerator), "count=N,type=TYPE")(
      "parameter-server-count", po::value<std::int64_t>(), "CUSTOM: number of parameter servers")(
      "parameter-server-machine-type", po::value(&f.parameter_server_machine_type), "CUSTOM: their machine type")(
      "use-chief-in-tf-config", po::bool_switch(&f.use_chief), "name the master 'chief' in TF_CONFIG")(
      "stream-logs", po::bool_switch(&f.stream_logs),
      "wait for the job, printing its output; exit 0 only if it SUCCEEDED")("async", po::bool_switch(&f.async),
                                                                            "return once submitted (the default)")(
      "dry-run", po::bool_switch(&f.dry_run), "print the plan and the batch script; submit nothing")(
      "format", po::value(&f.format), "yaml or json: print the submitted Job resource, as describe does")(
      "tiers", po::value(&f.tiers_file), "tier catalog file (default: $MLJOB_TIERS, then /etc/mljob/tiers.yaml)");
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

template <typename T>
void override_if(T& target, const std::optional<T>& value) {
  if (value) target = *value;
}
void override_if(std::string& target, const std::string& value) {
  if (!value.empty()) target = value;
}

}  // namespace

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

Job job_from_flags(const SubmitFlags& f) {
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
  if (!f.master_accelerator.empty())
    in.master_config.accelerator_config = parse_accelerator("--master-accelerator", f.master_accelerator);
  if (!f.worker_accelerator.empty())
    in.worker_config.accelerator_config = parse_accelerator("--worker-accelerator", f.worker_accelerator);
  if (f.use_chief) in.use_chief_in_tf_config = true;
  if (!f.labels.empty()) {
    for (const auto& [key, value] : parse_labels(f.labels)) job.labels[key] = value;
  }
  for (const auto& entry : f.packages) in.package_uris.push_back(entry);
  if (f.has_user_args) in.args = f.user_args;  // as gcloud: args after -- replace the file's
  return job;
}

SubmitFlags parse_submit_flags(const Arguments& args) {
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
  if (vm.count("parameter-server-count"))
    flags.parameter_server_count = vm["parameter-server-count"].as<std::int64_t>();
  if (vm.count("packages")) {
    for (const auto& group : vm["packages"].as<std::vector<std::string>>()) {
      std::istringstream items(group);
      for (std::string item; std::getline(items, item, ',');)
        if (!item.empty()) flags.packages.push_back(item);
    }
  }
  if (flags.job_id.empty()) throw InputError("JOB_ID", "", "is required: mljob submit training JOB_ID ...");
  return flags;
}

}  // namespace mljob::bridge
