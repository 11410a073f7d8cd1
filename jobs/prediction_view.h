// What describe and list say of a batch prediction job besides its state: predictionOutput
// (outputPath, predictionCount, errorCount, nodeHours) as AI Platform gives it, and mljob's
// predictionProgress (records done against the total, shards done), from the counters each
// shard's worker keeps in the job's folder (progress/N.json) and from accounting's times.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/job_state.h"
#include "core/job_store.h"

namespace mljob::jobs {

// A shard's counters, as its worker writes them (prediction/shard_worker.h).
struct ShardProgress {
  std::uint64_t records_read = 0, predictions = 0, errors = 0;
  std::optional<std::uint64_t> records_total;  // unknown for a gzip shard until it has ended
  std::uint64_t bytes_read = 0, bytes_total = 0;
  bool complete = false;
  std::string failure;  // why the worker stopped, when it failed (its model, its server, its input)
};

// Each shard's counters, in shard order (zeros for a shard that has not started).
std::vector<ShardProgress> read_shard_progress(const JobRecord& record);

// `shards`: each shard's status (derive_status of its latest run), `progress` its counters;
// `now` for running shards. Sets job["predictionOutput"] and job["predictionProgress"].
void add_prediction_output(nlohmann::json& job, const JobRecord& record, const std::vector<JobStatus>& shards,
                           const std::vector<ShardProgress>& progress, std::int64_t now);

// A failed shard's message says what its worker said, not only its exit status.
void explain_failed_shards(std::vector<JobStatus>& shards, const std::vector<ShardProgress>& progress);

}  // namespace mljob::jobs
