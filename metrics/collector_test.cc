// The collector over a real output.log: the site's cap frees the oldest lines on disk and the
// index keeps the rest readable, line for line.
#include "metrics/collector.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <optional>

#include "base/test_support.h"

namespace mljob::metrics {
namespace {

namespace fs = std::filesystem;

std::uint64_t allocated_bytes(const fs::path& file) {
  struct stat info {};
  ::stat(file.c_str(), &info);
  return static_cast<std::uint64_t>(info.st_blocks) * 512;
}

// Where the scratch folder's file system cannot punch holes, the other half of the promise is
// checked instead: nothing dropped, said once. (Debian's ext4, tmpfs and overlayfs can.)
TEST(Collector, TheLogCapFreesTheOldestLinesOnDiskOrKeepsThemAllWhereItCannot) {
  mljob::testing::ScratchFolder scratch("mljob-collector-cap");
  const fs::path& folder = scratch.path();
  std::vector<std::string> written;
  std::ofstream log(folder / "output.log", std::ios::binary);
  for (int i = 0; i < 400000; ++i) {  // about 40 MiB, four replicas
    written.push_back("step " + std::to_string(i) + " loss=" + std::to_string(1.0 / (i + 1)) + " " +
                      std::string(60, '.'));
    log << i % 4 << ": " << written.back() << "\n";
  }
  log.close();
  std::uint64_t size = fs::file_size(folder / "output.log");
  std::vector<std::string> warnings;
  CollectorOptions options{folder, "job", "alice", {}, {}, true};
  options.max_log_bytes = 16 << 20;
  Collector collector(options, [&](const std::string& w) { warnings.push_back(w); });
  collector.poll(true);

  MetricsDb reader(metrics_db_path(folder), false);
  std::int64_t first_kept = reader.first_kept_log_line();
  EXPECT_EQ(reader.log_line_count(), 400000);
  EXPECT_EQ(fs::file_size(folder / "output.log"), size);  // Slurm goes on appending at its end
  if (first_kept == 0) {  // this file system cannot punch holes: nothing dropped, said once
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("cannot be freed"), std::string::npos) << warnings[0];
    EXPECT_EQ(reader.log_lines({}).size(), 400000u);
    return;
  }
  EXPECT_TRUE(warnings.empty()) << warnings[0];
  // Down to three quarters of the cap: the oldest lines' blocks are given back.
  EXPECT_LT(allocated_bytes(folder / "output.log"), size - size / 2);
  auto kept = reader.log_lines({});
  ASSERT_EQ(kept.size(), static_cast<std::size_t>(400000 - first_kept));
  EXPECT_LE(kept.size() * 80, static_cast<std::size_t>(16 << 20));
  for (std::size_t i = 0; i < kept.size(); i += 997) {
    auto line = static_cast<std::size_t>(first_kept) + i;
    ASSERT_EQ(kept[i].meta.rindex, static_cast<std::int64_t>(line));
    ASSERT_EQ(kept[i].line, written[line]);
    ASSERT_EQ(kept[i].meta.subid, std::to_string(line % 4));
  }
  // A replica's lines count from the oldest kept, and its last ones are its last.
  auto last_of_2 = reader.log_lines({.pos = -1, .subid = "2"});
  ASSERT_EQ(last_of_2.size(), 1u);
  EXPECT_EQ(last_of_2[0].line, written[399998]);
  // The metrics of the dropped lines stay.
  EXPECT_EQ(reader.metrics_count(), 400000);
}

}  // namespace
}  // namespace mljob::metrics
