// MetricsDb's log index: writing the marks the collector makes, and reading lines back from
// output.log through them (see log_index.h).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "metrics/line_batch.h"
#include "metrics/metrics_store.h"
#include "metrics/sqlite_statement.h"

namespace mljob::metrics {
namespace {

// Lines are read back as the collector read them: a line longer than this is cut here.
constexpr std::size_t kMaxLineBytes = 1 << 20;

// Reads output.log a line at a time from a given byte.
class LineReader {
 public:
  LineReader(const std::filesystem::path& file, std::uint64_t offset)
      : fd_(::open(file.c_str(), O_RDONLY | O_CLOEXEC)), offset_(offset) {}
  ~LineReader() {
    if (fd_ >= 0) ::close(fd_);
  }
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  bool is_open() const { return fd_ >= 0; }
  // The file offset of the next line.
  std::uint64_t offset() const { return offset_ - (filled_ - used_); }

  // The next line without its '\n' (cut at kMaxLineBytes); false at the end of the file.
  bool next(std::string& line) {
    line.clear();
    bool any = false;
    for (;;) {
      if (used_ == filled_ && !fill()) return any;
      any = true;
      const char* start = buffer_.data() + used_;
      const void* newline = std::memchr(start, '\n', filled_ - used_);
      std::size_t length =
          newline ? static_cast<std::size_t>(static_cast<const char*>(newline) - start) : filled_ - used_;
      line.append(start, std::min(length, kMaxLineBytes - std::min(line.size(), kMaxLineBytes)));
      used_ += length + (newline ? 1 : 0);
      if (newline) return true;
    }
  }

 private:
  bool fill() {
    ssize_t got = ::pread(fd_, buffer_.data(), buffer_.size(), static_cast<off_t>(offset_));
    if (got <= 0) return false;
    offset_ += static_cast<std::uint64_t>(got);
    used_ = 0;
    filled_ = static_cast<std::size_t>(got);
    return true;
  }

  int fd_;
  std::uint64_t offset_;  // of the byte after the buffer's
  std::string buffer_ = std::string(256 << 10, '\0');
  std::size_t used_ = 0, filled_ = 0;
};

int rank_of_replica(const std::string& subid) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (subid.empty() || subid.size() > 9 || !std::all_of(subid.begin(), subid.end(), digit)) return -2;
  return std::stoi(subid);
}

}  // namespace

void MetricsDb::add_log_lines(std::string_view block, std::uint64_t file_offset, std::int64_t time_ms) {
  log_index_.add_block(block, file_offset, time_ms);
}

void MetricsDb::save_log_index() {
  std::vector<LogMark> marks = log_index_.take_marks();
  std::vector<ReplicaMark> replica_marks = log_index_.take_replica_marks();
  bool restarted = log_index_.take_restarted();
  const LogExtent& extent = log_index_.extent();
  bool moved = extent.lines != job_.extent.lines || extent.first_kept != job_.extent.first_kept;
  if (marks.empty() && replica_marks.empty() && !restarted && !moved && !job_changed_) return;
  begin_if_needed();
  if (restarted) {
    Statement(db_, file_, "DELETE FROM log_marks WHERE rindex < ?1").bind(1, extent.first_kept).run();
    Statement(db_, file_, "DELETE FROM log_replica_marks WHERE rindex < ?1").bind(1, extent.first_kept).run();
  }
  Statement insert_mark(db_, file_, "INSERT OR REPLACE INTO log_marks VALUES (?1, ?2, ?3)");
  for (const LogMark& mark : marks) {
    insert_mark.bind(1, mark.rindex).bind(2, static_cast<std::int64_t>(mark.offset)).bind(3, mark.time_ms).run();
  }
  Statement insert_replica_mark(db_, file_, "INSERT OR REPLACE INTO log_replica_marks VALUES (?1, ?2, ?3)");
  for (const ReplicaMark& mark : replica_marks)
    insert_replica_mark.bind(1, mark.subid).bind(2, mark.nth).bind(3, mark.rindex).run();
  Statement save_replica(db_, file_, "INSERT OR REPLACE INTO log_replicas VALUES (?1, ?2, ?3)");
  for (const auto& [subid, lines] : log_index_.replicas())
    save_replica.bind(1, subid).bind(2, lines.lines).bind(3, lines.dropped).run();
  job_.extent = extent;
  Statement(db_, file_,
            "UPDATE job SET training_id = ?1, user_id = ?2, log_file = ?3, log_lines = ?4, log_end = ?5, "
            "file_base = ?6, first_kept = ?7")
      .bind(1, job_.training_id)
      .bind(2, job_.user_id)
      .bind(3, job_.log_file)
      .bind(4, extent.lines)
      .bind(5, static_cast<std::int64_t>(extent.end))
      .bind(6, static_cast<std::int64_t>(extent.file_base))
      .bind(7, extent.first_kept)
      .run();
  job_changed_ = false;
}

std::optional<LogMark> MetricsDb::mark_at_or_before(std::int64_t rindex) const {
  Statement select(db_, file_,
                   "SELECT rindex, offset, time FROM log_marks WHERE rindex <= ?1 ORDER BY rindex DESC LIMIT 1");
  select.bind(1, rindex);
  if (!select.step()) return std::nullopt;
  return LogMark{select.integer(0), static_cast<std::uint64_t>(select.integer(1)), select.integer(2)};
}

std::map<std::string, ReplicaLines> MetricsDb::read_replicas() const {
  std::map<std::string, ReplicaLines> out;
  Statement select(db_, file_, "SELECT subid, lines, dropped FROM log_replicas");
  while (select.step()) out[select.text(0)] = ReplicaLines{select.integer(1), select.integer(2)};
  return out;
}

void MetricsDb::read_lines(const JobRow& job, std::int64_t first, std::int64_t end,
                           const std::function<bool(std::int64_t, std::int64_t, int, std::string_view)>& take) const {
  first = std::max(first, job.extent.first_kept);
  end = std::min(end, job.extent.lines);
  // The log is a file beside metrics.db, named by the collector: never a path to elsewhere.
  if (first >= end || job.log_file.empty() || job.log_file.find('/') != std::string::npos) return;
  std::optional<LogMark> start = mark_at_or_before(first);
  if (!start || start->offset < job.extent.file_base) return;  // gone with an earlier log
  LineReader reader(file_.parent_path() / job.log_file, start->offset - job.extent.file_base);
  if (!reader.is_open()) return;
  Statement marks(db_, file_, "SELECT rindex, offset, time FROM log_marks WHERE rindex > ?1 ORDER BY rindex");
  marks.bind(1, start->rindex);
  // The next mark after `start` (none: rindex -1), where the time changes and the offset is checked.
  LogMark next_mark{-1, 0, 0};
  auto advance_mark = [&] {
    next_mark = marks.step() ? LogMark{marks.integer(0), static_cast<std::uint64_t>(marks.integer(1)), marks.integer(2)}
                             : LogMark{-1, 0, 0};
  };
  advance_mark();
  std::int64_t time = start->time_ms;
  std::string line;
  for (std::int64_t rindex = start->rindex; rindex < end; ++rindex) {
    std::uint64_t at = reader.offset() + job.extent.file_base;
    if (!reader.next(line)) return;  // the log is shorter than its index: it was replaced
    if (rindex == next_mark.rindex) {
      if (next_mark.offset != at) return;  // the log no longer holds the lines indexed
      time = next_mark.time_ms;
      advance_mark();
    }
    if (rindex < first) continue;
    std::string_view text;
    int rank = split_rank_label(line, text);
    if (!take(rindex, time, rank, text)) return;
  }
}

MetricsDb::ReplicaPlace MetricsDb::replica_mark(const std::string& subid, const char* condition, std::int64_t bound,
                                                const JobRow& job) const {
  Statement select(db_, file_,
                   std::string("SELECT nth, rindex FROM log_replica_marks WHERE subid = ?1 AND ") + condition +
                       " AND rindex >= ?3 ORDER BY nth DESC LIMIT 1");
  select.bind(1, subid).bind(2, bound).bind(3, job.extent.first_kept);
  if (select.step()) return {select.integer(0), select.integer(1)};
  // No mark since the first line kept: the replica's count starts with the lines dropped.
  auto replicas = read_replicas();
  auto found = replicas.find(subid);
  return {found != replicas.end() ? found->second.dropped : 0, job.extent.first_kept};
}

std::int64_t MetricsDb::replica_lines_before(const std::string& subid, std::int64_t rindex, const JobRow& job) const {
  ReplicaPlace place = replica_mark(subid, "rindex < ?2", rindex, job);
  int wanted = rank_of_replica(subid);
  read_lines(job, place.rindex, rindex, [&](std::int64_t, std::int64_t, int rank, std::string_view) {
    place.nth += rank == wanted ? 1 : 0;
    return true;
  });
  return place.nth;
}

std::int64_t MetricsDb::replica_line_rindex(const std::string& subid, std::int64_t nth, const JobRow& job) const {
  ReplicaPlace place = replica_mark(subid, "nth <= ?2", nth, job);
  int wanted = rank_of_replica(subid);
  std::int64_t found_at = job.extent.lines;
  read_lines(job, place.rindex, job.extent.lines, [&](std::int64_t rindex, std::int64_t, int rank, std::string_view) {
    if (rank != wanted || place.nth++ < nth) return true;
    found_at = rindex;
    return false;
  });
  return found_at;
}

std::vector<LogLineRecord> MetricsDb::log_lines(const RecordQuery& query) const {
  std::vector<LogLineRecord> out;
  if (!has_tables()) return out;
  // The lines are read inside the read transaction: the collector cannot drop them (the cap)
  // while they are being read.
  ReadSnapshot snapshot(db_);
  JobRow job = read_job();
  const LogExtent& extent = job.extent;
  std::int64_t start = std::max(extent.first_kept, query.from_rindex.value_or(0));
  if (query.since_ms) {
    // Collection times never go down (the collector sees to it), so the lines at or after a
    // time start at the first mark at or after it.
    Statement select(db_, file_, "SELECT rindex FROM log_marks WHERE time >= ?1 ORDER BY rindex LIMIT 1");
    select.bind(1, *query.since_ms);
    start = std::max(start, select.step() ? select.integer(0) : extent.lines);
  }
  std::int64_t limit = query.limit.value_or(-1);
  auto collect = [&](int wanted_rank) {
    return [&, wanted_rank](std::int64_t rindex, std::int64_t time, int rank, std::string_view text) {
      if (wanted_rank != -2 && rank != wanted_rank) return true;
      if (limit >= 0 && static_cast<std::int64_t>(out.size()) >= limit) return false;
      out.push_back(
          LogLineRecord{Meta{job.training_id, job.user_id, time, rindex, replica_id(rank)}, std::string(text)});
      return true;
    };
  };
  if (query.subid.empty()) {
    std::int64_t total = std::max<std::int64_t>(0, extent.lines - start);
    std::int64_t offset = query.pos.value_or(0);
    if (offset < 0) offset = std::max<std::int64_t>(0, total + offset);
    read_lines(job, start + offset, extent.lines, collect(-2));
    return out;
  }
  int wanted = rank_of_replica(query.subid);
  auto replicas = read_replicas();
  auto replica = replicas.find(query.subid);
  if (wanted < 0 || replica == replicas.end()) return out;
  std::int64_t before = replica_lines_before(query.subid, start, job);
  std::int64_t total = std::max<std::int64_t>(0, replica->second.lines - before);
  std::int64_t offset = query.pos.value_or(0);
  if (offset < 0) offset = std::max<std::int64_t>(0, total + offset);
  if (offset >= total) return out;
  read_lines(job, replica_line_rindex(query.subid, before + offset, job), extent.lines, collect(wanted));
  return out;
}

std::int64_t MetricsDb::log_line_count() const {
  if (!has_tables()) return 0;
  return read_job().extent.lines;
}

std::int64_t MetricsDb::first_kept_log_line() const {
  if (!has_tables()) return 0;
  return read_job().extent.first_kept;
}

std::uint64_t MetricsDb::log_resume_offset() const {
  const LogExtent& extent = log_index_.extent();
  if (extent.lines == 0 || extent.end <= extent.file_base || job_.log_file.empty()) return 0;
  std::uint64_t file_end = extent.end - extent.file_base;
  // The same log still there: as long as what was indexed, and a line ends where the last
  // indexed one did and where the last mark says one starts.
  int fd = ::open((file_.parent_path() / job_.log_file).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  auto byte_before = [&](std::uint64_t offset) {
    char byte = 0;
    return offset == 0 || (::pread(fd, &byte, 1, static_cast<off_t>(offset - 1)) == 1 && byte == '\n');
  };
  struct stat info {};
  std::optional<LogMark> last_mark = mark_at_or_before(extent.lines - 1);
  bool same = ::fstat(fd, &info) == 0 && static_cast<std::uint64_t>(info.st_size) >= file_end &&
              byte_before(file_end) && last_mark && last_mark->offset >= extent.file_base &&
              byte_before(last_mark->offset - extent.file_base);
  ::close(fd);
  return same ? file_end : 0;
}

std::int64_t MetricsDb::cap_log(std::uint64_t max_bytes, const std::function<bool(std::uint64_t length)>& free_bytes) {
  if (max_bytes == 0 || in_transaction_ || job_.log_file.empty()) return 0;
  const LogExtent extent = log_index_.extent();
  std::optional<LogMark> first_kept = mark_at_or_before(extent.first_kept);
  if (!first_kept || extent.end - first_kept->offset <= max_bytes) return 0;
  Statement select(db_, file_, "SELECT rindex, offset FROM log_marks WHERE offset >= ?1 ORDER BY rindex LIMIT 1");
  select.bind(1, static_cast<std::int64_t>(extent.end - max_bytes / 4 * 3));
  if (!select.step()) return 0;
  std::int64_t cut = select.integer(0);
  auto cut_offset = static_cast<std::uint64_t>(select.integer(1));
  if (cut <= extent.first_kept || cut_offset < extent.file_base) return 0;
  // Exclusive: no reader is inside the lines about to be freed.
  exec("BEGIN EXCLUSIVE");
  in_transaction_ = true;
  try {
    JobRow job = job_;
    job.extent = extent;
    // Unlabelled lines (replica "") are never asked for by replica: their count is not needed.
    std::map<std::string, std::int64_t> dropped;
    for (const auto& [subid, lines] : log_index_.replicas()) {
      dropped[subid] = subid.empty() ? 0 : replica_lines_before(subid, cut, job);
    }
    std::uint64_t length = (cut_offset - extent.file_base) / 4096 * 4096;  // whole blocks are freed
    if (length == 0 || !free_bytes(length)) {
      exec("ROLLBACK");
      in_transaction_ = false;
      return 0;
    }
    log_index_.drop_before(cut, dropped);
    Statement(db_, file_, "DELETE FROM log_marks WHERE rindex < ?1").bind(1, cut).run();
    Statement(db_, file_, "DELETE FROM log_replica_marks WHERE rindex < ?1").bind(1, cut).run();
    save_log_index();
    exec("COMMIT");
    in_transaction_ = false;
    return cut - extent.first_kept;
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    in_transaction_ = false;
    throw;
  }
}

}  // namespace mljob::metrics
