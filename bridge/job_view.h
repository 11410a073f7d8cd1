// The Job resource as describe and list answer it: the record's spec plus state, times and
// errorMessage derived from Slurm accounting (one sacct call for any number of jobs).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/job_store.h"
#include "core/slurm_client.h"

namespace mljob::cli {

// `records_used`, if given, receives the Slurm records each answer was derived from, by Slurm
// job ID, so a caller can judge them without asking Slurm again.
std::vector<nlohmann::json> job_resources(
    const std::vector<JobRecord>& records, const SlurmClient& slurm,
    std::map<std::string, std::vector<AccountingRecord>>* records_used = nullptr);

}  // namespace mljob::cli
