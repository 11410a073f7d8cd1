// The index of a job's log. Slurm already keeps every replica's lines in output.log, so the
// collector does not store them again: metrics.db keeps only where they are.
//
// - Lines are numbered from 0 in the order they were written (rindex), whatever the replica.
// - A mark says where line `rindex` starts in the log and when it was collected. There is one
//   at least every kLinesPerMark lines and one wherever the collection time changes, so every
//   line's time is its last mark's, and reaching any line reads at most kLinesPerMark lines.
// - A replica mark says which line is replica R's nth, every kLinesPerMark of R's lines, so
//   that `--replica R --pos N` is found the same way.
// - Offsets are "log offsets": a log that Slurm starts again (a requeue, a shrink) goes on after
//   the end of the last one, and file_base says where byte 0 of today's output.log lies.
// - first_kept: lines before it are gone, dropped by the site's cap on stored logs (the space
//   freed) or truncated by Slurm. Per replica, `dropped` counts its lines before first_kept.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mljob::metrics {

inline constexpr std::int64_t kLinesPerMark = 1024;

struct LogMark {
  std::int64_t rindex = 0;
  std::uint64_t offset = 0;  // log offset of the line's first byte
  std::int64_t time_ms = 0;
};

struct ReplicaMark {
  std::string subid;
  std::int64_t nth = 0;     // the replica's nth line (from 0) ...
  std::int64_t rindex = 0;  // ... is this line of the log
};

struct LogExtent {
  std::int64_t lines = 0;       // lines indexed: 0 .. lines-1
  std::uint64_t end = 0;        // log offset after the last indexed line
  std::uint64_t file_base = 0;  // log offset of byte 0 of today's output.log
  std::int64_t first_kept = 0;  // the first line still there
};

struct ReplicaLines {
  std::int64_t lines = 0;    // all the replica's lines indexed
  std::int64_t dropped = 0;  // of those, how many lie before first_kept
};

// The writer's side: turns blocks of whole lines into marks (kept in memory until taken).
class LogIndexer {
 public:
  LogIndexer() = default;
  LogIndexer(LogExtent extent, std::map<std::string, ReplicaLines> replicas, std::optional<LogMark> last_mark);
  // Movable (std::map keeps its nodes, so by_rank_ stays right), not copyable.
  LogIndexer(LogIndexer&&) = default;
  LogIndexer& operator=(LogIndexer&&) = default;
  LogIndexer(const LogIndexer&) = delete;
  LogIndexer& operator=(const LogIndexer&) = delete;

  // A block of whole lines (each ending in '\n', the last one may not at the log's end) that
  // starts at byte `file_offset` of output.log, collected at `time_ms`. A block that starts
  // before the end of what was indexed means output.log was started again: every line indexed
  // so far is gone (restarted() says so until taken).
  void add_block(std::string_view block, std::uint64_t file_offset, std::int64_t time_ms);

  std::vector<LogMark> take_marks();
  std::vector<ReplicaMark> take_replica_marks();
  bool take_restarted();

  const LogExtent& extent() const { return extent_; }
  const std::map<std::string, ReplicaLines>& replicas() const { return replicas_; }

  // Lines before `first_kept` are dropped (the cap): `dropped` per replica as given.
  void drop_before(std::int64_t first_kept, const std::map<std::string, std::int64_t>& dropped_per_replica);

 private:
  void mark(std::uint64_t offset, std::int64_t time_ms);
  ReplicaLines& replica(int rank);

  LogExtent extent_;
  std::map<std::string, ReplicaLines> replicas_;
  std::optional<LogMark> last_mark_;
  std::vector<LogMark> marks_;
  std::vector<ReplicaMark> replica_marks_;
  bool restarted_ = false;
  // replicas_' entries by rank + 1 for the usual small ranks (std::map's references stay valid):
  // every line needs its replica's, and a map lookup by text per line costs more than the rest.
  std::vector<ReplicaLines*> by_rank_;
};

// The replica id of srun's rank (-1: a line without a label, id "").
std::string replica_id(int rank);

}  // namespace mljob::metrics
