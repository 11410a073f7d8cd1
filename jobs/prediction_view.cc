#include "jobs/prediction_view.h"

#include <cmath>
#include <cstdio>
#include <fstream>

namespace mljob::jobs {
namespace {

using nlohmann::json;

ShardProgress progress_from(const json& in) {
  ShardProgress progress;
  progress.records_read = in.value("recordsRead", std::uint64_t{0});
  progress.predictions = in.value("predictions", std::uint64_t{0});
  progress.errors = in.value("errors", std::uint64_t{0});
  if (in.contains("recordsTotal") && in["recordsTotal"].is_number_unsigned())
    progress.records_total = in["recordsTotal"].get<std::uint64_t>();
  progress.bytes_read = in.value("bytesRead", std::uint64_t{0});
  progress.bytes_total = in.value("bytesTotal", std::uint64_t{0});
  progress.complete = in.value("complete", false);
  progress.failure = in.value("failure", "");
  return progress;
}

std::size_t shard_count(const JobRecord& record) {
  return record.shard_jobs.size();
}

// Node hours as AI Platform counts them: each worker a node, for the time it ran.
double node_hours(const std::vector<JobStatus>& shards, std::int64_t now) {
  double seconds = 0;
  for (const auto& shard : shards) {
    if (!shard.start_time) continue;
    std::int64_t end = shard.end_time.value_or(now);
    if (end > *shard.start_time) seconds += static_cast<double>(end - *shard.start_time);
  }
  return std::round(seconds / 3600.0 * 1e6) / 1e6;  // to the hundredth of a second, as accounting has none finer
}

}  // namespace

std::vector<ShardProgress> read_shard_progress(const JobRecord& record) {
  std::vector<ShardProgress> shards(shard_count(record));
  // Each shard's bytes, known from the start (prediction.json), so that shards not yet started
  // count in the total.
  json plan;
  if (std::ifstream in(record.folder / "prediction.json"); in) plan = json::parse(in, nullptr, false);
  for (std::size_t i = 0; i < shards.size(); ++i) {
    if (plan.is_object() && plan.contains("shards") && i < plan["shards"].size())
      shards[i].bytes_total = plan["shards"][i].value("bytes", std::uint64_t{0});
    char name[32];
    std::snprintf(name, sizeof name, "%05zu.json", i);
    std::ifstream in(record.folder / "progress" / name);
    if (!in) continue;
    json seen = json::parse(in, nullptr, false);
    // The worker writes it atomically, so a damaged file is not one of its own; and one from an
    // earlier run of the shard (before `mljob resume`) says nothing of this run.
    if (!seen.is_object() || seen.value("attempt", "") != record.shard_jobs[i]) continue;
    shards[i] = progress_from(seen);
  }
  return shards;
}

void explain_failed_shards(std::vector<JobStatus>& shards, const std::vector<ShardProgress>& progress) {
  for (std::size_t i = 0; i < shards.size() && i < progress.size(); ++i) {
    if (shards[i].state == "FAILED" && !progress[i].failure.empty())
      shards[i].error_message = "its worker said: " + progress[i].failure;
  }
}

void add_prediction_output(json& job, const JobRecord& record, const std::vector<JobStatus>& shards,
                           const std::vector<ShardProgress>& progress, std::int64_t now) {
  std::uint64_t predictions = 0, errors = 0, records_read = 0, bytes_read = 0, bytes_total = 0, records_total = 0;
  bool total_known = true;
  int complete = 0;
  for (std::size_t i = 0; i < progress.size(); ++i) {
    const ShardProgress& shard = progress[i];
    bytes_total += shard.bytes_total;
    // A shard that ended without finishing wrote nothing under a final name: its counts are not
    // results (`mljob resume` runs it from its start).
    bool counted = shard.complete || i >= shards.size() || !is_final_state(shards[i].state);
    if (counted) {
      predictions += shard.predictions;
      errors += shard.errors;
      records_read += shard.records_read;
      bytes_read += shard.bytes_read;
    }
    if (shard.records_total)
      records_total += *shard.records_total;
    else
      total_known = false;
    complete += shard.complete ? 1 : 0;
  }
  json output = {{"outputPath", record.job["predictionInput"].value("outputPath", "")},
                 // int64 fields are decimal strings in API JSON.
                 {"predictionCount", std::to_string(predictions)},
                 {"errorCount", std::to_string(errors)},
                 {"nodeHours", node_hours(shards, now)}};
  job["predictionOutput"] = output;
  json done = {{"recordsDone", records_read},
               {"bytesDone", bytes_read},
               {"bytesTotal", bytes_total},
               {"shardsDone", complete},
               {"shards", progress.size()}};
  if (total_known) done["recordsTotal"] = records_total;
  job["predictionProgress"] = done;
}

}  // namespace mljob::jobs
