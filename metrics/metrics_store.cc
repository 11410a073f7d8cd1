#include "metrics/metrics_store.h"

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "base/files.h"

namespace mljob::metrics {
namespace {

using nlohmann::json;

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS emetrics (
  rindex INTEGER PRIMARY KEY, training_id TEXT, user_id TEXT, time INTEGER, subid TEXT,
  grouplabel TEXT, etimes TEXT, vals TEXT);
CREATE INDEX IF NOT EXISTS emetrics_by_group ON emetrics(grouplabel, rindex);
CREATE TABLE IF NOT EXISTS loglines (
  rindex INTEGER PRIMARY KEY, training_id TEXT, user_id TEXT, time INTEGER, subid TEXT, line BLOB);
)";

// {"name": {"type": "FLOAT", "value": "0.5"}}: FfDL's Any, kept as typed text.
std::string typed_map_to_text(const std::map<std::string, TypedValue>& values) {
  json out = json::object();
  for (const auto& [key, value] : values) out[key] = {{"type", value_type_name(value.type)}, {"value", value.text}};
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::map<std::string, TypedValue> typed_map_from_text(const unsigned char* text) {
  std::map<std::string, TypedValue> out;
  if (!text) return out;
  json parsed = json::parse(reinterpret_cast<const char*>(text), nullptr, false);
  if (!parsed.is_object()) return out;
  for (const auto& [key, value] : parsed.items()) {
    out[key] = TypedValue{value_type_from_name(value.value("type", "STRING")).value_or(ValueType::kString),
                          value.value("value", "")};
  }
  return out;
}

std::string column_text(sqlite3_stmt* statement, int column) {
  const unsigned char* text = sqlite3_column_text(statement, column);
  return text ? std::string(reinterpret_cast<const char*>(text), sqlite3_column_bytes(statement, column))
              : std::string();
}

Meta read_meta(sqlite3_stmt* statement) {
  Meta meta;
  meta.rindex = sqlite3_column_int64(statement, 0);
  meta.training_id = column_text(statement, 1);
  meta.user_id = column_text(statement, 2);
  meta.time_ms = sqlite3_column_int64(statement, 3);
  meta.subid = column_text(statement, 4);
  return meta;
}

// The columns read_emetrics reads, in its order.
constexpr const char* kEMetricsColumns = "rindex, training_id, user_id, time, subid, grouplabel, etimes, vals";

EMetrics read_emetrics(sqlite3_stmt* statement) {
  EMetrics record;
  record.meta = read_meta(statement);
  record.grouplabel = column_text(statement, 5);
  record.etimes = typed_map_from_text(sqlite3_column_text(statement, 6));
  record.values = typed_map_from_text(sqlite3_column_text(statement, 7));
  return record;
}

// The WHERE/LIMIT/OFFSET of a query, and its bound values in order.
struct Selection {
  std::string where;
  std::vector<std::string> text_values;
  std::vector<std::int64_t> int_values;
};

}  // namespace

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
    // Room for a whole block (4 MiB of log, about 10 MiB of pages) in memory: a transaction
    // that spilled to the file would need the exclusive lock before its commit, and could then
    // wait on a reader.
    exec("PRAGMA cache_size=-16384");
    exec(kSchema);
    next_metric_ = next_index("emetrics");
    next_line_ = next_index("loglines");
    insert_metric_ = prepare("INSERT INTO emetrics VALUES (?,?,?,?,?,?,?,?)");
    insert_line_ = prepare("INSERT INTO loglines VALUES (?,?,?,?,?,?)");
  }
}

MetricsDb::~MetricsDb() {
  try {
    if (in_transaction_) commit();
  } catch (const std::exception&) {
    // a destructor cannot report; what was committed before stays
  }
  sqlite3_finalize(insert_metric_);
  sqlite3_finalize(insert_line_);
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

sqlite3_stmt* MetricsDb::prepare(const std::string& sql) const {
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
    throw StoreError(file_.string() + ": " + sqlite3_errmsg(db_) + " (in: " + sql.substr(0, 60) + ")");
  }
  return statement;
}

bool MetricsDb::has_tables() const {
  sqlite3_stmt* statement =
      prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('emetrics', 'loglines')");
  bool found = sqlite3_step(statement) == SQLITE_ROW && sqlite3_column_int64(statement, 0) == 2;
  sqlite3_finalize(statement);
  return found;
}

std::int64_t MetricsDb::next_index(const char* table) const {
  if (!has_tables()) return 0;
  sqlite3_stmt* statement = prepare(std::string("SELECT COALESCE(MAX(rindex) + 1, 0) FROM ") + table);
  std::int64_t next = sqlite3_step(statement) == SQLITE_ROW ? sqlite3_column_int64(statement, 0) : 0;
  sqlite3_finalize(statement);
  return next;
}

void MetricsDb::begin_if_needed() {
  if (in_transaction_) return;
  exec("BEGIN IMMEDIATE");
  in_transaction_ = true;
}

namespace {

// The columns both tables start with: the row's index (rindex), then its Meta (training_id,
// user_id, time, subid): parameters 1-5 of either INSERT.
void bind_row_start(sqlite3_stmt* s, std::int64_t index, const Meta& meta) {
  sqlite3_bind_int64(s, 1, index);
  sqlite3_bind_text(s, 2, meta.training_id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 3, meta.user_id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(s, 4, meta.time_ms);
  sqlite3_bind_text(s, 5, meta.subid.c_str(), -1, SQLITE_TRANSIENT);
}

}  // namespace

void MetricsDb::add(const EMetrics& record) {
  begin_if_needed();
  sqlite3_stmt* s = insert_metric_;
  bind_row_start(s, next_metric_++, record.meta);
  sqlite3_bind_text(s, 6, record.grouplabel.c_str(), -1, SQLITE_TRANSIENT);
  std::string etimes = typed_map_to_text(record.etimes), values = typed_map_to_text(record.values);
  sqlite3_bind_text(s, 7, etimes.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 8, values.c_str(), -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(s);
  sqlite3_reset(s);
  if (rc != SQLITE_DONE) throw StoreError(file_.string() + ": cannot store a metrics record: " + sqlite3_errmsg(db_));
}

void MetricsDb::add(LogLineRecord line) {
  begin_if_needed();
  sqlite3_stmt* s = insert_line_;
  bind_row_start(s, next_line_++, line.meta);
  sqlite3_bind_blob(s, 6, line.line.data(), static_cast<int>(line.line.size()), SQLITE_TRANSIENT);  // any bytes
  int rc = sqlite3_step(s);
  sqlite3_reset(s);
  if (rc != SQLITE_DONE) throw StoreError(file_.string() + ": cannot store a log line: " + sqlite3_errmsg(db_));
}

bool MetricsDb::commit() {
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

namespace {

// Builds "WHERE ... ORDER BY rindex LIMIT ? OFFSET ?" for `query` over `table`.
std::string selection_sql(const RecordQuery& query, bool with_group, std::int64_t total, std::int64_t& offset,
                          std::int64_t& limit) {
  std::string where = " WHERE 1=1";
  if (with_group && !query.group.empty()) where += " AND grouplabel = ?1";
  if (!query.subid.empty()) where += " AND subid = ?2";
  if (query.since_ms) where += " AND time >= ?3";
  if (query.from_rindex) where += " AND rindex >= ?6";
  offset = 0;
  if (query.pos) offset = *query.pos >= 0 ? *query.pos : std::max<std::int64_t>(0, total + *query.pos);
  limit = query.limit.value_or(-1);
  return where;
}

}  // namespace

sqlite3_stmt* MetricsDb::select_page(const std::string& columns, const std::string& table, const RecordQuery& query,
                                     bool with_group) const {
  std::int64_t offset = 0, limit = -1, total = 0;
  std::string where = selection_sql(query, with_group, 0, offset, limit);
  auto bind = [&](sqlite3_stmt* s) {
    if (with_group) sqlite3_bind_text(s, 1, query.group.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, query.subid.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 3, query.since_ms.value_or(0));
    sqlite3_bind_int64(s, 6, query.from_rindex.value_or(0));
  };
  // --pos N < 0 counts from the end: the page's offset needs the number of matching records.
  if (query.pos && *query.pos < 0) {
    sqlite3_stmt* count = prepare("SELECT COUNT(*) FROM " + table + where + " AND ?6 IS NOT NULL");
    bind(count);
    if (sqlite3_step(count) == SQLITE_ROW) total = sqlite3_column_int64(count, 0);
    sqlite3_finalize(count);
    selection_sql(query, with_group, total, offset, limit);
  }
  sqlite3_stmt* s = prepare("SELECT " + columns + " FROM " + table + where +
                            " AND ?6 IS NOT NULL ORDER BY rindex LIMIT ?4 OFFSET ?5");
  bind(s);
  sqlite3_bind_int64(s, 4, limit);
  sqlite3_bind_int64(s, 5, offset);
  return s;
}

std::vector<EMetrics> MetricsDb::metrics(const RecordQuery& query) const {
  std::vector<EMetrics> out;
  if (!has_tables()) return out;
  sqlite3_stmt* s = select_page(kEMetricsColumns, "emetrics", query, true);
  while (sqlite3_step(s) == SQLITE_ROW) out.push_back(read_emetrics(s));
  sqlite3_finalize(s);
  return out;
}

std::vector<LogLineRecord> MetricsDb::log_lines(const RecordQuery& query) const {
  std::vector<LogLineRecord> out;
  if (!has_tables()) return out;
  sqlite3_stmt* s = select_page("rindex, training_id, user_id, time, subid, line", "loglines", query, false);
  while (sqlite3_step(s) == SQLITE_ROW) {
    LogLineRecord line;
    line.meta = read_meta(s);
    const void* blob = sqlite3_column_blob(s, 5);
    line.line.assign(static_cast<const char*>(blob ? blob : ""), sqlite3_column_bytes(s, 5));
    out.push_back(std::move(line));
  }
  sqlite3_finalize(s);
  return out;
}

std::vector<std::string> MetricsDb::groups() const {
  std::vector<std::string> out;
  if (!has_tables()) return out;
  sqlite3_stmt* s = prepare("SELECT DISTINCT grouplabel FROM emetrics ORDER BY grouplabel");
  while (sqlite3_step(s) == SQLITE_ROW) out.push_back(column_text(s, 0));
  sqlite3_finalize(s);
  return out;
}

std::vector<EMetrics> MetricsDb::metrics_with_value(const std::string& name, std::int64_t last_n,
                                                    const std::string& subid) const {
  std::vector<EMetrics> out;
  if (!has_tables()) return out;
  // JSON1 (built into SQLite) finds the records without decoding every one here.
  sqlite3_stmt* s = prepare(std::string("SELECT ") + kEMetricsColumns +
                            " FROM emetrics "
                            "WHERE json_type(vals, '$.\"' || replace(?1, '\"', '\\\"') || '\"') IS NOT NULL "
                            "AND (?3 = '' OR subid = ?3) ORDER BY rindex DESC LIMIT ?2");
  sqlite3_bind_text(s, 1, name.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 3, subid.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(s, 2, last_n);
  while (sqlite3_step(s) == SQLITE_ROW) out.push_back(read_emetrics(s));
  sqlite3_finalize(s);
  std::reverse(out.begin(), out.end());
  return out;
}

std::int64_t MetricsDb::metrics_count() const {
  return next_index("emetrics");
}
std::int64_t MetricsDb::log_line_count() const {
  return next_index("loglines");
}

}  // namespace mljob::metrics
