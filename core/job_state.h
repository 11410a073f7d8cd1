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
  // trainingOutput.consumedMLUnits: one ML unit is one Slurm billing unit for one hour,
  // summed over the job's components (see consumed_ml_units). Absent before the job starts
  // or when Slurm reported no billing TRES.
  std::optional<double> consumed_ml_units;
};

// Sum over allocations of billing TRES x elapsed hours. Elapsed is sacct's ElapsedRaw, or for
// slurmctld's records (which have none) end - start, or now - start while running.
std::optional<double> consumed_ml_units(const std::vector<AccountingRecord>& allocations, std::int64_t now);

// `records`: the accounting records of one job (allocations and steps), any order.
// `component_roles[i]`: a readable name for component i ("master", "4 workers").
// `cancel_requested`: the user asked to cancel; a job still running is then CANCELLING.
// A CANCELLING or CANCELLED job's errorMessage says who cancelled it (accounting's "CANCELLED by
// UID", as a user name) and when, as far as Slurm knows.
// `now`: the clock for running jobs' elapsed time (defaults to the current time).
JobStatus derive_status(std::vector<AccountingRecord> records, const std::vector<std::string>& component_roles,
                        bool cancel_requested, std::optional<std::int64_t> now = std::nullopt);

// A batch prediction job's status from its shards' (each derive_status of that shard's latest
// run, in shard order; a shard accounting does not know yet is STATE_UNSPECIFIED and counts as
// QUEUED). Running while any shard is unfinished; SUCCEEDED when all succeeded; else CANCELLED
// if the user cancelled it, or FAILED, naming each shard that did not succeed and why.
JobStatus combine_shard_statuses(const std::vector<JobStatus>& shards, bool cancel_requested);

// Right after a het job ends, Slurm 22.05's accounting shows it as one plain row for a few
// seconds before the per-component rows arrive, and steps can arrive later still (seen on the
// local cluster, e.g. after a slurmdbd restart). The master's state is right either way, but a
// failed worker is only named once its component's training step is there and ended: true when
// every one of `components` has its allocation and a training step in `records`, and no
// training step is still shown running (its end, with the exit status, not yet written).
bool every_component_accounted(const std::vector<AccountingRecord>& records, std::size_t components);

// Whether a failed node stopped the job: an allocation of it ended NODE_FAIL (the cluster's
// fault, not the job's; a study runs such a trial again, study/study_controller.cc).
bool stopped_by_node_failure(const std::vector<AccountingRecord>& records);

// errorMessage of a job the user asked to cancel that Slurm has not ended yet (CANCELLING): the
// API says a cancelling or cancelled job's message gives the reason.
std::string cancel_requested_message();

// True for states that will not change any more.
bool is_final_state(const std::string& state);

// "2026-11-22T02:30:00Z"
std::string rfc3339_utc(std::int64_t epoch_seconds);

}  // namespace mljob
