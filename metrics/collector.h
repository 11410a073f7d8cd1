// What runs beside a training job: follows the job's output.log (every replica's lines, by
// rank) and the metric files its trainers write (TensorBoard event files, the hypertune file,
// FfDL's evaluation-metrics file), extracts EMetrics as the job's spec declares, and stores
// them with the index of the log's lines in JOB_FOLDER/metrics.db (the lines stay in
// output.log). poll() does one round; the last round, with `final`, also takes
// unterminated last lines and reports truncated records.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "metrics/file_followers.h"
#include "metrics/log_extractor.h"
#include "metrics/log_follower.h"
#include "metrics/metrics_spec.h"
#include "metrics/metrics_store.h"

namespace mljob::metrics {

struct CollectorOptions {
  std::filesystem::path job_folder;  // holds output.log, metrics.json, metrics.db
  std::string training_id;
  std::string user_id;
  std::vector<std::filesystem::path> event_dirs;  // TensorBoard logdirs to follow
  std::filesystem::path hypertune_file;           // cloudml-hypertune's metric file (may not exist)
  bool store_log_lines = true;                    // index output.log's lines in metrics.db (log_index.h)
  std::filesystem::path emetrics_path{};          // FfDL's evaluation-metrics file or its folder (empty: none)
  // The site's cap on a job's stored log (0: none): past it the oldest lines of output.log are
  // freed (a hole punched at its start) and dropped from the index.
  std::uint64_t max_log_bytes = 0;
};

class Collector {
 public:
  // Reads the declarations from JOB_FOLDER/metrics.json (none: the default extractor).
  Collector(CollectorOptions options, WarningSink warn);
  void poll(bool final = false);
  std::uint64_t records() const { return records_; }
  std::uint64_t log_bytes() const { return log_.offset(); }  // how much of output.log was read

  // The job's declarations as stored at submit, in their written order (null when the job
  // declared none).
  static nlohmann::ordered_json read_declarations(const std::filesystem::path& job_folder);

 private:
  void take_block(std::string_view block, std::uint64_t file_offset);
  void store(EMetrics& record);
  void cap_log();

  CollectorOptions options_;
  WarningSink warn_;
  MetricsSpec spec_;
  std::vector<std::unique_ptr<LogExtractor>> extractors_;
  LogFollower log_;
  std::vector<EventDirFollower> event_dirs_;
  HypertuneFileFollower hypertune_;
  EMetricsFileFollower emetrics_;
  MetricsDb db_;
  std::uint64_t records_ = 0;
  std::int64_t last_time_ms_ = 0;  // collection times never go down, whatever the clock does
  bool can_free_log_ = true;
  static constexpr std::uint64_t kCommitBytes = 64 << 20;  // of log, read in one poll, per commit
  std::uint64_t committed_offset_ = 0;
};

}  // namespace mljob::metrics
