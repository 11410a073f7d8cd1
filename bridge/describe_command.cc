#include "bridge/describe_command.h"

#include <unistd.h>

#include <iostream>

#include "base/input_error.h"
#include "bridge/job_flags.h"
#include "bridge/output_format.h"
#include "jobs/metrics_view.h"
#include "jobs/sagemaker_view.h"
#include "study/study_resources.h"

namespace mljob::bridge {

int describe(const Arguments& args, const SlurmAccess& slurm) {
  CommonFlags flags;
  if (!parse_common(args, "mljob describe JOB_ID [--format yaml|json|table|sagemaker]", true, flags, {"sagemaker"}))
    return kExitOk;
  JobStore store = JobStore::from_environment();
  JobRecord record = load_or_fail(store, flags.job_id);
  nlohmann::json resource = study::job_resources({record}, slurm).front();
  jobs::add_metric_outputs(resource, record);  // finalMetric, FinalMetricDataList (jobs/metrics_view.h)
  if (flags.format == "sagemaker" && jobs::is_sagemaker_job(record)) {
    // A job from `mljob submit sagemaker` as DescribeTrainingJob answers for it.
    std::cout << jobs::describe_training_job(resource, record).dump(2) << "\n";
    return kExitOk;
  }
  if (flags.format == "sagemaker") {
    // A study as SageMaker's DescribeHyperParameterTuningJob shows it, in JSON.
    auto sagemaker = study::sagemaker_study_output(resource, record);
    if (!sagemaker) {
      throw InputError("--format", "sagemaker",
                       "is for tuning studies and jobs submitted with `mljob submit sagemaker`; " + flags.job_id +
                           " is an AI Platform training job");
    }
    std::cout << sagemaker->dump(2) << "\n";
    return kExitOk;
  }
  study::add_study_output(resource, record);  // a study's trials, best first (study/study_resources.h)
  if (flags.format == "table")
    print_job_table({resource});
  else
    print_formatted(resource, flags.format);
  if (flags.format == "yaml" && ::isatty(STDOUT_FILENO)) {
    if (std::string line = jobs::objective_sparkline(record); !line.empty()) std::cout << "# " << line << "\n";
  }
  return kExitOk;
}

}  // namespace mljob::bridge
