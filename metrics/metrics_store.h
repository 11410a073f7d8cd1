// A job's metrics and log lines, stored durably beside the job (JOB_FOLDER/metrics.db, SQLite
// with a rollback journal, so that readers on other hosts of a shared file system work: one
// writer, the collector, and any number of readers, each holding the file for one query).
// Records are numbered (rindex) in the order they are added, from 0, per kind.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "metrics/emetrics.h"

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

  // Writing (the collector): records get the next rindex; call commit() to make them durable
  // and visible. Everything added between commits is one transaction. commit() answers false
  // when readers kept the file past the busy timeout: the records stay in the open transaction
  // and the next commit() takes them with it.
  void add(const EMetrics& record);
  void add(LogLineRecord line);
  bool commit();
  // How long a commit waits for readers (10 s unless set).
  void set_busy_timeout(std::chrono::milliseconds timeout);

  std::vector<EMetrics> metrics(const RecordQuery& query) const;
  std::vector<LogLineRecord> log_lines(const RecordQuery& query) const;
  std::vector<std::string> groups() const;
  // The last `last_n` records that carry a value named `name` (of replica `subid` if given),
  // oldest first.
  std::vector<EMetrics> metrics_with_value(const std::string& name, std::int64_t last_n,
                                           const std::string& subid = "") const;
  std::int64_t metrics_count() const;
  std::int64_t log_line_count() const;

 private:
  void exec(const std::string& sql) const;
  void begin_if_needed();
  sqlite3_stmt* prepare(const std::string& sql) const;
  // The records of `table` that `query` selects, as a prepared SELECT of `columns` by rindex.
  sqlite3_stmt* select_page(const std::string& columns, const std::string& table, const RecordQuery& query,
                            bool with_group) const;
  std::int64_t next_index(const char* table) const;
  // A reader can open the file between the collector creating it and creating its tables:
  // until they exist, every query answers nothing.
  bool has_tables() const;

  sqlite3* db_ = nullptr;
  std::filesystem::path file_;
  bool in_transaction_ = false;
  std::int64_t next_metric_ = 0;
  std::int64_t next_line_ = 0;
  sqlite3_stmt* insert_metric_ = nullptr;
  sqlite3_stmt* insert_line_ = nullptr;
};

// JOB_FOLDER/metrics.db
std::filesystem::path metrics_db_path(const std::filesystem::path& job_folder);

}  // namespace mljob::metrics
