// A job's metrics and the index of its log, stored durably beside the job (JOB_FOLDER/metrics.db,
// SQLite with a rollback journal, so that readers on other hosts of a shared file system work:
// one writer, the collector, and any number of readers, each holding the file for one query).
//
// - Records are numbered (rindex) in the order they are added, from 0, and kept many to a page
//   in a compact form (record_codec.h): about 10 bytes a datapoint.
// - Log lines stay where Slurm wrote them, in output.log; metrics.db keeps their index
//   (log_index.h) and log_lines() reads them back from output.log.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "metrics/emetrics.h"
#include "metrics/log_index.h"
#include "metrics/record_codec.h"

struct sqlite3;
struct sqlite3_stmt;

namespace mljob::metrics {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Which records a query wants, in rindex order.
struct RecordQuery {
  std::string group{};                        // empty: every group (ignored for log lines)
  std::optional<std::int64_t> since_ms{};     // only records collected at or after this time
  std::optional<std::int64_t> pos{};          // start at this position of the selection; negative: from its end
  std::optional<std::int64_t> limit{};        // at most this many
  std::string subid{};                        // empty: every replica
  std::optional<std::int64_t> from_rindex{};  // only records numbered this or later (for following)
};

class MetricsDb {
 public:
  // Opens (creating if asked) the database at `file`.
  MetricsDb(const std::filesystem::path& file, bool writable);
  ~MetricsDb();
  MetricsDb(const MetricsDb&) = delete;
  MetricsDb& operator=(const MetricsDb&) = delete;

  // Writing (the collector). Everything added between commits is one transaction; commit()
  // makes it durable and visible. commit() answers false when readers kept the file past the
  // busy timeout: what was added stays in the open transaction and the next commit() takes it.
  //
  // The job's identity and its log (a file name beside metrics.db), kept once for all records.
  void set_job(const std::string& training_id, const std::string& user_id, const std::string& log_file);
  // The record gets the next rindex (its meta.rindex, training_id and user_id are not read).
  void add(const EMetrics& record);
  // Indexes a block of whole lines of the log, read at byte `file_offset`, collected at `time_ms`.
  void add_log_lines(std::string_view block, std::uint64_t file_offset, std::int64_t time_ms);
  // `final`: the collector is done; small pages written by earlier commits are merged.
  bool commit(bool final = false);
  // How long a commit waits for readers (10 s unless set).
  void set_busy_timeout(std::chrono::milliseconds timeout);
  // Where the collector may go on reading the log after a restart: the file offset after the
  // last line indexed, when today's log still holds it (same bytes before it); else 0.
  std::uint64_t log_resume_offset() const;
  // The site's cap on stored log bytes: when the lines kept pass `max_bytes`, the oldest are
  // dropped down to three quarters of it. `free_bytes(length)` must free the first `length`
  // bytes of output.log (punch a hole) and answer whether it could; only then are the lines
  // dropped. Answers the number of lines dropped.
  std::int64_t cap_log(std::uint64_t max_bytes, const std::function<bool(std::uint64_t length)>& free_bytes);

  std::vector<EMetrics> metrics(const RecordQuery& query) const;
  // The same records handed to `take` one at a time (until it answers false), without holding
  // them all: for output of any size.
  void for_each_metric(const RecordQuery& query, const std::function<bool(const EMetrics&)>& take) const;
  std::vector<LogLineRecord> log_lines(const RecordQuery& query) const;
  std::vector<std::string> groups() const;
  // The last `last_n` records that carry a value named `name` (of replica `subid` if given),
  // oldest first.
  std::vector<EMetrics> metrics_with_value(const std::string& name, std::int64_t last_n,
                                           const std::string& subid = "") const;
  std::int64_t metrics_count() const;
  std::int64_t log_line_count() const;
  // The first line still kept (lines before it were dropped at the cap or lost to a restarted log).
  std::int64_t first_kept_log_line() const;

 private:
  struct JobRow {
    std::string training_id, user_id, log_file;
    LogExtent extent;
  };
  struct Page;
  // A record being read: its header, the reader positioned at its values, and what decodes them.
  struct RecordView {
    const RecordHeader& header;
    PageReader& reader;
    const StringTable& strings;
    const JobRow& job;
  };

  void exec(const std::string& sql) const;
  void begin_if_needed();
  sqlite3_stmt* prepare(const std::string& sql) const;
  // A reader can open the file between the collector creating it and creating its tables:
  // until they exist, every query answers nothing.
  bool has_tables() const;
  JobRow read_job() const;
  StringTable read_strings() const;
  void load_writer_state();

  // Records: the pages a query may need, in order, each handed to `take` until it answers
  // false; the current page buffered by the writer.
  void for_each_page(const RecordQuery& query, bool descending, const std::function<bool(const Page&)>& take) const;
  // The records `selection` selects (not its pos and limit), in order, until `visit` answers
  // false; `visit` reads or skips each one's values.
  void scan_records(const RecordQuery& selection, const std::function<bool(const RecordView&)>& visit) const;
  void flush_page();
  void insert_page(const PageWriter& page, bool merged);
  void merge_small_pages(bool seal);
  void save_strings();

  // The log index.
  void save_log_index();
  std::optional<LogMark> mark_at_or_before(std::int64_t rindex) const;
  // Where counting a replica's lines can start: its line number `nth` is line `rindex` of the
  // log (the last replica mark meeting `condition` on ?2 = bound, else the first line kept).
  struct ReplicaPlace {
    std::int64_t nth, rindex;
  };
  ReplicaPlace replica_mark(const std::string& subid, const char* condition, std::int64_t bound,
                            const JobRow& job) const;
  std::int64_t replica_lines_before(const std::string& subid, std::int64_t rindex, const JobRow& job) const;
  std::int64_t replica_line_rindex(const std::string& subid, std::int64_t nth, const JobRow& job) const;
  std::map<std::string, ReplicaLines> read_replicas() const;
  // Calls `take(rindex, time, rank, text)` for lines from `first` on (rank -1: no srun label),
  // until it answers false or line `end` is reached.
  void read_lines(const JobRow& job, std::int64_t first, std::int64_t end,
                  const std::function<bool(std::int64_t, std::int64_t, int, std::string_view)>& take) const;

  sqlite3* db_ = nullptr;
  std::filesystem::path file_;
  bool in_transaction_ = false;
  // The writer's state.
  StringTable strings_;
  std::vector<std::uint64_t> known_groups_;
  std::int64_t next_record_ = 0;
  std::optional<PageWriter> page_;
  int small_pages_ = 0;
  LogIndexer log_index_;
  bool job_changed_ = false;
  JobRow job_;
};

// JOB_FOLDER/metrics.db
std::filesystem::path metrics_db_path(const std::filesystem::path& job_folder);

}  // namespace mljob::metrics
