// How a tuning study is shown: its TrainingOutput in `mljob describe` (trials best first), its
// SageMaker form (`--format sagemaker`) and its HTML report (`mljob report`). Read-only views of
// the study's state file (bridge/study_files.h); the controller writes it.
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "bridge/cli.h"
#include "core/job_store.h"

namespace mljob::cli {

// mljob report STUDY_JOB_ID --html FILE: the study drawn (report/study_report.h).
int report_study(const Arguments& args);

// A study's resource in SageMaker's DescribeHyperParameterTuningJob form (status, counters,
// BestTrainingJob); nullopt for a job that is not a study.
std::optional<nlohmann::json> sagemaker_study_output(const nlohmann::json& resource, const JobRecord& record);

// Adds the study's TrainingOutput (trials best first) to a study job's resource; no-op for others.
void add_study_output(nlohmann::json& resource, const JobRecord& record);

}  // namespace mljob::cli
