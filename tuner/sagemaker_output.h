// A study in SageMaker's terms, for users who ask for that form (`mljob describe STUDY
// --format sagemaker`): DescribeHyperParameterTuningJob's status, TrainingJobStatusCounters,
// ObjectiveStatusCounters and BestTrainingJob. Pure: the study and its job's state in, JSON out.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "tuner/study.h"

namespace mljob::tuner {

// `job_state` is the study job's AI Platform state (QUEUED ... CANCELLED).
nlohmann::json sagemaker_tuning_job(const Study& study, const std::string& study_job_id, const std::string& job_state);

}  // namespace mljob::tuner
