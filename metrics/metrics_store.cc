#include "metrics/metrics_store.h"

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <deque>

#include "base/files.h"
#include "metrics/sqlite_statement.h"

namespace mljob::metrics {
namespace {

// record_pages: records many to a page (record_codec.h). A commit with few records writes a
// small page; once 64 small pages wait they are merged into one, so that a collector that
// commits a record at a time costs each record two writes, not a row.
// log_*: the index of output.log (log_index.h).
constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS job (
  id INTEGER PRIMARY KEY CHECK (id = 0), training_id BLOB, user_id BLOB, log_file BLOB,
  log_lines INTEGER NOT NULL, log_end INTEGER NOT NULL, file_base INTEGER NOT NULL, first_kept INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS strings (id INTEGER PRIMARY KEY, text BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS record_groups (string INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS record_pages (
  first_rindex INTEGER PRIMARY KEY, count INTEGER NOT NULL, first_time INTEGER NOT NULL,
  max_time INTEGER NOT NULL, merged INTEGER NOT NULL, records BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS log_marks (rindex INTEGER PRIMARY KEY, offset INTEGER NOT NULL, time INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS log_replica_marks (
  subid BLOB NOT NULL, nth INTEGER NOT NULL, rindex INTEGER NOT NULL, PRIMARY KEY (subid, nth)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log_replicas (
  subid BLOB PRIMARY KEY, lines INTEGER NOT NULL, dropped INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO job VALUES (0, '', '', '', 0, 0, 0, 0);
)";

constexpr std::size_t kMergedPageRecords = 1024;  // a page this full is written as final
constexpr int kSmallPagesBeforeMerge = 64;
constexpr std::size_t kMaxPageBytes = 1 << 20;  // the writer's buffer: memory stays bounded

}  // namespace

// One stored page, as read (its records valid until the next page is read).
struct MetricsDb::Page {
  PageStart start;
  std::int64_t count = 0;
  std::string_view records;
};

std::filesystem::path metrics_db_path(const std::filesystem::path& job_folder) {
  return job_folder / "metrics.db";
}

MetricsDb::MetricsDb(const std::filesystem::path& file, bool writable) : file_(file) {
  // A reader opens the file for writing when it may: a collector killed inside a transaction
  // (SIGKILL at the end of a time limit) leaves a hot journal, and only a connection that can
  // write rolls it back; a read-only one would fail until then. It writes nothing else.
  if (writable) create_private_file(file);  // 0600 whatever the umask: it holds the job's metrics
  int flags = writable ? (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
                       : (::access(file.c_str(), W_OK) == 0 ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY);
  if (sqlite3_open_v2(file.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError(file.string() + ": cannot open the metrics database: " + message);
  }
  sqlite3_busy_timeout(db_, 10000);
  if (writable) {
    // A rollback journal, not WAL: the collector writes from a compute node while describe,
    // logs and the study controller read from other hosts, usually over NFS, where WAL's
    // shared-memory index cannot work. A reader holds its lock only for one query.
    exec("PRAGMA journal_mode=DELETE");
    exec("PRAGMA synchronous=FULL");  // committed means on disk, even if the node then fails
    // Room for a whole commit in memory: a transaction that spilled to the file would need the
    // exclusive lock before its commit, and could then wait on a reader.
    exec("PRAGMA cache_size=-16384");
    exec(kSchema);
    load_writer_state();
  }
}

MetricsDb::~MetricsDb() {
  try {
    if (in_transaction_ || page_) commit();
  } catch (const std::exception&) {
    // a destructor cannot report; what was committed before stays
  }
  sqlite3_close(db_);
}

void MetricsDb::exec(const std::string& sql) const {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : sqlite3_errmsg(db_);
    sqlite3_free(error);
    throw StoreError(file_.string() + ": " + message + " (in: " + sql.substr(0, 60) + ")");
  }
}

bool MetricsDb::has_tables() const {
  Statement count(db_, file_,
                  "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('job', 'record_pages')");
  if (count.step() && count.integer(0) == 2) return true;
  // A file of an mljob-collect from before the record pages (a job that ran across an upgrade)
  // holds its records in other tables: saying so beats answering "no metrics".
  Statement old(db_, file_, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'emetrics'");
  if (old.step() && old.integer(0) == 1) {
    throw StoreError(file_.string() +
                     ": written by an older mljob-collect (a row per record and log line), which this mljob does "
                     "not read; its records are in its emetrics and loglines tables (sqlite3 can read them)");
  }
  return false;
}

MetricsDb::JobRow MetricsDb::read_job() const {
  JobRow job;
  Statement select(db_, file_,
                   "SELECT training_id, user_id, log_file, log_lines, log_end, file_base, first_kept FROM job");
  if (!select.step()) return job;
  job.training_id = select.text(0);
  job.user_id = select.text(1);
  job.log_file = select.text(2);
  job.extent = {select.integer(3), static_cast<std::uint64_t>(select.integer(4)),
                static_cast<std::uint64_t>(select.integer(5)), select.integer(6)};
  return job;
}

StringTable MetricsDb::read_strings() const {
  StringTable strings;
  Statement select(db_, file_, "SELECT id, text FROM strings ORDER BY id");
  while (select.step()) {
    try {
      strings.load(static_cast<std::uint64_t>(select.integer(0)), select.text(1));
    } catch (const CodecError& error) {
      throw StoreError(file_.string() + ": " + error.what());
    }
  }
  return strings;
}

void MetricsDb::load_writer_state() {
  job_ = read_job();
  strings_ = read_strings();
  Statement groups(db_, file_, "SELECT string FROM record_groups");
  while (groups.step()) known_groups_.push_back(static_cast<std::uint64_t>(groups.integer(0)));
  Statement next(db_, file_, "SELECT COALESCE(MAX(first_rindex + count), 0) FROM record_pages");
  next_record_ = next.step() ? next.integer(0) : 0;
  Statement small(db_, file_, "SELECT COUNT(*) FROM record_pages WHERE merged = 0");
  small_pages_ = small.step() ? static_cast<int>(small.integer(0)) : 0;
  std::optional<LogMark> last_mark = mark_at_or_before(job_.extent.lines);
  log_index_ = LogIndexer(job_.extent, read_replicas(), last_mark);
}

void MetricsDb::set_job(const std::string& training_id, const std::string& user_id, const std::string& log_file) {
  job_.training_id = training_id;
  job_.user_id = user_id;
  job_.log_file = log_file;
  job_changed_ = true;
}

void MetricsDb::begin_if_needed() {
  if (in_transaction_) return;
  exec("BEGIN IMMEDIATE");
  in_transaction_ = true;
}

void MetricsDb::add(const EMetrics& record) {
  const std::int64_t rindex = next_record_++;
  if (!page_) page_.emplace(PageStart{rindex, record.meta.time_ms});
  std::uint64_t group = 0;
  try {
    group = page_->add(record, rindex, strings_);
  } catch (const CodecError& error) {
    throw StoreError(file_.string() + ": " + error.what());
  }
  if (std::find(known_groups_.begin(), known_groups_.end(), group) == known_groups_.end()) {
    known_groups_.push_back(group);
    begin_if_needed();
    save_strings();
    Statement(db_, file_, "INSERT OR IGNORE INTO record_groups VALUES (?1)")
        .bind(1, static_cast<std::int64_t>(group))
        .run();
  }
  if (page_->bytes().size() >= kMaxPageBytes) flush_page();
}

void MetricsDb::save_strings() {
  auto unsaved = strings_.unsaved();
  if (unsaved.empty()) return;
  Statement insert(db_, file_, "INSERT INTO strings VALUES (?1, ?2)");
  for (const auto& [id, text] : unsaved) insert.bind(1, static_cast<std::int64_t>(id)).bind(2, text).run();
  strings_.mark_saved();
}

void MetricsDb::insert_page(const PageWriter& page, bool merged) {
  Statement(db_, file_, "INSERT INTO record_pages VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
      .bind(1, page.start().rindex)
      .bind(2, static_cast<std::int64_t>(page.count()))
      .bind(3, page.start().time_ms)
      .bind(4, page.max_time_ms())
      .bind(5, merged ? 1 : 0)
      .bind(6, page.bytes())
      .run();
  if (!merged) ++small_pages_;
}

void MetricsDb::merge_small_pages(bool seal) {
  if (small_pages_ == 1 && seal) {
    exec("UPDATE record_pages SET merged = 1 WHERE merged = 0");
    small_pages_ = 0;
  }
  if (small_pages_ < 2) return;
  std::optional<PageWriter> merged;
  {
    Statement select(
        db_, file_,
        "SELECT first_rindex, first_time, records FROM record_pages WHERE merged = 0 ORDER BY first_rindex");
    EMetrics record;
    while (select.step()) {
      PageStart start{select.integer(0), select.integer(1)};
      PageReader reader(select.bytes(2), start);
      for (RecordHeader header; reader.next(header);) {
        record.meta.time_ms = header.time_ms;
        record.grouplabel = strings_.text(header.group);
        record.meta.subid = strings_.text(header.subid);
        reader.read_body(strings_, record);
        if (!merged) merged.emplace(start);
        merged->add(record, header.rindex, strings_);
      }
    }
  }
  exec("DELETE FROM record_pages WHERE merged = 0");
  small_pages_ = 0;
  // Still small (records trickle in): it is merged again with the next ones, until full. Sealed
  // when a full page follows it: small pages are always the last ones, so that merging them
  // never mixes records around another page's.
  if (merged) insert_page(*merged, seal || merged->count() >= kMergedPageRecords);
}

void MetricsDb::flush_page() {
  if (!page_) return;
  begin_if_needed();
  save_strings();
  bool full = page_->count() >= kMergedPageRecords;
  if (full) merge_small_pages(true);  // the small pages before it first: pages stay in rindex order
  insert_page(*page_, full);
  page_.reset();
}

bool MetricsDb::commit(bool final) {
  try {
    flush_page();
    if (small_pages_ >= kSmallPagesBeforeMerge || (final && small_pages_ > 1)) {
      begin_if_needed();
      merge_small_pages(final);
    }
    save_log_index();
  } catch (const CodecError& error) {
    throw StoreError(file_.string() + ": " + error.what());
  }
  if (!in_transaction_) return true;
  int rc = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  // Readers still hold the file past the busy timeout: the transaction stays open and the next
  // commit tries again with what was added since. Nothing is lost, and collection goes on.
  if (rc == SQLITE_BUSY) return false;
  if (rc != SQLITE_OK) throw StoreError(file_.string() + ": cannot commit: " + sqlite3_errmsg(db_));
  in_transaction_ = false;
  return true;
}

void MetricsDb::set_busy_timeout(std::chrono::milliseconds timeout) {
  sqlite3_busy_timeout(db_, static_cast<int>(timeout.count()));
}

void MetricsDb::for_each_page(const RecordQuery& query, bool descending,
                              const std::function<bool(const Page&)>& take) const {
  Statement select(db_, file_,
                   std::string("SELECT first_rindex, first_time, count, records FROM record_pages "
                               "WHERE first_rindex + count > ?1 AND max_time >= ?2 ORDER BY first_rindex") +
                       (descending ? " DESC" : ""));
  select.bind(1, query.from_rindex.value_or(0)).bind(2, query.since_ms.value_or(INT64_MIN));
  while (select.step()) {
    if (!take(Page{{select.integer(0), select.integer(1)}, select.integer(2), select.bytes(3)})) return;
  }
}

namespace {

// Whether a record is one that `query` selects, from its header alone. Strings the table does
// not hold select nothing.
struct RecordFilter {
  std::int64_t group = -1, subid = -1;
  bool any_group = true, any_subid = true;
  const RecordQuery* query;

  RecordFilter(const RecordQuery& q, const StringTable& strings) : query(&q) {
    if (!q.group.empty()) any_group = false, group = strings.find(q.group);
    if (!q.subid.empty()) any_subid = false, subid = strings.find(q.subid);
  }
  bool selects(const RecordHeader& header) const {
    return (any_group || static_cast<std::int64_t>(header.group) == group) &&
           (any_subid || static_cast<std::int64_t>(header.subid) == subid) &&
           header.time_ms >= query->since_ms.value_or(INT64_MIN) && header.rindex >= query->from_rindex.value_or(0);
  }
};

void fill_record(const RecordHeader& header, PageReader& reader, const StringTable& strings, EMetrics& record) {
  record.meta.rindex = header.rindex;
  record.meta.time_ms = header.time_ms;
  record.grouplabel = strings.text(header.group);
  record.meta.subid = strings.text(header.subid);
  reader.read_body(strings, record);
}

}  // namespace

void MetricsDb::scan_records(const RecordQuery& selection, const std::function<bool(const RecordView&)>& visit) const {
  // A few pages per read transaction, decoded after it ends: a reader that pages through
  // millions of records (or whose output waits on a pager) never holds the collector's commits.
  constexpr std::size_t kPagesPerSnapshot = 16;
  std::int64_t cursor = selection.from_rindex.value_or(0);
  for (;;) {
    struct OwnedPage {
      PageStart start;
      std::int64_t count;
      std::string records;
    };
    std::vector<OwnedPage> pages;
    StringTable strings;
    JobRow job;
    {
      ReadSnapshot snapshot(db_);
      strings = read_strings();
      job = read_job();
      RecordQuery next = selection;
      next.from_rindex = cursor;
      for_each_page(next, false, [&](const Page& page) {
        pages.push_back({page.start, page.count, std::string(page.records)});
        return pages.size() < kPagesPerSnapshot;
      });
    }
    if (pages.empty()) return;
    RecordFilter filter(selection, strings);
    try {
      for (const OwnedPage& page : pages) {
        PageReader reader(page.records, page.start);
        for (RecordHeader header; reader.next(header);) {
          // Merged again since the last transaction: records already visited come back.
          if (header.rindex < cursor || !filter.selects(header)) {
            reader.skip_body();
            continue;
          }
          if (!visit(RecordView{header, reader, strings, job})) return;
        }
        cursor = std::max(cursor, page.start.rindex + page.count);
      }
    } catch (const CodecError& error) {
      throw StoreError(file_.string() + ": " + error.what());
    }
  }
}

void MetricsDb::for_each_metric(const RecordQuery& query, const std::function<bool(const EMetrics&)>& take) const {
  if (!has_tables()) return;
  RecordQuery selection = query;
  std::int64_t offset = query.pos.value_or(0);
  if (query.group.empty() && query.subid.empty() && !query.since_ms) {
    // Records are numbered densely from 0: the first one is found by number, not by reading.
    std::int64_t from = query.from_rindex.value_or(0), total = std::max<std::int64_t>(0, metrics_count() - from);
    if (offset < 0) offset = std::max<std::int64_t>(0, total + offset);
    selection.from_rindex = from + offset;
    offset = 0;
  }
  if (offset < 0) {  // --pos N < 0 counts from the end: the number of matching records first
    std::int64_t total = 0;
    scan_records(selection, [&](const RecordView& view) {
      view.reader.skip_body();
      ++total;
      return true;
    });
    offset = std::max<std::int64_t>(0, total + offset);
  }
  std::int64_t limit = query.limit.value_or(-1), seen = 0, taken = 0;
  EMetrics record;
  scan_records(selection, [&](const RecordView& view) {
    if (seen++ < offset) {
      view.reader.skip_body();
      return true;
    }
    if (limit >= 0 && taken >= limit) return false;
    fill_record(view.header, view.reader, view.strings, record);
    record.meta.training_id = view.job.training_id;
    record.meta.user_id = view.job.user_id;
    ++taken;
    return take(record);
  });
}

std::vector<EMetrics> MetricsDb::metrics(const RecordQuery& query) const {
  std::vector<EMetrics> out;
  for_each_metric(query, [&](const EMetrics& record) {
    out.push_back(record);
    return true;
  });
  return out;
}

std::vector<std::string> MetricsDb::groups() const {
  std::vector<std::string> out;
  if (!has_tables()) return out;
  Statement select(db_, file_,
                   "SELECT strings.text FROM record_groups JOIN strings ON strings.id = record_groups.string");
  while (select.step()) out.push_back(select.text(0));
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<EMetrics> MetricsDb::metrics_with_value(const std::string& name, std::int64_t last_n,
                                                    const std::string& subid) const {
  std::deque<EMetrics> found;
  if (!has_tables() || last_n <= 0) return {};
  ReadSnapshot snapshot(db_);
  StringTable strings = read_strings();
  JobRow job = read_job();
  std::int64_t name_id = strings.find(name), subid_id = subid.empty() ? -1 : strings.find(subid);
  if (name_id < 0 || (!subid.empty() && subid_id < 0)) return {};
  try {
    for_each_page({}, true, [&](const Page& page) {  // newest first, until there are enough
      std::vector<EMetrics> in_page;
      PageReader reader(page.records, page.start);
      for (RecordHeader header; reader.next(header);) {
        bool wanted = (subid_id < 0 || static_cast<std::int64_t>(header.subid) == subid_id) &&
                      reader.body_has_value(static_cast<std::uint64_t>(name_id));
        if (!wanted) {
          reader.skip_body();
          continue;
        }
        EMetrics& record = in_page.emplace_back();
        fill_record(header, reader, strings, record);
        record.meta.training_id = job.training_id;
        record.meta.user_id = job.user_id;
      }
      for (auto it = in_page.rbegin(); it != in_page.rend() && static_cast<std::int64_t>(found.size()) < last_n; ++it)
        found.push_front(std::move(*it));
      return static_cast<std::int64_t>(found.size()) < last_n;
    });
  } catch (const CodecError& error) {
    throw StoreError(file_.string() + ": " + error.what());
  }
  return {std::make_move_iterator(found.begin()), std::make_move_iterator(found.end())};
}

std::int64_t MetricsDb::metrics_count() const {
  if (!has_tables()) return 0;
  Statement count(db_, file_, "SELECT COALESCE(MAX(first_rindex + count), 0) FROM record_pages");
  return count.step() ? count.integer(0) : 0;
}

}  // namespace mljob::metrics
