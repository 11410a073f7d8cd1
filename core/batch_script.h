// Renders a SlurmPlan as an sbatch script. Values from users (module, args, paths) appear
// only inside single quotes; #SBATCH lines carry only validated names and numbers.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/plan.h"

namespace mljob {

std::string render_batch_script(const SlurmPlan& plan);

// The resource options of one component (--ntasks, --cpus-per-task, --mem-per-cpu, GPUs,
// partition, ...), as #SBATCH lines take them.
std::vector<std::string> component_options(const SlurmComponent& component);

// One element of a job array: array index `index` runs `script` (a batch script rendered by
// render_batch_script) in `folder`, with `environment` exported first.
struct ArrayElement {
  int index = 0;
  std::string folder;
  std::string script;
  std::map<std::string, std::string> environment;  // names must be shell identifiers
};
// A job array of single-component jobs that share `plan`'s resources (the trials of a study):
// #SBATCH --array=<indices>%<throttle>, so Slurm runs at most `throttle` elements at once.
std::string render_array_script(const SlurmPlan& plan, const std::string& job_name,
                                const std::vector<ArrayElement>& elements, int throttle);

// Options for the sbatch command line (never passed through a shell), for values that may
// contain anything: output path, working directory, comment.
struct SubmitOptions {
  std::string output_file;
  std::string working_dir;
  std::string comment;
  std::string array;  // --array: overrides the script's (`mljob resume` runs some shards again)
};
std::vector<std::string> sbatch_arguments(const SubmitOptions& options, const std::string& script_path);

// POSIX shell single-quoting: the result is one word whose value is exactly `text`.
std::string shell_quote(const std::string& text);

}  // namespace mljob
