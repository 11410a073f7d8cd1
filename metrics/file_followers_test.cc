#include "metrics/file_followers.h"

#include <gtest/gtest.h>

#include <fstream>

namespace mljob::metrics {
namespace {

namespace fs = std::filesystem;

TEST(HypertuneFileFollower, JsonLinesWithStringOrNumberValues) {
  fs::path file = fs::temp_directory_path() / ("hypertune_test_" + std::to_string(::getpid()));
  {
    std::ofstream out(file);
    out << R"({"timestamp": 1700000000.5, "trial": "0", "accuracy": "0.75", "global_step": "100", "checkpoint_path": ""})" "\n";
    out << "not json\n";
    out << R"({"timestamp": 1700000001, "trial": "0", "accuracy": 0.8, "global_step": 200})";  // no newline yet
  }
  std::vector<EMetrics> records;
  std::vector<std::string> warnings;
  HypertuneFileFollower follower(file);
  auto sink = [&](EMetrics&& r) { records.push_back(std::move(r)); };
  auto warn = [&](const std::string& w) { warnings.push_back(w); };
  follower.poll(sink, warn);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].values.at("accuracy").text, "0.75");
  EXPECT_EQ(records[0].etimes.at("global_step").text, "100");
  EXPECT_EQ(records[0].meta.time_ms, 1700000000500);
  EXPECT_EQ(warnings.size(), 1u);
  follower.poll(sink, warn, /*final=*/true);  // the writer is done: the last line counts
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].values.at("accuracy").text, "0.8");
  EXPECT_EQ(records[1].grouplabel, kHypertuneGroup);
  fs::remove(file);
}

}  // namespace
}  // namespace mljob::metrics
