// The log index against a plain model: every line of output.log in a vector, each query
// answered by filtering it. Random logs, random blocks and random queries must agree.
#include "metrics/log_index.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <optional>
#include <random>

#include "base/test_support.h"
#include "metrics/metrics_store.h"

namespace mljob::metrics {
namespace {

namespace fs = std::filesystem;

struct ModelLine {
  std::int64_t rindex, time;
  std::string subid, text;
};

class LogIndex : public ::testing::Test {
 protected:
  void SetUp() override {
    scratch_.emplace("mljob-log-index");
    folder_ = scratch_->path();
    writer_.emplace(metrics_db_path(folder_), true);
    writer_->set_job("job", "alice", "output.log");
  }

  // Appends lines to output.log as blocks of random size, each collected at its own time.
  void write_lines(int count, std::mt19937& random, std::int64_t& time) {
    std::ofstream out(folder_ / "output.log", std::ios::app | std::ios::binary);
    std::string block;
    std::uint64_t block_offset = file_size_;
    auto flush = [&] {
      if (block.empty()) return;
      out << block;
      out.flush();
      writer_->add_log_lines(block, block_offset, time);
      file_size_ += block.size();
      block_offset = file_size_;
      block.clear();
      time += std::uniform_int_distribution<int>(0, 2)(random);  // some blocks share a time
    };
    for (int i = 0; i < count; ++i) {
      int rank = std::uniform_int_distribution<int>(-1, 3)(random);
      if (rank == 3 && std::uniform_int_distribution<int>(0, 9)(random)) rank = 0;  // a quiet replica
      std::string text = "line " + std::to_string(model_.size()) + std::string(random() % 40, 'x');
      block += (rank < 0 ? "" : std::to_string(rank) + ": ") + text + "\n";
      model_.push_back({static_cast<std::int64_t>(model_.size()), time, rank < 0 ? "" : std::to_string(rank), text});
      if (random() % 50 == 0) flush();
    }
    flush();
  }

  std::vector<ModelLine> expected(const RecordQuery& query, std::int64_t first_kept = 0) const {
    std::vector<ModelLine> selected;
    for (const auto& line : model_) {
      if (line.rindex < first_kept || line.rindex < query.from_rindex.value_or(0)) continue;
      if (query.since_ms && line.time < *query.since_ms) continue;
      if (!query.subid.empty() && line.subid != query.subid) continue;
      selected.push_back(line);
    }
    std::int64_t total = static_cast<std::int64_t>(selected.size()), offset = query.pos.value_or(0);
    if (offset < 0) offset = std::max<std::int64_t>(0, total + offset);
    offset = std::min(offset, total);
    std::int64_t end = query.limit ? std::min(total, offset + *query.limit) : total;
    return {selected.begin() + offset, selected.begin() + end};
  }

  void expect_same(const RecordQuery& query, std::int64_t first_kept = 0) {
    MetricsDb reader(metrics_db_path(folder_), false);
    auto got = reader.log_lines(query);
    auto want = expected(query, first_kept);
    std::string what = "query: pos " + std::to_string(query.pos.value_or(0)) + " limit " +
                       std::to_string(query.limit.value_or(-1)) + " since " +
                       std::to_string(query.since_ms.value_or(-1)) + " from " +
                       std::to_string(query.from_rindex.value_or(-1)) + " replica '" + query.subid + "'";
    ASSERT_EQ(got.size(), want.size()) << what;
    for (std::size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i].meta.rindex, want[i].rindex) << what;
      ASSERT_EQ(got[i].meta.time_ms, want[i].time) << what;
      ASSERT_EQ(got[i].meta.subid, want[i].subid) << what;
      ASSERT_EQ(got[i].line, want[i].text) << what;
      ASSERT_EQ(got[i].meta.training_id, "job") << what;
    }
  }

  RecordQuery random_query(std::mt19937& random) const {
    RecordQuery query;
    auto n = static_cast<std::int64_t>(model_.size());
    auto pick = [&](std::int64_t low, std::int64_t high) {
      return std::uniform_int_distribution<std::int64_t>(low, high)(random);
    };
    if (pick(0, 2) == 0) query.pos = pick(-n - 5, n + 5);
    if (pick(0, 2) == 0) query.limit = pick(0, 3000);
    if (pick(0, 3) == 0) query.since_ms = model_[static_cast<std::size_t>(pick(0, n - 1))].time + pick(-1, 1);
    if (pick(0, 3) == 0) query.from_rindex = pick(0, n + 2);
    if (pick(0, 1) == 0) query.subid = std::vector<std::string>{"0", "1", "2", "3", "7"}[pick(0, 4)];
    return query;
  }

  std::optional<mljob::testing::ScratchFolder> scratch_;
  fs::path folder_;
  std::optional<MetricsDb> writer_;
  std::vector<ModelLine> model_;
  std::uint64_t file_size_ = 0;
};

TEST_F(LogIndex, RandomQueriesGiveWhatTheWholeLogGives) {
  std::mt19937 random(11);
  std::int64_t time = 1000;
  write_lines(9000, random, time);
  writer_->commit();
  for (int i = 0; i < 300; ++i) expect_same(random_query(random));
  // The collector goes on; a reader that follows from an index sees the new lines.
  write_lines(3000, random, time);
  writer_->commit();
  for (int i = 0; i < 100; ++i) expect_same(random_query(random));
  expect_same({.from_rindex = 11990});
}

TEST_F(LogIndex, LinesNotYetCommittedAreNotShown) {
  std::mt19937 random(3);
  std::int64_t time = 1;
  write_lines(10, random, time);
  writer_->commit();
  write_lines(10, random, time);  // in output.log, indexed, not committed
  MetricsDb reader(metrics_db_path(folder_), false);
  EXPECT_EQ(reader.log_lines({}).size(), 10u);
  EXPECT_EQ(reader.log_line_count(), 10);
}

TEST_F(LogIndex, ALogStartedAgainDropsTheOldLinesAndNumbersOn) {
  std::mt19937 random(5);
  std::int64_t time = 1;
  write_lines(3000, random, time);
  writer_->commit();
  // Slurm starts output.log again (a requeue): shorter than what was indexed.
  fs::resize_file(folder_ / "output.log", 0);
  file_size_ = 0;
  std::size_t old_lines = model_.size();
  write_lines(500, random, time);
  writer_->commit();
  MetricsDb reader(metrics_db_path(folder_), false);
  EXPECT_EQ(reader.first_kept_log_line(), static_cast<std::int64_t>(old_lines));
  auto first_kept = static_cast<std::int64_t>(old_lines);
  for (int i = 0; i < 100; ++i) expect_same(random_query(random), first_kept);
}

TEST_F(LogIndex, TheCapFreesTheOldestLinesAndKeepsTheRestReadable) {
  std::mt19937 random(8);
  std::int64_t time = 1;
  write_lines(40000, random, time);  // about 1.5 MiB
  writer_->commit();
  std::uint64_t freed = 0;
  auto punch = [&](std::uint64_t length) {
    freed = length;
    return true;  // the model keeps every line: what is checked is which ones stay visible
  };
  std::int64_t dropped = writer_->cap_log(256 << 10, punch);
  ASSERT_GT(dropped, 0);
  EXPECT_GT(freed, 1u << 20);
  MetricsDb reader(metrics_db_path(folder_), false);
  EXPECT_EQ(reader.first_kept_log_line(), dropped);
  for (int i = 0; i < 200; ++i) expect_same(random_query(random), dropped);
  // Nothing more to drop until the log grows past the cap again.
  EXPECT_EQ(writer_->cap_log(256 << 10, punch), 0);
  // Where the hole cannot be punched, nothing is dropped.
  write_lines(20000, random, time);
  writer_->commit();
  EXPECT_EQ(writer_->cap_log(256 << 10, [](std::uint64_t) { return false; }), 0);
  EXPECT_EQ(MetricsDb(metrics_db_path(folder_), false).first_kept_log_line(), dropped);
}

TEST_F(LogIndex, ACollectorStartedAgainResumesWhereTheSameLogEnds) {
  std::mt19937 random(2);
  std::int64_t time = 1;
  write_lines(100, random, time);
  writer_->commit();
  writer_.reset();
  EXPECT_EQ(MetricsDb(metrics_db_path(folder_), true).log_resume_offset(), file_size_);
  // Another log of another length: start from its beginning.
  std::ofstream(folder_ / "output.log", std::ios::trunc) << "0: something else\n0: entirely\n";
  EXPECT_EQ(MetricsDb(metrics_db_path(folder_), true).log_resume_offset(), 0u);
}

}  // namespace
}  // namespace mljob::metrics
