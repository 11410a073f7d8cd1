#include "metrics/log_follower.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

namespace mljob::metrics {

LogFollower::LogFollower(std::filesystem::path file, std::size_t max_line_bytes, std::size_t chunk_bytes)
    : file_(std::move(file)), max_line_bytes_(max_line_bytes), chunk_(chunk_bytes, '\0') {}

LogFollower::~LogFollower() {
  if (fd_ >= 0) ::close(fd_);
}

void LogFollower::take_line(std::string_view line, bool truncated, const WarningSink& warn) {
  if (truncated && warn && ++long_lines_ <= 10) {
    warn(file_.string() + ": a line longer than " + std::to_string(max_line_bytes_) + " bytes (near byte " +
         std::to_string(offset_) + ") was cut to that length" + (long_lines_ == 10 ? " (no more such warnings)" : ""));
  }
  std::string_view text;
  int rank = split_rank_label(line, text);
  batch_.add(text, rank);
}

void LogFollower::flush(const BatchFn& on_batch) {
  if (batch_.empty()) return;
  on_batch(batch_);
  batch_.clear();
}

std::uint64_t LogFollower::poll(const BatchFn& on_batch, const WarningSink& warn, bool final) {
  if (fd_ < 0) {
    fd_ = ::open(file_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return 0;  // not there yet
  }
  struct stat info {};
  if (::fstat(fd_, &info) == 0 && static_cast<std::uint64_t>(info.st_size) < offset_) {
    if (warn) warn(file_.string() + ": the log shrank; reading it again from the start");
    offset_ = 0;
    partial_.clear();
    skipping_ = false;
  }
  std::uint64_t read_total = 0;
  for (;;) {
    ssize_t got = ::pread(fd_, chunk_.data(), chunk_.size(), static_cast<off_t>(offset_));
    if (got <= 0) break;
    offset_ += static_cast<std::uint64_t>(got);
    read_total += static_cast<std::uint64_t>(got);
    const char* data = chunk_.data();
    std::size_t size = static_cast<std::size_t>(got);
    std::size_t start = 0;
    while (start < size) {
      const char* newline = static_cast<const char*>(std::memchr(data + start, '\n', size - start));
      std::size_t end = newline ? static_cast<std::size_t>(newline - data) : size;
      std::string_view piece(data + start, end - start);
      if (!newline) {  // the line goes on in the next chunk
        if (!skipping_) {
          std::size_t room = max_line_bytes_ - partial_.size();
          partial_.append(piece.substr(0, room));
          if (piece.size() > room) {
            take_line(partial_, true, warn);
            partial_.clear();
            skipping_ = true;
          }
        }
        break;
      }
      if (skipping_) {
        skipping_ = false;  // the end of an over-long line already handed over
      } else if (!partial_.empty()) {
        std::size_t room = max_line_bytes_ - partial_.size();
        partial_.append(piece.substr(0, room));
        take_line(partial_, piece.size() > room, warn);
        partial_.clear();
      } else {
        take_line(piece.substr(0, max_line_bytes_), piece.size() > max_line_bytes_, warn);
      }
      start = end + 1;
    }
    flush(on_batch);  // the batch points into nothing of chunk_: it owns its copy
  }
  if (final && !partial_.empty()) {
    take_line(partial_, false, warn);
    partial_.clear();
    flush(on_batch);
  }
  return read_total;
}

}  // namespace mljob::metrics
