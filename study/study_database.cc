#include "study/study_database.h"

#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include <sqlite3.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/files.h"

namespace mljob::study {
namespace {

using nlohmann::json;

constexpr const char* kSchema = R"sql(
  CREATE TABLE IF NOT EXISTS study (id INTEGER PRIMARY KEY CHECK (id = 1), state TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS trials (
    trial_id INTEGER PRIMARY KEY, state TEXT NOT NULL, parameters TEXT NOT NULL,
    stopped_early INTEGER NOT NULL, final_value REAL, final_step INTEGER, error_message TEXT,
    start_time TEXT, end_time TEXT, transferred_from TEXT);
  CREATE TABLE IF NOT EXISTS measurements (
    trial_id INTEGER NOT NULL, position INTEGER NOT NULL, step INTEGER NOT NULL, value REAL NOT NULL,
    PRIMARY KEY (trial_id, position));
)sql";

// Whether this process may roll back a save that was interrupted: that rewrites the file and
// deletes its journal, which takes the right to write both the file and its folder.
bool may_roll_back(const std::filesystem::path& file) {
  std::filesystem::path folder = file.has_parent_path() ? file.parent_path() : ".";
  return ::access(file.c_str(), W_OK) == 0 && ::access(folder.c_str(), W_OK) == 0;
}

// A reader opens the file for writing when it may, as metrics.db's readers do: a controller
// killed inside a save (SIGKILL at its time limit, a lost node) leaves a hot journal, and only
// a connection that can write rolls it back; a read-only one fails (SQLITE_READONLY_ROLLBACK)
// until then, and describe, report, cancel, resume and the requeued controller with it.
// Reading writes nothing else.
int open_flags(const std::filesystem::path& file, bool writable) {
  if (writable) return SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  return may_roll_back(file) ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY;
}

// One open database, closed on every path out; each failure names the file and SQLite's reason.
class Database {
 public:
  Database(const std::filesystem::path& file, bool writable) : file_(file) {
    if (writable) create_private_file(file);  // 0600 whatever the umask: it holds the trials' values
    if (sqlite3_open_v2(file.c_str(), &db_, open_flags(file, writable), nullptr) != SQLITE_OK) fail("cannot be opened");
    sqlite3_busy_timeout(db_, 10000);  // the controller's transaction is short: wait it out
  }
  ~Database() { sqlite3_close(db_); }
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail("cannot be written");
  }

  using Statement = std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)>;
  Statement prepare(const char* sql) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &statement, nullptr) != SQLITE_OK) fail("is not a study database");
    return {statement, sqlite3_finalize};
  }

  // Runs a statement that returns no rows, then resets it for the next bindings.
  void run(sqlite3_stmt* statement) {
    if (sqlite3_step(statement) != SQLITE_DONE) fail("cannot be written");
    sqlite3_reset(statement);
    sqlite3_clear_bindings(statement);
  }

  [[noreturn]] void fail(const std::string& what) const {
    if (db_ && sqlite3_extended_errcode(db_) == SQLITE_READONLY_ROLLBACK) {
      // SQLite's own words ("attempt to write a readonly database") would not say why.
      throw std::runtime_error("study database " + file_.string() +
                               " cannot be read: a save of it was interrupted, and "
                               "only a process that may write it and its folder can roll that save back (the study's "
                               "owner, with any mljob study command)");
    }
    throw std::runtime_error("study database " + file_.string() + " " + what + ": " +
                             (db_ ? sqlite3_errmsg(db_) : "out of memory"));
  }

 private:
  std::filesystem::path file_;
  sqlite3* db_ = nullptr;
};

void bind_text(sqlite3_stmt* statement, int index, const std::string& text) {
  sqlite3_bind_text(statement, index, text.c_str(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

// An empty text is stored as NULL, so sqlite3 users see what is not known.
void bind_optional_text(sqlite3_stmt* statement, int index, const json& trial, const char* key) {
  if (trial.contains(key))
    bind_text(statement, index, trial[key].get<std::string>());
  else
    sqlite3_bind_null(statement, index);
}

std::string column_text(sqlite3_stmt* statement, int column) {
  const unsigned char* text = sqlite3_column_text(statement, column);
  return text ? reinterpret_cast<const char*>(text) : "";
}

// How many measurements each trial already has in the file: only the newer ones are written.
std::map<long long, long long> stored_measurements(Database& db) {
  std::map<long long, long long> counts;
  auto select = db.prepare("SELECT trial_id, COUNT(*) FROM measurements GROUP BY trial_id");
  while (sqlite3_step(select.get()) == SQLITE_ROW)
    counts[sqlite3_column_int64(select.get(), 0)] = sqlite3_column_int64(select.get(), 1);
  return counts;
}

void write_trial(Database& db, sqlite3_stmt* insert_trial, sqlite3_stmt* insert_measurement, const json& trial,
                 long long already_stored) {
  long long id = std::stoll(trial.at("trialId").get<std::string>());
  sqlite3_bind_int64(insert_trial, 1, id);
  bind_text(insert_trial, 2, trial.at("state").get<std::string>());
  bind_text(insert_trial, 3, trial.at("parameters").dump());
  sqlite3_bind_int(insert_trial, 4, trial.value("isTrialStoppedEarly", false) ? 1 : 0);
  if (trial.contains("finalMetric")) {
    sqlite3_bind_double(insert_trial, 5, trial["finalMetric"].at("objectiveValue").get<double>());
    sqlite3_bind_int64(insert_trial, 6, std::stoll(trial["finalMetric"].at("trainingStep").get<std::string>()));
  }
  bind_optional_text(insert_trial, 7, trial, "errorMessage");
  bind_optional_text(insert_trial, 8, trial, "startTime");
  bind_optional_text(insert_trial, 9, trial, "endTime");
  bind_optional_text(insert_trial, 10, trial, "transferredFrom");
  db.run(insert_trial);
  const json& metrics = trial.at("allMetrics");
  for (long long position = already_stored; position < static_cast<long long>(metrics.size()); ++position) {
    const json& metric = metrics[static_cast<std::size_t>(position)];
    sqlite3_bind_int64(insert_measurement, 1, id);
    sqlite3_bind_int64(insert_measurement, 2, position);
    sqlite3_bind_int64(insert_measurement, 3, std::stoll(metric.at("trainingStep").get<std::string>()));
    sqlite3_bind_double(insert_measurement, 4, metric.at("objectiveValue").get<double>());
    db.run(insert_measurement);
  }
}

// The trials in the form tuner::Study::from_json reads (Study::trial_json's).
json read_trials(Database& db) {
  std::map<long long, json> metrics;
  auto select_metrics = db.prepare("SELECT trial_id, step, value FROM measurements ORDER BY trial_id, position");
  while (sqlite3_step(select_metrics.get()) == SQLITE_ROW) {
    metrics[sqlite3_column_int64(select_metrics.get(), 0)].push_back(
        {{"trainingStep", std::to_string(sqlite3_column_int64(select_metrics.get(), 1))},
         {"objectiveValue", sqlite3_column_double(select_metrics.get(), 2)}});
  }
  json trials = json::array();
  auto select = db.prepare(
      "SELECT trial_id, state, parameters, stopped_early, final_value, final_step, error_message, start_time, end_time,"
      " transferred_from FROM trials ORDER BY trial_id");
  while (sqlite3_step(select.get()) == SQLITE_ROW) {
    sqlite3_stmt* row = select.get();
    long long id = sqlite3_column_int64(row, 0);
    json trial = {{"trialId", std::to_string(id)},
                  {"state", column_text(row, 1)},
                  {"parameters", json::parse(column_text(row, 2))},
                  {"isTrialStoppedEarly", sqlite3_column_int(row, 3) != 0},
                  {"allMetrics", metrics.contains(id) ? metrics[id] : json::array()}};
    if (sqlite3_column_type(row, 4) != SQLITE_NULL) {
      trial["finalMetric"] = {{"trainingStep", std::to_string(sqlite3_column_int64(row, 5))},
                              {"objectiveValue", sqlite3_column_double(row, 4)}};
    }
    for (auto [column, key] :
         {std::pair{6, "errorMessage"}, {7, "startTime"}, {8, "endTime"}, {9, "transferredFrom"}}) {
      if (sqlite3_column_type(row, column) != SQLITE_NULL) trial[key] = column_text(row, column);
    }
    trials.push_back(std::move(trial));
  }
  return trials;
}

}  // namespace

tuner::Study read_study_database(const std::filesystem::path& file) {
  Database db(file, false);
  auto select = db.prepare("SELECT state FROM study WHERE id = 1");
  if (sqlite3_step(select.get()) != SQLITE_ROW) db.fail("holds no study");
  json state = json::parse(column_text(select.get(), 0), nullptr, false);
  if (state.is_discarded()) db.fail("holds a study state that is not JSON");
  state["trials"] = read_trials(db);
  return tuner::Study::from_json(state);
}

void write_study_database(const tuner::Study& study, const std::filesystem::path& file) {
  Database db(file, true);
  // A rollback journal, not WAL: the controller runs on a compute node and describe on a login
  // node, often over NFS, where WAL's shared memory cannot reach. Saves are few and short.
  db.exec("PRAGMA journal_mode=DELETE");
  db.exec("PRAGMA synchronous=FULL");  // committed means on disk: a study's history is not redone
  db.exec(kSchema);
  db.exec("BEGIN IMMEDIATE");
  try {
    json state = study.to_json();
    json trials = std::move(state["trials"]);
    state.erase("trials");
    auto insert_state = db.prepare("INSERT OR REPLACE INTO study (id, state) VALUES (1, ?)");
    bind_text(insert_state.get(), 1, state.dump());
    db.run(insert_state.get());
    auto insert_trial = db.prepare(
        "INSERT OR REPLACE INTO trials (trial_id, state, parameters, stopped_early, final_value, final_step, "
        "error_message,"
        " start_time, end_time, transferred_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    auto insert_measurement =
        db.prepare("INSERT OR REPLACE INTO measurements (trial_id, position, step, value) VALUES (?, ?, ?, ?)");
    std::map<long long, long long> stored = stored_measurements(db);
    for (const auto& trial : trials) {
      long long id = std::stoll(trial.at("trialId").get<std::string>());
      write_trial(db, insert_trial.get(), insert_measurement.get(), trial, stored.contains(id) ? stored[id] : 0);
    }
    db.exec("COMMIT");
  } catch (...) {
    try {
      db.exec("ROLLBACK");
    } catch (...) {
    }
    throw;
  }
}

}  // namespace mljob::study
