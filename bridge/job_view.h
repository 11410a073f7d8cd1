// The Job resource as describe and list answer it: the record's spec plus state, times and
// errorMessage derived from Slurm accounting (one sacct call for any number of jobs).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/job_store.h"
#include "core/slurm_access.h"

namespace mljob::cli {

// `records_used`, if given, receives the Slurm records each answer was derived from, by Slurm
// job ID, so a caller can judge them without asking Slurm again.
// A study's consumedMLUnits are its controller's and its trials' together.
std::vector<nlohmann::json> job_resources(
    const std::vector<JobRecord>& records, const SlurmAccess& slurm,
    std::map<std::string, std::vector<AccountingRecord>>* records_used = nullptr);

// One job's resource as `mljob describe` answers it: job_resources' answer with the metrics the
// job reported (finalMetric, bridge/metrics_view.h) and, for a study, its trials best first.
nlohmann::json job_resource(const JobRecord& record, const SlurmAccess& slurm);

}  // namespace mljob::cli
