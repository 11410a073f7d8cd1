// Metrics that trainers write to files rather than print: TensorBoard event files (under a
// directory, one run per subdirectory) and cloudml-hypertune's metric file (JSON lines). Each
// follower remembers how far it has read, so calling poll() again reads only what is new.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "metrics/emetrics.h"
#include "metrics/log_extractor.h"
#include "metrics/tfrecord_reader.h"

namespace mljob::metrics {

// Every *tfevents* file under `root`: each Event with scalars is one record, grouplabel the
// run (the file's folder relative to root, "tensorboard" for root itself), values tag -> FLOAT,
// etimes step (INT) and wall_time (FLOAT).
class EventDirFollower {
 public:
  explicit EventDirFollower(std::filesystem::path root) : root_(std::move(root)) {}
  // `final`: the writers are done; incomplete records at the ends of files are reported.
  void poll(const RecordSink& sink, const WarningSink& warn, bool final = false);

 private:
  std::filesystem::path root_;
  std::map<std::filesystem::path, TfRecordReader> readers_;
};

// cloudml-hypertune's file: one JSON object per line, {"timestamp", "trial", "global_step",
// "checkpoint_path", TAG: value}, values numbers or strings holding numbers. grouplabel
// "hypertune", etimes global_step, values every other numeric member.
class HypertuneFileFollower {
 public:
  explicit HypertuneFileFollower(std::filesystem::path file, std::size_t max_line_bytes = 1 << 20)
      : file_(std::move(file)), max_line_bytes_(max_line_bytes) {}
  void poll(const RecordSink& sink, const WarningSink& warn, bool final = false);

 private:
  void take_line(const std::string& line, const RecordSink& sink, const WarningSink& warn);
  std::filesystem::path file_;
  std::size_t max_line_bytes_;
  std::uint64_t offset_ = 0;
  std::string partial_;
  bool skipping_long_line_ = false;
};

// FfDL's evaluation-metrics file (evaluation_metrics type emetrics_file, optivist or file), as
// FfDL's emetrics client writes it and its collector reads it: `evaluation-metrics.txt`, one
// EMetrics record a line as JSON: {"meta": {"training_id", "time" (ms), "rindex", "subid"?},
// "grouplabel", "etimes": {KEY: {"type"?, "value"}}, "values": {KEY: {"type"?, "value"}}}; a
// type is FfDL's name (STRING, JSONSTRING, INT, FLOAT) or its number in training_data.proto
// (0 to 3), none meaning STRING. `where` is the file itself, or the folder FfDL calls LOG_DIR:
// its evaluation-metrics.txt and that of each subfolder (an HPO sub-run, whose folder name is the
// subid of records that give none). A line that is not such a record is reported and skipped,
// as FfDL's collector does; the collector numbers and names the records itself, so meta's
// training_id and rindex are not needed.
class EMetricsFileFollower {
 public:
  explicit EMetricsFileFollower(std::filesystem::path where) : where_(std::move(where)) {}
  void poll(const RecordSink& sink, const WarningSink& warn, bool final = false);

 private:
  struct Followed;
  void take_line(std::string_view line, const std::string& subdir, const std::filesystem::path& file,
                 const RecordSink& sink, const WarningSink& warn);
  std::filesystem::path where_;
  std::map<std::filesystem::path, std::shared_ptr<Followed>> files_;
};

inline constexpr const char* kEMetricsFileName = "evaluation-metrics.txt";

inline constexpr const char* kHypertuneGroup = "hypertune";
inline constexpr const char* kTensorboardGroup = "tensorboard";

}  // namespace mljob::metrics
