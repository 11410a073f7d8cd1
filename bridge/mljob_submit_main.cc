// mljob-submit: the submit command for lab scripts. Takes exactly the arguments of
// `mljob submit training`, prints only the job ID (or one JSON line with --format json), and
// with --wait waits for the job, exiting 0 only if it SUCCEEDED.
#include <unistd.h>

#include <iostream>

#include "base/input_error.h"
#include "bridge/command.h"
#include "bridge/command_line.h"
#include "bridge/ffdl_command.h"
#include "bridge/output_tail.h"
#include "bridge/prediction_command.h"
#include "bridge/sagemaker_command.h"
#include "bridge/submit_command.h"
#include "core/job_store.h"
#include "core/slurm_commands.h"
#include "jobs/job_waiting.h"
#include "study/study_resources.h"

namespace {

using namespace mljob;

constexpr const char* kUsage =
    R"(usage: mljob-submit [--wait] [--stream-logs] [--format text|json] JOB_ID [mljob submit training flags] [-- ARGS]
       mljob-submit [--wait] [--stream-logs] [--format text|json] sagemaker CreateTrainingJob.json [--tiers FILE]
       mljob-submit [--wait] [--stream-logs] [--format text|json] sagemaker-tuning CreateHyperParameterTuningJob.json
       mljob-submit [--wait] [--stream-logs] [--format text|json] ffdl --manifest manifest.yml --model-definition D [--tiers FILE]
       mljob-submit [--wait] [--format text|json] prediction JOB_ID [mljob submit prediction flags]

Submits a training job like `mljob submit training` (or `mljob submit sagemaker` / `ffdl`:
an FfDL training's ID is its training ID) and prints only its job ID on stdout
(--format json: the Job resource as `mljob describe --format json` gives it, on one line).
With --wait it then waits for the job to end (on a terminal, state changes are shown on
stderr) and exits 0 only if it SUCCEEDED; with --format json it prints the final Job resource.
--stream-logs waits as --wait does and copies the job's output to stderr as it grows.
Exit status: 0 ok, 1 failed job or Slurm failure, 2 bad input.
)";

struct WrapperFlags {
  bool wait = false;
  bool stream_logs = false;  // stdout stays the job ID's: the logs go to stderr
  std::string format = "text";
  bridge::Arguments rest;
};

WrapperFlags parse(const std::vector<std::string>& argv) {
  WrapperFlags flags;
  bool user_args = false;  // never look at what follows "--": it belongs to the trainer
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (!user_args && arg == "--") user_args = true;
    if (!user_args && arg == "--wait") {
      flags.wait = true;
    } else if (!user_args && arg == "--stream-logs") {
      flags.wait = flags.stream_logs = true;
    } else if (!user_args && arg == "--format" && i + 1 < argv.size()) {
      flags.format = argv[++i];
    } else if (!user_args && arg.rfind("--format=", 0) == 0) {
      flags.format = arg.substr(9);
    } else {
      flags.rest.push_back(arg);
    }
  }
  if (flags.format != "text" && flags.format != "json")
    throw InputError("--format", flags.format, "must be text or json");
  return flags;
}

int wait_and_report(const std::string& job_id, const WrapperFlags& flags, const SlurmAccess& slurm) {
  bool terminal = ::isatty(STDERR_FILENO) != 0;
  std::string last_state;
  bridge::OutputTail output(JobStore::from_environment().folder_of(job_id) / "output.log");
  nlohmann::json job = jobs::wait_for_end(job_id, slurm, [&](const nlohmann::json& resource) {
    std::string state = resource.value("state", "");
    if (terminal && state != last_state) std::cerr << "mljob-submit: " << job_id << " " << state << std::endl;
    last_state = state;
    if (flags.stream_logs) output.print_new(std::cerr);
  });
  if (flags.stream_logs) output.print_new(std::cerr);
  if (flags.format == "json") {
    // The Job resource as describe gives it: a study's trials and a job's metrics included.
    auto record = JobStore::from_environment().load(job_id);
    std::cout << (record ? study::described_job(*record, slurm) : job).dump() << std::endl;
  }
  if (job["state"] != "SUCCEEDED") {
    std::cerr << "mljob-submit: " << job_id << " ended " << job["state"].get<std::string>();
    if (job.contains("errorMessage")) std::cerr << ": " << job["errorMessage"].get<std::string>();
    std::cerr << "\n";
    return bridge::kExitFailure;
  }
  return bridge::kExitOk;
}

int run(const std::vector<std::string>& argv) {
  if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
    std::cout << kUsage;
    return argv.empty() ? bridge::kExitBadInput : bridge::kExitOk;
  }
  WrapperFlags flags = parse(argv);
  // Text: the job ID at once, even with --wait, so a script can log it. JSON: one document,
  // the final Job resource when waiting.
  auto output = flags.format == "text" ? bridge::SubmitOutput::kJobIdOnly
                : flags.wait           ? bridge::SubmitOutput::kSilent
                                       : bridge::SubmitOutput::kJson;
  std::string job_id;
  SlurmCommands slurm;
  // `mljob-submit sagemaker FILE.json`: SageMaker's CreateTrainingJob request (sagemaker-tuning:
  // its CreateHyperParameterTuningJob); anything else
  // is `mljob submit training`'s arguments.
  // `mljob-submit ffdl --manifest M --model-definition D`: an FfDL training (its ID is made here).
  std::string front_door = flags.rest.empty() ? "" : flags.rest[0];
  bridge::Arguments after(flags.rest.begin() + (flags.rest.empty() ? 0 : 1), flags.rest.end());
  int status = front_door == "sagemaker"          ? bridge::submit_sagemaker(after, slurm, output, &job_id)
               : front_door == "sagemaker-tuning" ? bridge::submit_sagemaker_tuning(after, slurm, output, &job_id)
               : front_door == "ffdl"             ? bridge::submit_ffdl(after, slurm, output, &job_id)
               : front_door == "prediction"       ? bridge::submit_prediction(after, slurm, output, &job_id)
                                                  : bridge::submit_training(flags.rest, slurm, output, &job_id);
  if (status != bridge::kExitOk || !flags.wait) return status;
  return wait_and_report(job_id, flags, slurm);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return bridge::run_reporting_errors("mljob-submit", [&] {
    bridge::check_arguments_are_text(args);
    return run(args);
  });
}
