// A study in SageMaker's terms, for users who ask for that form (`mljob describe STUDY
// --format sagemaker`): DescribeHyperParameterTuningJob's status, its config (the ranges
// included; a DISCRETE parameter, which SageMaker lacks, as a categorical range of its values),
// TrainingJobStatusCounters, ObjectiveStatusCounters, BestTrainingJob, the times, and the
// TrainingJobDefinition and WarmStartConfig as submitted. As SageMaker's, the counters and
// BestTrainingJob cover only the training jobs this study ran; after an IdenticalDataAndAlgorithm
// warm start (or AI Platform's resumePreviousJobId) OverallBestTrainingJob is the best of those
// and its parents' trials. Pure: the study and its job in, JSON out.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "tuner/study.h"

namespace mljob::tuner {

// `study_job` is the study's Job resource: its jobId, state (QUEUED ... CANCELLED), createTime,
// endTime and trainingInput.hyperparameters as submitted.
nlohmann::json sagemaker_tuning_job(const Study& study, const nlohmann::json& study_job);

// ListTrainingJobsForHyperParameterTuningJob's request, as far as it filters and sorts: an
// empty status is any; SortBy Name | CreationTime | Status | FinalObjectiveMetricValue
// (SageMaker's default: CreationTime); SortOrder Ascending | Descending (default Descending).
struct TrainingJobQuery {
  std::string status_equals;
  std::string sort_by = "CreationTime";
  std::string sort_order = "Descending";
};
// Its response: {"TrainingJobSummaries": [HyperParameterTrainingJobSummary...]} of the training
// jobs this study ran. `study_name` is the study's job ID.
nlohmann::json sagemaker_training_jobs(const Study& study, const std::string& study_name,
                                       const TrainingJobQuery& query);

}  // namespace mljob::tuner
