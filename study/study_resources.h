// How a tuning study is shown: its TrainingOutput in `mljob describe` (trials best first), its
// SageMaker form (`--format sagemaker`) and its HTML report (`mljob report`). Read-only views of
// the study's state file (study/study_files.h); the controller writes it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/job_store.h"
#include "core/slurm_access.h"
#include "tuner/sagemaker_output.h"

namespace mljob::study {

// jobs::job_resources, with each study's trials' ML units added to its own (one Slurm query for
// all). `records_used` as there.
std::vector<nlohmann::json> job_resources(const std::vector<JobRecord>& records, const SlurmAccess& slurm,
                                          std::map<std::string, std::vector<AccountingRecord>>* records_used = nullptr);

// One job as `mljob describe` answers it: its resource, the metrics it reported (finalMetric)
// and, for a study, its trials best first.
nlohmann::json described_job(const JobRecord& record, const SlurmAccess& slurm);

// A study's resource in SageMaker's DescribeHyperParameterTuningJob form (status, counters,
// BestTrainingJob); nullopt for a job that is not a study.
std::optional<nlohmann::json> sagemaker_study_output(const nlohmann::json& resource, const JobRecord& record);
// A study's trials as ListTrainingJobsForHyperParameterTuningJob answers; nullopt when the record
// is not a study's.
std::optional<nlohmann::json> sagemaker_study_training_jobs(const JobRecord& record,
                                                            const tuner::TrainingJobQuery& query);

// Adds the study's TrainingOutput (trials best first) to a study job's resource; no-op for others.
void add_study_output(nlohmann::json& resource, const JobRecord& record);

}  // namespace mljob::study
