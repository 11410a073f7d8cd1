#include "metrics/log_index.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "metrics/line_batch.h"

namespace mljob::metrics {

std::string replica_id(int rank) {
  return rank < 0 ? std::string() : std::to_string(rank);
}

LogIndexer::LogIndexer(LogExtent extent, std::map<std::string, ReplicaLines> replicas, std::optional<LogMark> last_mark)
    : extent_(extent), replicas_(std::move(replicas)), last_mark_(last_mark) {}

void LogIndexer::mark(std::uint64_t offset, std::int64_t time_ms) {
  LogMark made{extent_.lines, offset, time_ms};
  marks_.push_back(made);
  last_mark_ = made;
}

ReplicaLines& LogIndexer::replica(int rank) {
  constexpr int kDirectRanks = 4096;
  auto slot = static_cast<std::size_t>(rank + 1);
  if (rank >= kDirectRanks) return replicas_[replica_id(rank)];
  if (slot >= by_rank_.size()) by_rank_.resize(slot + 1, nullptr);
  if (!by_rank_[slot]) by_rank_[slot] = &replicas_[replica_id(rank)];
  return *by_rank_[slot];
}

void LogIndexer::add_block(std::string_view block, std::uint64_t file_offset, std::int64_t time_ms) {
  if (extent_.file_base + file_offset < extent_.end) {
    // output.log was started again (shorter than what was read): its old lines are gone.
    extent_.file_base = extent_.end;
    extent_.first_kept = extent_.lines;
    for (auto& [id, lines] : replicas_) lines.dropped = lines.lines;
    last_mark_.reset();
    restarted_ = true;
  }
  std::uint64_t block_start = extent_.file_base + file_offset;
  for (std::size_t start = 0; start < block.size();) {
    const void* newline = std::memchr(block.data() + start, '\n', block.size() - start);
    std::size_t end =
        newline ? static_cast<std::size_t>(static_cast<const char*>(newline) - block.data()) : block.size();
    bool needs_mark = !last_mark_ || last_mark_->rindex < extent_.first_kept || last_mark_->time_ms != time_ms ||
                      extent_.lines - last_mark_->rindex >= kLinesPerMark;
    if (needs_mark) mark(block_start + start, time_ms);
    std::string_view text;
    int rank = split_rank_label(block.substr(start, end - start), text);
    ReplicaLines& lines = replica(rank);
    if (lines.lines % kLinesPerMark == 0) replica_marks_.push_back({replica_id(rank), lines.lines, extent_.lines});
    ++lines.lines;
    ++extent_.lines;
    start = end + 1;
  }
  extent_.end = std::max(extent_.end, block_start + block.size());
}

std::vector<LogMark> LogIndexer::take_marks() {
  return std::exchange(marks_, {});
}

std::vector<ReplicaMark> LogIndexer::take_replica_marks() {
  return std::exchange(replica_marks_, {});
}

bool LogIndexer::take_restarted() {
  return std::exchange(restarted_, false);
}

void LogIndexer::drop_before(std::int64_t first_kept, const std::map<std::string, std::int64_t>& dropped_per_replica) {
  extent_.first_kept = first_kept;
  for (const auto& [id, dropped] : dropped_per_replica) replicas_[id].dropped = dropped;
}

}  // namespace mljob::metrics
