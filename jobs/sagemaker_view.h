// A job from SageMaker's front door as SageMaker's API answers for it: DescribeTrainingJob's
// response and ListTrainingJobs' summary, made from the Job resource (state and times from Slurm
// accounting, FinalMetricDataList from metrics.db) and what the job's script wrote on the way
// (sagemaker/phases: when training and uploading began; sagemaker/output/failure: the trainer's
// own FailureReason, as SageMaker reads /opt/ml/output/failure).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/job_store.h"

namespace mljob::jobs {

// Whether the record is a SageMaker training job's.
bool is_sagemaker_job(const JobRecord& record);

// What the job's script wrote in sagemaker/phases (epoch seconds; absent: not reached).
struct SageMakerPhases {
  std::optional<std::int64_t> training, uploading, ended;
  std::optional<std::int64_t> signalled;  // Slurm's warning before the time limit came (or a cancel's SIGTERM)
  std::optional<int> exit_status;
};
SageMakerPhases read_phases(const std::string& text);

// TrainingJobStatus and SecondaryStatus of a job in `state` (the Job resource's). A job that
// got SageMaker's warning (the SIGTERM 120 s before MaxRuntimeInSeconds), and not because the
// user cancelled it, ends Stopped by MaxRuntimeExceeded whatever its program did then, as
// SageMaker reports it; so does one Slurm ended at its time limit.
struct SageMakerStatus {
  std::string status, secondary;
};
SageMakerStatus sagemaker_status(const std::string& state, bool cancel_requested, bool reached_time_limit,
                                 const SageMakerPhases& phases);

// DescribeTrainingJob's response. `resource`: the Job resource (jobs/job_view.h), with
// FinalMetricDataList when the job has MetricDefinitions (jobs/metrics_view.h).
nlohmann::ordered_json describe_training_job(const nlohmann::json& resource, const JobRecord& record);

// ListTrainingJobs' TrainingJobSummary.
nlohmann::ordered_json training_job_summary(const nlohmann::json& resource, const JobRecord& record);

// "2026-11-22T02:30:00Z" back to epoch seconds; nullopt when it is not one.
std::optional<std::int64_t> parse_rfc3339_utc(const std::string& text);

}  // namespace mljob::jobs
