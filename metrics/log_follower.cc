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

void LogFollower::warn_long_line(const WarningSink& warn) {
  if (warn && ++long_lines_ <= 10) {
    warn(file_.string() + ": a line longer than " + std::to_string(max_line_bytes_) + " bytes (near byte " +
         std::to_string(offset_) + ") was cut to that length" + (long_lines_ == 10 ? " (no more such warnings)" : ""));
  }
}

void LogFollower::take_assembled(const BlockFn& on_block) {
  partial_.push_back('\n');
  on_block(partial_, partial_offset_);
  partial_.clear();
}

std::uint64_t LogFollower::poll(const BlockFn& on_block, const WarningSink& warn, bool final) {
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
    const std::uint64_t chunk_offset = offset_;
    ssize_t got = ::pread(fd_, chunk_.data(), chunk_.size(), static_cast<off_t>(offset_));
    if (got <= 0) break;
    offset_ += static_cast<std::uint64_t>(got);
    read_total += static_cast<std::uint64_t>(got);
    std::string_view data(chunk_.data(), static_cast<std::size_t>(got));

    std::size_t first_newline = data.find('\n');
    if (first_newline == std::string_view::npos) {  // the whole chunk is inside one line
      if (!skipping_) {
        if (partial_.empty()) partial_offset_ = chunk_offset;
        std::size_t room = max_line_bytes_ - partial_.size();
        partial_.append(data.substr(0, room));
        if (data.size() > room) {
          warn_long_line(warn);
          take_assembled(on_block);
          skipping_ = true;
        }
      }
      continue;
    }
    // The end of the line that began in an earlier chunk.
    std::string_view head = data.substr(0, first_newline);
    if (skipping_) {
      skipping_ = false;
    } else if (!partial_.empty()) {
      std::size_t room = max_line_bytes_ - partial_.size();
      partial_.append(head.substr(0, room));
      if (head.size() > room) warn_long_line(warn);
      take_assembled(on_block);
    } else if (head.size() > max_line_bytes_) {
      warn_long_line(warn);
      partial_.assign(head.substr(0, max_line_bytes_));
      partial_offset_ = chunk_offset;
      take_assembled(on_block);
    } else {
      on_block(data.substr(0, first_newline + 1), chunk_offset);
    }
    // Whole lines, handed over in place (an over-long one on its own, cut).
    std::size_t last_newline = data.rfind('\n');
    std::string_view whole = data.substr(first_newline + 1, last_newline - first_newline);
    const std::uint64_t whole_offset = chunk_offset + first_newline + 1;
    // A window of max_line_bytes + 1 bytes that holds a '\n' holds only lines short enough; the
    // last '\n' of each window is found from its end, so a normal log costs a few bytes a window.
    std::size_t start = 0, cursor = 0;
    while (cursor < whole.size()) {
      std::size_t window = std::min(max_line_bytes_ + 1, whole.size() - cursor);
      const void* newline = ::memrchr(whole.data() + cursor, '\n', window);
      if (newline) {
        cursor = static_cast<std::size_t>(static_cast<const char*>(newline) - whole.data()) + 1;
        continue;
      }
      if (cursor > start) on_block(whole.substr(start, cursor - start), whole_offset + start);
      warn_long_line(warn);  // the line at `cursor` is too long: cut
      std::size_t end = whole.find('\n', cursor);
      partial_.assign(whole.substr(cursor, max_line_bytes_));
      partial_offset_ = whole_offset + cursor;
      take_assembled(on_block);
      start = cursor = end + 1;
    }
    if (cursor > start) on_block(whole.substr(start, cursor - start), whole_offset + start);
    // The start of a line that ends in a later chunk.
    std::string_view tail = data.substr(last_newline + 1);
    partial_.assign(tail.substr(0, max_line_bytes_));
    partial_offset_ = chunk_offset + last_newline + 1;
    if (tail.size() > max_line_bytes_) {
      warn_long_line(warn);
      take_assembled(on_block);
      skipping_ = true;
    }
  }
  if (final && !partial_.empty() && !skipping_) take_assembled(on_block);
  return read_total;
}

}  // namespace mljob::metrics
