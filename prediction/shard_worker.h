// One shard of a batch prediction job, run by one element of the job's array (mljob-predict):
// its records read piece by piece, sent to the model's server in batches, and its predictions
// and errors written to the output folder as AI Platform names them. Memory stays bounded
// whatever the input's size: a few batches are in flight at once, no more.
//
// The results are written under temporary names (.prediction.results-N-of-M.partial) and
// renamed when the shard is complete, so that a reader never sees half a shard and a shard run
// again (`mljob resume`) starts clean. The counters go to the job's progress/N.json about once
// a second, for describe.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace mljob::prediction {

// How a shard ended, as the worker's exit status.
inline constexpr int kShardDone = 0;       // every record predicted or counted as an error
inline constexpr int kShardFailed = 1;     // the model's server failed, or the input could not be read
inline constexpr int kShardStopped = 143;  // stopped by a signal (a cancel), its partial files removed

struct ShardRun {
  nlohmann::json config;  // the job's prediction.json (jobs/prediction_submission.h)
  int shard = 0;
  std::filesystem::path job_folder;
  std::string server_source;  // mljob_predictor.py's text
  std::string attempt;        // the Slurm job of this run ("123_4"), for the progress file
};

// Runs the shard; `stop` is set by a signal handler. Returns one of the statuses above; the
// reason for a failure is printed on stderr and kept in the progress file.
int run_shard(const ShardRun& run, const std::atomic<bool>& stop);

}  // namespace mljob::prediction
