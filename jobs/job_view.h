// The Job resource of plain jobs (a study's is study/study_resources.h): the record's spec plus state, times and
// errorMessage derived from Slurm accounting (one sacct call for any number of jobs).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/job_store.h"
#include "core/slurm_access.h"

namespace mljob::jobs {

// The jobs whose consumedMLUnits count toward a record's own (a study's trials: study/).
using RelatedJobs = std::function<std::vector<JobRecord>(const JobRecord&)>;

// `records_used`, if given, receives the Slurm records each answer was derived from, by Slurm
// job ID, so a caller can judge them without asking Slurm again. `counted_with` names, for each
// record, the jobs whose ML units are added to its own; their Slurm records come in the same
// one query.
std::vector<nlohmann::json> job_resources(const std::vector<JobRecord>& records, const SlurmAccess& slurm,
                                          std::map<std::string, std::vector<AccountingRecord>>* records_used = nullptr,
                                          const RelatedJobs& counted_with = {});

// Which Slurm comments mark a record's jobs (core/accounting records_of_job keeps only theirs):
// the one it was submitted with; for a prediction job, any of its own; for a record made before
// mljob kept the comment, any.
std::function<bool(const std::string&)> marks_of(const JobRecord& record);

// Whether a Job resource says that Slurm lost the job (slurmctld forgot it, or gave its ID to
// another job): it no longer runs, and accounting never saw it end.
bool lost_by_slurm(const nlohmann::json& resource);

}  // namespace mljob::jobs
