// Follows a job's output.log as it grows: reads what is new in fixed-size chunks and hands over
// blocks of complete lines (as written: srun's "RANK: " labels still on, each line ending in
// '\n'), without copying them. Memory stays bounded however large the log or its lines grow: a
// line longer than max_line_bytes is cut there (with a warning) and the rest of it skipped.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "metrics/line_batch.h"
#include "metrics/log_extractor.h"

namespace mljob::metrics {

class LogFollower {
 public:
  // A block of whole lines and the file offset of its first byte.
  using BlockFn = std::function<void(std::string_view block, std::uint64_t file_offset)>;

  explicit LogFollower(std::filesystem::path file, std::size_t max_line_bytes = 1 << 20,
                       std::size_t chunk_bytes = 4 << 20);
  ~LogFollower();
  LogFollower(const LogFollower&) = delete;
  LogFollower& operator=(const LogFollower&) = delete;

  // Reads what was appended since the last call; returns the number of bytes read. With
  // `final` (the writer is done), a last line without '\n' is handed over too.
  std::uint64_t poll(const BlockFn& on_block, const WarningSink& warn, bool final = false);

  std::uint64_t offset() const { return offset_; }
  // Before the first poll: start at `offset` (the start of a line) instead of the beginning.
  void resume_at(std::uint64_t offset) { offset_ = offset; }

 private:
  void warn_long_line(const WarningSink& warn);
  // A line put together from pieces of several chunks, handed over as a block of its own.
  void take_assembled(const BlockFn& on_block);

  std::filesystem::path file_;
  std::size_t max_line_bytes_;
  std::string chunk_;
  int fd_ = -1;
  std::uint64_t offset_ = 0;
  std::string partial_;               // the start of a line whose end has not been read yet
  std::uint64_t partial_offset_ = 0;  // where that line starts in the file
  bool skipping_ = false;             // inside the unread rest of an over-long line
  std::uint64_t long_lines_ = 0;
};

}  // namespace mljob::metrics
