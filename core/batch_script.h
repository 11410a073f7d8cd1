// Renders a SlurmPlan as an sbatch script. Values from users (module, args, paths) appear
// only inside single quotes; #SBATCH lines carry only validated names and numbers.
#pragma once

#include <string>
#include <vector>

#include "core/plan.h"

namespace mljob {

std::string render_batch_script(const SlurmPlan& plan);

// Options for the sbatch command line (never passed through a shell), for values that may
// contain anything: output path, working directory, comment.
struct SubmitOptions {
  std::string output_file;
  std::string working_dir;
  std::string comment;
};
std::vector<std::string> sbatch_arguments(const SubmitOptions& options, const std::string& script_path);

// POSIX shell single-quoting: the result is one word whose value is exactly `text`.
std::string shell_quote(const std::string& text);

}  // namespace mljob
