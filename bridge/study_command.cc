#include "bridge/study_command.h"

#include <iostream>
#include <string>

#include "base/input_error.h"
#include "study/study_controller.h"
#include "tuner/study_command.h"

namespace mljob::bridge {
namespace {

// The one JOB_ID `mljob study run|resume` takes.
std::string job_id_argument(const Arguments& args, const std::string& usage) {
  if (args.size() != 1 || args[0].empty() || args[0][0] == '-') {
    throw InputError("JOB_ID", args.empty() ? "" : args[0], "usage: " + usage);
  }
  return args[0];
}

}  // namespace

int study_command(const Arguments& args, const SlurmAccess& slurm) {
  if (!args.empty() && args[0] == "run") {
    return study::run_study_controller(job_id_argument({args.begin() + 1, args.end()}, "mljob study run JOB_ID"),
                                       slurm);
  }
  if (!args.empty() && args[0] == "resume") {
    return study::resume_study(job_id_argument({args.begin() + 1, args.end()}, "mljob study resume JOB_ID"), slurm);
  }
  return tuner::run_study_command(args, std::cin, std::cout, std::cerr);
}

}  // namespace mljob::bridge
