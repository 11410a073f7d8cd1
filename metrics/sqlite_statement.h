// A prepared SQLite statement that finalizes itself, with the binds and column reads the
// metrics store uses. Errors name the database file and the statement.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "metrics/metrics_store.h"

namespace mljob::metrics {

class Statement {
 public:
  Statement(sqlite3* db, const std::filesystem::path& file, const std::string& sql) : db_(db), file_(file) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement_, nullptr) != SQLITE_OK) {
      throw StoreError(file.string() + ": " + sqlite3_errmsg(db) + " (in: " + sql.substr(0, 60) + ")");
    }
  }
  ~Statement() { sqlite3_finalize(statement_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::int64_t value) {
    sqlite3_bind_int64(statement_, index, value);
    return *this;
  }
  Statement& bind(int index, std::string_view value) {
    sqlite3_bind_blob(statement_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // Another row? Throws on an error (a damaged file, a lost lock).
  bool step() {
    int rc = sqlite3_step(statement_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw StoreError(file_.string() + ": " + sqlite3_errmsg(db_));
  }
  // Runs a statement that returns no rows, then makes it ready to run again.
  void run() {
    step();
    reset();
  }
  void reset() { sqlite3_reset(statement_); }

  std::int64_t integer(int column) const { return sqlite3_column_int64(statement_, column); }
  bool is_null(int column) const { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }
  std::string_view bytes(int column) const {
    const void* blob = sqlite3_column_blob(statement_, column);
    return blob ? std::string_view(static_cast<const char*>(blob), sqlite3_column_bytes(statement_, column))
                : std::string_view();
  }
  std::string text(int column) const { return std::string(bytes(column)); }

 private:
  sqlite3* db_;
  const std::filesystem::path& file_;
  sqlite3_stmt* statement_ = nullptr;
};

// A read transaction for the length of a query, so that it sees one committed state (the
// writer's own connection is already inside its transaction, and reads that).
class ReadSnapshot {
 public:
  explicit ReadSnapshot(sqlite3* db) : db_(db), began_(sqlite3_get_autocommit(db) != 0) {
    if (began_ && sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) began_ = false;
  }
  ~ReadSnapshot() {
    if (began_) sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  }
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

 private:
  sqlite3* db_;
  bool began_;
};

}  // namespace mljob::metrics
