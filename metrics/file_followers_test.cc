#include "metrics/file_followers.h"

#include <gtest/gtest.h>

#include "base/test_support.h"

#include <algorithm>
#include <fstream>

namespace mljob::metrics {
namespace {

namespace fs = std::filesystem;

TEST(HypertuneFileFollower, JsonLinesWithStringOrNumberValues) {
  mljob::testing::ScratchFolder scratch("mljob-hypertune");
  fs::path file = scratch.path() / "hypertune.json";
  {
    std::ofstream out(file);
    out << R"({"timestamp": 1700000000.5, "trial": "0", "accuracy": "0.75", "global_step": "100", "checkpoint_path": ""})"
           "\n";
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
}

// The bounds on a hypertune line (docs/reliability.md): 1 MiB and 100 levels of nesting, each
// at the bound (read) and one past it (skipped with a warning; the next line is read).
TEST(HypertuneFileFollower, LinesAtTheBoundsAreReadAndPastThemSkipped) {
  mljob::testing::ScratchFolder scratch("mljob-hypertune");
  fs::path file = scratch.path() / "hypertune.json";
  const std::string head = R"({"trial": "0", "accuracy": 0.5, "note": ")";
  const std::string tail = R"("})";
  const std::size_t bound = std::size_t{1} << 20;  // HypertuneFileFollower's default
  auto line_of = [&](std::size_t bytes) { return head + std::string(bytes - head.size() - tail.size(), 'x') + tail; };
  auto nested = [](int depth) {
    std::string value = std::string(depth - 1, '[') + std::string(depth - 1, ']');
    return R"({"trial": "0", "accuracy": 0.5, "deep": )" + value + "}";
  };
  {
    std::ofstream out(file);
    out << line_of(bound) << "\n" << line_of(bound + 1) << "\n" << nested(100) << "\n" << nested(101) << "\n";
  }
  std::vector<EMetrics> records;
  std::vector<std::string> warnings;
  HypertuneFileFollower follower(file);
  follower.poll([&](EMetrics&& r) { records.push_back(std::move(r)); },
                [&](const std::string& w) { warnings.push_back(w); });
  EXPECT_EQ(records.size(), 2u);  // the line of 1 MiB and the one 100 levels deep
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("a line longer than 1048576 bytes; skipped"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[1].find("within 100 levels of nesting"), std::string::npos) << warnings[1];
}

}  // namespace
}  // namespace mljob::metrics

namespace mljob::metrics {
namespace {

// Lines as FfDL's emetrics client (emetrics.py, EMetrics.record) writes them with json.dumps:
// INT and FLOAT as type numbers 2 and 3, strings without a type; and one as FfDL's own
// extractors name types.
const char* kClientLine =
    R"({"meta": {"training_id": "training-Xy12", "time": 1530000000123, "rindex": 1}, "grouplabel": "test", )"
    R"("etimes": {"iteration": {"type": 2, "value": "1"}, "time_stamp": {"value": "2018-06-26T10:00:00.1530000000"}}, )"
    R"("values": {"accuracy": {"type": 3, "value": "0.6"}, "note": {"value": "warm"}}})";
const char* kNamedTypesLine =
    R"({"meta": {"training_id": "", "time": 1530000000999, "rindex": 2, "subid": "7"}, "grouplabel": "train", )"
    R"("etimes": {"step": {"type": "INT", "value": 20}}, "values": {"loss": {"type": "FLOAT", "value": 0.25}}})";

TEST(EMetricsFileFollower, ReadsFfdlRecordsFromTheLogFolderAndItsSubruns) {
  mljob::testing::ScratchFolder scratch("mljob-emetrics");
  fs::path logs = scratch.path();
  fs::create_directories(logs / "3");
  {
    std::ofstream out(logs / kEMetricsFileName);
    out << kClientLine << "\n"
        << "{\"grouplabel\": \"x\"}\n"
        << kNamedTypesLine;  // the last line not ended yet
    std::ofstream(logs / "3" / kEMetricsFileName) << kClientLine << "\n";
  }
  std::vector<EMetrics> records;
  std::vector<std::string> warnings;
  auto sink = [&](EMetrics&& r) { records.push_back(std::move(r)); };
  auto warn = [&](const std::string& w) { warnings.push_back(w); };
  EMetricsFileFollower follower(logs);
  follower.poll(sink, warn);
  ASSERT_EQ(records.size(), 2u);  // one from the top level, one from sub-run 3
  std::sort(records.begin(), records.end(),
            [](const EMetrics& a, const EMetrics& b) { return a.meta.subid < b.meta.subid; });
  const EMetrics& top = records[0];
  EXPECT_EQ(top.grouplabel, "test");
  EXPECT_EQ(top.meta.subid, "");
  EXPECT_EQ(top.meta.time_ms, 1530000000123);
  EXPECT_EQ(top.values.at("accuracy").type, ValueType::kFloat);
  EXPECT_EQ(top.values.at("accuracy").text, "0.6");
  EXPECT_EQ(top.values.at("note").type, ValueType::kString);
  EXPECT_EQ(top.etimes.at("iteration").type, ValueType::kInt);
  EXPECT_EQ(top.etimes.at("iteration").text, "1");
  EXPECT_EQ(top.etimes.at("time_stamp").text, "2018-06-26T10:00:00.1530000000");
  EXPECT_EQ(records[1].meta.subid, "3");  // the sub-run's folder: the record names none
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("no meta object"), std::string::npos);

  // Followed: what is appended later is read, nothing twice; the writer's last line at the end.
  std::ofstream(logs / kEMetricsFileName, std::ios::app) << "\n";
  follower.poll(sink, warn, /*final=*/true);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2].grouplabel, "train");
  EXPECT_EQ(records[2].meta.subid, "7");
  EXPECT_EQ(records[2].values.at("loss").type, ValueType::kFloat);
  EXPECT_EQ(records[2].values.at("loss").text, "0.25");
  EXPECT_EQ(records[2].etimes.at("step").text, "20");
}

TEST(EMetricsFileFollower, AFileNamedDirectlyAndBadAnyValues) {
  mljob::testing::ScratchFolder scratch("mljob-emetrics-file");
  fs::path file = scratch.path() / "emetrics.txt";
  std::ofstream(file)
      << R"({"meta": {}, "grouplabel": "g", "etimes": {}, "values": {"a": {"type": 9, "value": "1"}}})"
         "\n"
      << R"({"meta": {}, "grouplabel": "g", "etimes": {}, "values": {"a": 1}})"
         "\n"
      << R"({"meta": {"time": null}, "grouplabel": "g", "etimes": {}, "values": {"a": {"type": 1, "value": {"k": [1]}}}})"
         "\n";
  std::vector<EMetrics> records;
  std::vector<std::string> warnings;
  EMetricsFileFollower follower(file);
  follower.poll([&](EMetrics&& r) { records.push_back(std::move(r)); },
                [&](const std::string& w) { warnings.push_back(w); });
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].values.at("a").type, ValueType::kJsonString);
  EXPECT_EQ(records[0].values.at("a").text, R"({"k":[1]})");
  EXPECT_GT(records[0].meta.time_ms, 0);  // no time given: when it was read
  EXPECT_EQ(warnings.size(), 2u);
}

}  // namespace
}  // namespace mljob::metrics

namespace mljob::metrics {
namespace {

// As for hypertune: a line of 1 MiB and one nested 100 levels deep are records; a line a byte
// longer (cut at the bound, so no longer JSON) and one a level deeper are skipped, with a warning.
TEST(EMetricsFileFollower, LinesAtTheBoundsAreReadAndPastThemSkipped) {
  mljob::testing::ScratchFolder scratch("mljob-emetrics-bounds");
  fs::path file = scratch.path() / kEMetricsFileName;
  const std::string head = R"({"meta": {"time": 1530000000123, "rindex": 1}, "grouplabel": "test", "etimes": {}, )"
                           R"("values": {"accuracy": {"type": 3, "value": "0.6"}, "note": {"value": ")";
  const std::string tail = R"("}}})";
  const std::size_t bound = std::size_t{1} << 20;  // the follower's line bound
  auto line_of = [&](std::size_t bytes) { return head + std::string(bytes - head.size() - tail.size(), 'x') + tail; };
  auto nested = [](int depth) {  // the record's object, then depth - 1 arrays
    return R"({"meta": {"time": 1, "rindex": 2}, "grouplabel": "deep", "etimes": {}, "values": {}, "deep": )" +
           std::string(depth - 1, '[') + std::string(depth - 1, ']') + "}";
  };
  std::ofstream(file) << line_of(bound) << "\n"
                      << line_of(bound + 1) << "\n"
                      << nested(100) << "\n"
                      << nested(101) << "\n";
  std::vector<EMetrics> records;
  std::vector<std::string> warnings;
  EMetricsFileFollower follower(file);
  follower.poll([&](EMetrics&& r) { records.push_back(std::move(r)); },
                [&](const std::string& w) { warnings.push_back(w); }, /*final=*/true);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].values.at("note").text.size(), bound - head.size() - tail.size());
  EXPECT_EQ(records[1].grouplabel, "deep");
  std::string all;
  for (const auto& warning : warnings) all += warning + "\n";
  EXPECT_NE(all.find("1048576"), std::string::npos) << all;  // the long line, named by its bound
  EXPECT_NE(all.find("100 levels"), std::string::npos) << all;
}

}  // namespace
}  // namespace mljob::metrics
