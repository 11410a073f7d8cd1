// From Slurm accounting to the Job resource's state, times and errorMessage. As AI Platform
// documents, the master's state is the job's; a failed worker or parameter server is named.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/accounting.h"

namespace mljob {

struct JobStatus {
  std::string state = "STATE_UNSPECIFIED";  // QUEUED PREPARING RUNNING SUCCEEDED FAILED CANCELLING CANCELLED
  std::string error_message;
  std::optional<std::int64_t> create_time, start_time, end_time;
};

// `records`: the accounting records of one job (allocations and steps), any order.
// `component_roles[i]`: a readable name for component i ("master", "4 workers").
// `cancel_requested`: the user asked to cancel; a job still running is then CANCELLING.
JobStatus derive_status(std::vector<AccountingRecord> records, const std::vector<std::string>& component_roles,
                        bool cancel_requested);

// True for states that will not change any more.
bool is_final_state(const std::string& state);

// "2026-11-22T02:30:00Z"
std::string rfc3339_utc(std::int64_t epoch_seconds);

}  // namespace mljob
