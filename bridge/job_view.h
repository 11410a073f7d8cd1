// The Job resource as describe and list answer it: the record's spec plus state, times and
// errorMessage derived from Slurm accounting (one sacct call for any number of jobs).
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "core/job_store.h"
#include "core/slurm_client.h"

namespace mljob::cli {

std::vector<nlohmann::json> job_resources(const std::vector<JobRecord>& records, const SlurmClient& slurm);

}  // namespace mljob::cli
