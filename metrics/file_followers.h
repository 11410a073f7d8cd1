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

inline constexpr const char* kHypertuneGroup = "hypertune";
inline constexpr const char* kTensorboardGroup = "tensorboard";

}  // namespace mljob::metrics
