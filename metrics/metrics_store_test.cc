#include "metrics/metrics_store.h"

#include <gtest/gtest.h>

#include <fstream>

namespace mljob::metrics {
namespace {

namespace fs = std::filesystem;

class MetricsStore : public ::testing::Test {
 protected:
  void SetUp() override {
    folder_ = fs::temp_directory_path() / ("metrics_store_test_" + std::to_string(::getpid()));
    fs::create_directories(folder_);
  }
  void TearDown() override { fs::remove_all(folder_); }
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
  for (int i = 0; i < 10; ++i) writer.add(record(i % 2 ? "test" : "train", i, 1000 + i));
  writer.add(LogLineRecord{Meta{"job1", "alice", 5, 0, "1"}, std::string("bytes \xff\x00 kept", 14)});
  writer.commit();

  MetricsDb reader(metrics_db_path(folder_), false);  // a second connection, as `mljob metrics` is
  EXPECT_EQ(reader.metrics_count(), 10);
  auto all = reader.metrics({});
  ASSERT_EQ(all.size(), 10u);
  EXPECT_EQ(all[3].meta.rindex, 3);
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
  EXPECT_EQ(lines[0].line, std::string("bytes \xff\x00 kept", 14));
  EXPECT_EQ(lines[0].meta.subid, "1");
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

}  // namespace
}  // namespace mljob::metrics
