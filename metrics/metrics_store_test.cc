#include "metrics/metrics_store.h"

#include <gtest/gtest.h>

#include <optional>
#include <random>

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>
#include "base/test_support.h"

#include <fstream>

namespace mljob::metrics {
namespace {

namespace fs = std::filesystem;

class MetricsStore : public ::testing::Test {
 protected:
  void SetUp() override {
    scratch_.emplace("mljob-metrics-store");
    folder_ = scratch_->path();
  }
  std::optional<mljob::testing::ScratchFolder> scratch_;
  fs::path folder_;
};

EMetrics record(const std::string& group, double loss, std::int64_t time) {
  EMetrics r;
  r.meta = Meta{"job1", "alice", time, 0, "0"};
  r.grouplabel = group;
  r.values["loss"] = TypedValue{ValueType::kFloat, std::to_string(loss)};
  r.etimes["step"] = TypedValue{ValueType::kInt, std::to_string(time)};
  return r;
}

TEST_F(MetricsStore, RecordsComeBackInOrderWithPaging) {
  MetricsDb writer(metrics_db_path(folder_), true);
  writer.set_job("job1", "alice", "output.log");
  for (int i = 0; i < 10; ++i) writer.add(record(i % 2 ? "test" : "train", i, 1000 + i));
  const std::string log("1: bytes \xff\x00 kept\n", 17);
  std::ofstream(folder_ / "output.log") << log;
  writer.add_log_lines(log, 0, 5);
  writer.commit();

  MetricsDb reader(metrics_db_path(folder_), false);  // a second connection, as `mljob metrics` is
  EXPECT_EQ(reader.metrics_count(), 10);
  auto all = reader.metrics({});
  ASSERT_EQ(all.size(), 10u);
  EXPECT_EQ(all[3].meta.rindex, 3);
  EXPECT_EQ(all[3].meta.training_id, "job1");
  EXPECT_EQ(all[3].meta.user_id, "alice");
  EXPECT_EQ(all[3].meta.time_ms, 1003);
  EXPECT_EQ(all[3].meta.subid, "0");
  EXPECT_EQ(all[3].etimes.at("step").text, "1003");
  EXPECT_EQ(all[3].grouplabel, "test");
  EXPECT_EQ(all[3].values.at("loss").type, ValueType::kFloat);
  EXPECT_EQ(reader.metrics({.group = "test"}).size(), 5u);
  auto last_two = reader.metrics({.group = "train", .pos = -2});
  ASSERT_EQ(last_two.size(), 2u);
  EXPECT_EQ(last_two[1].meta.rindex, 8);
  auto page = reader.metrics({.pos = 2, .limit = 3});
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0].meta.rindex, 2);
  EXPECT_EQ(reader.metrics({.since_ms = 1007}).size(), 3u);
  EXPECT_EQ(reader.groups(), (std::vector<std::string>{"test", "train"}));
  auto lines = reader.log_lines({});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].line, std::string("bytes \xff\x00 kept", 13));
  EXPECT_EQ(lines[0].meta.subid, "1");
  EXPECT_EQ(lines[0].meta.time_ms, 5);
  EXPECT_EQ(lines[0].meta.training_id, "job1");
}

TEST_F(MetricsStore, AReaderSeesCommittedRecordsWhileTheWriterGoesOn) {
  MetricsDb writer(metrics_db_path(folder_), true);
  writer.add(record("train", 1, 1));
  writer.commit();
  MetricsDb reader(metrics_db_path(folder_), false);
  writer.add(record("train", 2, 2));  // not committed yet: invisible, and the reader is not blocked
  EXPECT_EQ(reader.metrics({}).size(), 1u);
  writer.commit();
  EXPECT_EQ(reader.metrics({}).size(), 2u);
}

TEST_F(MetricsStore, LastValuesOfAMetricAndFollowingFromAnIndex) {
  MetricsDb writer(metrics_db_path(folder_), true);
  for (int i = 0; i < 6; ++i) {
    EMetrics r = record("sagemaker", i, i);
    if (i % 2) r.values = {{"train:acc", TypedValue{ValueType::kFloat, std::to_string(i)}}};
    writer.add(r);
  }
  writer.commit();
  MetricsDb reader(metrics_db_path(folder_), false);
  auto last = reader.metrics_with_value("train:acc", 2);
  ASSERT_EQ(last.size(), 2u);
  EXPECT_EQ(last[0].meta.rindex, 3);
  EXPECT_EQ(last[1].meta.rindex, 5);
  EXPECT_EQ(reader.metrics_with_value("missing", 5).size(), 0u);
  EXPECT_EQ(reader.metrics({.from_rindex = 4}).size(), 2u);
}

TEST_F(MetricsStore, AFileWithoutTablesYetAnswersNothing) {
  { std::ofstream touch(metrics_db_path(folder_)); }  // as the collector's first moment leaves it
  MetricsDb reader(metrics_db_path(folder_), false);
  EXPECT_TRUE(reader.metrics({}).empty());
  EXPECT_TRUE(reader.log_lines({}).empty());
  EXPECT_EQ(reader.metrics_count(), 0);
  MetricsDb writer(metrics_db_path(folder_), true);
  writer.add(record("train", 1, 1));
  writer.commit();
  EXPECT_EQ(reader.metrics({}).size(), 1u);
}

TEST_F(MetricsStore, NumberingGoesOnAfterReopening) {
  {
    MetricsDb writer(metrics_db_path(folder_), true);
    writer.add(record("train", 1, 1));
  }  // committed on close
  MetricsDb writer(metrics_db_path(folder_), true);
  writer.add(record("train", 2, 2));
  writer.commit();
  auto all = MetricsDb(metrics_db_path(folder_), false).metrics({});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].meta.rindex, 1);
}

// A second connection as a reader on another host has it: raw SQLite, so that a test can hold
// a read transaction open across the writer's commit.
class RawConnection {
 public:
  explicit RawConnection(const fs::path& file) { sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr); }
  ~RawConnection() { sqlite3_close(db_); }
  std::string query(const std::string& sql) {
    std::string answer;
    sqlite3_exec(
        db_, sql.c_str(),
        [](void* out, int, char** values, char**) {
          *static_cast<std::string*>(out) = values[0] ? values[0] : "";
          return 0;
        },
        &answer, nullptr);
    return answer;
  }

 private:
  sqlite3* db_ = nullptr;
};

TEST_F(MetricsStore, KeepsARollbackJournalThatWorksAcrossHosts) {
  {
    MetricsDb writer(metrics_db_path(folder_), true);
    writer.add(record("train", 1, 1));
    writer.commit();
    // WAL's index is shared memory, which NFS clients on other hosts do not share.
    EXPECT_EQ(RawConnection(metrics_db_path(folder_)).query("PRAGMA journal_mode"), "delete");
  }
  EXPECT_FALSE(fs::exists(folder_ / "metrics.db-wal"));
  EXPECT_FALSE(fs::exists(folder_ / "metrics.db-shm"));
  EXPECT_FALSE(fs::exists(folder_ / "metrics.db-journal"));
}

TEST_F(MetricsStore, ACommitThatAReaderHoldsUpKeepsItsRecordsForTheNext) {
  MetricsDb writer(metrics_db_path(folder_), true);
  writer.set_busy_timeout(std::chrono::milliseconds(50));
  writer.add(record("train", 1, 1));
  ASSERT_TRUE(writer.commit());
  RawConnection reader(metrics_db_path(folder_));
  EXPECT_EQ(reader.query("BEGIN; SELECT COUNT(*) FROM record_pages"), "1");  // holds its read lock
  writer.add(record("train", 2, 2));
  EXPECT_FALSE(writer.commit());  // held up: not an error, nothing dropped
  writer.add(record("train", 3, 3));
  reader.query("COMMIT");
  EXPECT_TRUE(writer.commit());
  auto all = MetricsDb(metrics_db_path(folder_), false).metrics({});
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[2].meta.rindex, 2);
}

TEST_F(MetricsStore, AReaderRecoversFromACollectorKilledInsideATransaction) {
  {
    MetricsDb writer(metrics_db_path(folder_), true);
    writer.add(record("train", 1, 1));
    writer.commit();
  }
  // The child writes far more than its one-page cache holds, so pages reach the file before
  // the commit, and dies without one: the file is left with a hot journal, as by SIGKILL.
  pid_t child = ::fork();
  if (child == 0) {
    sqlite3* db = nullptr;
    sqlite3_open(metrics_db_path(folder_).c_str(), &db);
    sqlite3_exec(db, "PRAGMA cache_size=1; BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    for (int i = 0; i < 2000; ++i) {
      std::string sql = "INSERT INTO strings VALUES (" + std::to_string(100 + i) + ", randomblob(500))";
      sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    }
    ::_exit(fs::exists(folder_ / "metrics.db-journal") ? 0 : 3);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_EQ(WEXITSTATUS(status), 0) << "the child left no journal behind";
  MetricsDb reader(metrics_db_path(folder_), false);
  EXPECT_EQ(reader.metrics_count(), 1);
  EXPECT_EQ(reader.metrics({}).size(), 1u);
  EXPECT_EQ(reader.log_line_count(), 0);
  EXPECT_FALSE(fs::exists(folder_ / "metrics.db-journal"));  // rolled back by the reader
}

TEST_F(MetricsStore, ACollectorCommittingARecordAtATimeEndsWithFewPages) {
  MetricsDb writer(metrics_db_path(folder_), true);
  for (int i = 0; i < 1000; ++i) {
    writer.add(record(i % 3 ? "train" : "test", i, i));
    writer.commit(i == 999);
  }
  RawConnection raw(metrics_db_path(folder_));
  EXPECT_EQ(raw.query("SELECT COUNT(*) FROM record_pages"), "1");  // merged every 64, and at the end
  auto all = MetricsDb(metrics_db_path(folder_), false).metrics({});
  ASSERT_EQ(all.size(), 1000u);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(all[i].meta.rindex, i);
    ASSERT_EQ(all[i].meta.time_ms, i);
    ASSERT_EQ(all[i].grouplabel, i % 3 ? "train" : "test");
  }
  // A datapoint costs bytes, not a row: 1000 records in well under 100 bytes each.
  EXPECT_LT(std::stoi(raw.query("SELECT SUM(LENGTH(records)) FROM record_pages")), 40000);
}

// Random records over many commits (small pages, merged pages, big pages) against a plain list,
// under random queries: every selection, page and count must be the list's.
TEST_F(MetricsStore, RandomQueriesGiveWhatThePlainListGives) {
  std::mt19937 random(17);
  auto pick = [&](std::int64_t low, std::int64_t high) {
    return std::uniform_int_distribution<std::int64_t>(low, high)(random);
  };
  std::vector<EMetrics> model;
  MetricsDb writer(metrics_db_path(folder_), true);
  std::int64_t time = 100;
  for (int commit = 0; commit < 150; ++commit) {
    std::int64_t count = commit % 50 == 7 ? 3000 : pick(0, 40);
    for (std::int64_t i = 0; i < count; ++i) {
      EMetrics r = record(std::vector<std::string>{"train", "test", "sagemaker"}[pick(0, 2)], pick(0, 1000), time);
      r.meta.subid = std::to_string(pick(0, 3));
      if (pick(0, 4) == 0) r.values["acc"] = TypedValue{ValueType::kFloat, "0.5"};
      writer.add(r);
      r.meta.rindex = static_cast<std::int64_t>(model.size());
      model.push_back(r);
      time += pick(0, 1);
    }
    writer.commit(commit == 149);
  }
  MetricsDb reader(metrics_db_path(folder_), false);
  EXPECT_EQ(reader.metrics_count(), static_cast<std::int64_t>(model.size()));
  auto n = static_cast<std::int64_t>(model.size());
  for (int q = 0; q < 300; ++q) {
    RecordQuery query;
    if (pick(0, 2) == 0) query.group = std::vector<std::string>{"train", "test", "nope"}[pick(0, 2)];
    if (pick(0, 2) == 0) query.subid = std::to_string(pick(0, 4));
    if (pick(0, 3) == 0) query.since_ms = model[static_cast<std::size_t>(pick(0, n - 1))].meta.time_ms;
    if (pick(0, 3) == 0) query.from_rindex = pick(0, n + 2);
    if (pick(0, 1) == 0) query.pos = pick(-n - 3, n + 3);
    if (pick(0, 1) == 0) query.limit = pick(0, 500);
    std::vector<const EMetrics*> selected;
    for (const auto& r : model) {
      if ((query.group.empty() || r.grouplabel == query.group) &&
          (query.subid.empty() || r.meta.subid == query.subid) &&
          r.meta.time_ms >= query.since_ms.value_or(INT64_MIN) && r.meta.rindex >= query.from_rindex.value_or(0))
        selected.push_back(&r);
    }
    auto total = static_cast<std::int64_t>(selected.size());
    std::int64_t offset = query.pos.value_or(0);
    if (offset < 0) offset = std::max<std::int64_t>(0, total + offset);
    offset = std::min(offset, total);
    std::int64_t end = query.limit ? std::min(total, offset + *query.limit) : total;
    auto got = reader.metrics(query);
    std::string what = "query " + std::to_string(q) + " group " + query.group + " subid " + query.subid + " since " +
                       std::to_string(query.since_ms.value_or(-1)) + " from " +
                       std::to_string(query.from_rindex.value_or(-1)) + " pos " +
                       std::to_string(query.pos.value_or(0)) + " limit " + std::to_string(query.limit.value_or(-1));
    ASSERT_EQ(static_cast<std::int64_t>(got.size()), end - offset) << what;
    for (std::int64_t i = offset; i < end; ++i) {
      const EMetrics& want = *selected[static_cast<std::size_t>(i)];
      const EMetrics& have = got[static_cast<std::size_t>(i - offset)];
      ASSERT_EQ(have.meta.rindex, want.meta.rindex) << what;
      ASSERT_EQ(have.meta.time_ms, want.meta.time_ms) << what;
      ASSERT_EQ(have.meta.subid, want.meta.subid) << what;
      ASSERT_EQ(have.grouplabel, want.grouplabel) << what;
      ASSERT_EQ(have.values.at("loss").text, want.values.at("loss").text) << what;
      ASSERT_EQ(have.values.count("acc"), want.values.count("acc")) << what;
    }
  }
  // The last values of a metric, newest pages first, and of one replica.
  for (std::int64_t last_n : {1, 5, 300}) {
    std::vector<std::int64_t> want;
    for (auto it = model.rbegin(); it != model.rend() && static_cast<std::int64_t>(want.size()) < last_n; ++it)
      if (it->values.count("acc") && it->meta.subid == "2") want.insert(want.begin(), it->meta.rindex);
    auto got = reader.metrics_with_value("acc", last_n, "2");
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].meta.rindex, want[i]);
  }
}

TEST_F(MetricsStore, AFileOfAnOlderCollectorIsNamedNotTakenForEmpty) {
  { std::ofstream create(metrics_db_path(folder_)); }
  RawConnection(metrics_db_path(folder_))
      .query(
          "CREATE TABLE emetrics (rindex INTEGER PRIMARY KEY, training_id TEXT, user_id TEXT, time INTEGER, "
          "subid TEXT, grouplabel TEXT, etimes TEXT, vals TEXT)");
  MetricsDb reader(metrics_db_path(folder_), false);
  try {
    reader.metrics({});
    FAIL() << "an older file was read as empty";
  } catch (const StoreError& error) {
    EXPECT_NE(std::string(error.what()).find("older mljob-collect"), std::string::npos) << error.what();
  }
  EXPECT_THROW(reader.log_lines({}), StoreError);
}

TEST_F(MetricsStore, ADamagedPageIsAnErrorNotACrash) {
  {
    MetricsDb writer(metrics_db_path(folder_), true);
    for (int i = 0; i < 10; ++i) writer.add(record("train", i, i));
  }
  RawConnection(metrics_db_path(folder_))
      .query("UPDATE record_pages SET records = substr(records, 1, LENGTH(records) - 3)");
  MetricsDb reader(metrics_db_path(folder_), false);
  EXPECT_THROW(reader.metrics({}), StoreError);
  EXPECT_THROW(reader.metrics_with_value("loss", 3), StoreError);
}

}  // namespace
}  // namespace mljob::metrics
