// mljob: run AI Platform-style training jobs on Slurm.
#include <iostream>
#include <map>

#include "base/input_error.h"
#include "bridge/cancel_command.h"
#include "bridge/command.h"
#include "bridge/command_line.h"
#include "bridge/describe_command.h"
#include "bridge/ffdl_command.h"
#include "bridge/list_command.h"
#include "bridge/logs_command.h"
#include "bridge/metrics_command.h"
#include "bridge/prediction_command.h"
#include "bridge/report_command.h"
#include "bridge/sagemaker_command.h"
#include "bridge/stream_logs_command.h"
#include "bridge/study_command.h"
#include "bridge/submit_command.h"
#include "bridge/tiers_command.h"
#include "bridge/update_command.h"
#include "core/slurm_commands.h"

namespace {

using namespace mljob;

constexpr const char* kUsage = R"(usage: mljob COMMAND [ARGS]

Commands:
  submit training JOB_ID [flags] [-- ARGS]   submit a training job (gcloud-compatible flags)
  submit sagemaker FILE.json                 submit a SageMaker CreateTrainingJob request
  submit sagemaker-tuning FILE.json          submit a SageMaker CreateHyperParameterTuningJob request
  submit ffdl --manifest M --model-definition D  submit an FfDL training (manifest.yml; model .zip or folder)
  submit prediction JOB_ID [flags]           submit a batch prediction job (gcloud-compatible flags)
  resume JOB_ID                               run a prediction job's unfinished shards again
  describe JOB_ID [--format yaml|json|table]  the Job resource, state from Slurm (--format sagemaker: SageMaker's)
  list [--filter EXPR] [--page-size N]        your jobs, newest first (--page-token, --limit, --format)
  list --study NAME [--sort-by K]             a study's training jobs, as SageMaker lists them
  cancel JOB_ID                               cancel a job (idempotent)
  update JOB_ID --update-labels K=V [--etag E]  change labels (--remove-labels K); stale etags refused
  stream-logs JOB_ID [--all-replicas]        the master's output (or every replica's); --tail N, --follow
  metrics JOB_ID [--group G] [--plot F.svg]   collected metrics (--since, --pos, --limit, --format json|csv|table)
  logs JOB_ID [--follow]                      collected log lines (--since, --pos, --limit, --replica RANK)
  study init|ask|tell|report|show|serve ...   hyperparameter suggestions over a study file (ask/tell)
  study run|resume JOB_ID                     a study's controller (run inside its Slurm job); resume one that ended
  ffdl show|list|halt|delete|... [ID]         FfDL's operations on FfDL trainings (mljob ffdl --help)
  report STUDY_JOB_ID --html FILE             a tuning study drawn: objective per trial, best so far, each parameter
  tiers show [FILE]                           the effective tier catalog
  tiers check [FILE]                          check the catalog against the live cluster

Run 'mljob COMMAND --help' for a command's flags. Exit status: 0 ok, 1 failure, 2 bad input.
)";

int dispatch(const std::vector<std::string>& argv, const SlurmAccess& slurm) {
  if (argv.empty() || argv[0] == "--help" || argv[0] == "-h" || argv[0] == "help") {
    std::cout << kUsage;
    return argv.empty() ? bridge::kExitBadInput : bridge::kExitOk;
  }
  if (argv[0] == "--version") {
    std::cout << "mljob " << MLJOB_VERSION << "\n";  // PROJECT_VERSION (CMakeLists.txt)
    return bridge::kExitOk;
  }
  const std::string& command = argv[0];
  bridge::Arguments rest(argv.begin() + 1, argv.end());
  if (command == "submit") {
    std::string kind = rest.empty() ? "" : rest[0];
    bridge::Arguments after(rest.begin() + (rest.empty() ? 0 : 1), rest.end());
    if (kind == "training") return bridge::submit_training(after, slurm);
    if (kind == "sagemaker") return bridge::submit_sagemaker(after, slurm);
    if (kind == "sagemaker-tuning") return bridge::submit_sagemaker_tuning(after, slurm);
    if (kind == "ffdl") return bridge::submit_ffdl(after, slurm);
    if (kind == "prediction") return bridge::submit_prediction(after, slurm);
    throw InputError(
        "submit", kind,
        "must be training (AI Platform: mljob submit training JOB_ID ...), prediction (mljob submit prediction "
        "JOB_ID ...), sagemaker (mljob submit "
        "sagemaker CreateTrainingJob.json), sagemaker-tuning (CreateHyperParameterTuningJob.json) or ffdl "
        "(mljob submit ffdl --manifest manifest.yml "
        "--model-definition model.zip)");
  }
  // Commands that ask Slurm get the one SlurmAccess; the others read only the job store.
  using WithSlurm = int (*)(const bridge::Arguments&, const SlurmAccess&);
  using StoreOnly = int (*)(const bridge::Arguments&);
  static const std::map<std::string, WithSlurm> with_slurm = {
      {"describe", bridge::describe},       {"list", bridge::list},         {"cancel", bridge::cancel},
      {"stream-logs", bridge::stream_logs}, {"tiers", bridge::tiers},       {"logs", bridge::logs_command},
      {"study", bridge::study_command},     {"ffdl", bridge::ffdl_command}, {"resume", bridge::resume}};
  static const std::map<std::string, StoreOnly> store_only = {
      {"update", bridge::update}, {"metrics", bridge::metrics_command}, {"report", bridge::report_study}};
  if (auto found = with_slurm.find(command); found != with_slurm.end()) return found->second(rest, slurm);
  if (auto found = store_only.find(command); found != store_only.end()) return found->second(rest);
  throw InputError("command", command, "is not an mljob command (see mljob --help)");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  SlurmCommands slurm;  // the one route to Slurm today: its commands (core/slurm_commands.h)
  return bridge::run_reporting_errors("mljob", [&] {
    bridge::check_arguments_are_text(args);
    return dispatch(args, slurm);
  });
}
