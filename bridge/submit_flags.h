// mljob submit training's flags, and the Job they make: pure (no Slurm, no files but --config).
// Flags override the --config file as gcloud's do.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bridge/command.h"
#include "core/job.h"

namespace mljob::bridge {

struct SubmitFlags {
  std::string job_id, config, scale_tier, module_name, package_path, job_dir, labels, runtime_version, python_version,
      region, master_machine_type, master_accelerator, master_image_uri, worker_machine_type, worker_accelerator,
      parameter_server_machine_type, tiers_file;
  std::vector<std::string> packages;
  std::optional<std::int64_t> worker_count, parameter_server_count;
  bool dry_run = false, stream_logs = false, async = false, use_chief = false;
  std::string format;  // --format yaml|json: the submitted Job resource; empty: gcloud's short form
  std::vector<std::string> user_args;
  bool has_user_args = false;
};

// Reads the command line (JOB_ID, flags, and after "--" the program's own arguments). Prints
// the help and exits for --help. Throws InputError naming the flag.
SubmitFlags parse_submit_flags(const Arguments& args);

// --labels KEY=VALUE,...: InputError at --labels for an item without '='.
std::map<std::string, std::string> parse_labels(const std::string& text);

// The Job the flags describe: the --config file's, with each flag given overriding it.
Job job_from_flags(const SubmitFlags& flags);

}  // namespace mljob::bridge
