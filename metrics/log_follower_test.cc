#include "metrics/log_follower.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "base/test_support.h"

namespace mljob::metrics {
namespace {

namespace fs = std::filesystem;

// The lines a follower hands over, without their '\n', and its warnings.
struct Seen {
  std::vector<std::string> lines;
  std::vector<std::string> warnings;
};

Seen follow(const fs::path& file, std::size_t chunk_bytes) {
  Seen seen;
  LogFollower follower(file, std::size_t{1} << 20, chunk_bytes);
  follower.poll(
      [&](std::string_view block, std::uint64_t) {
        for (std::size_t start = 0; start < block.size();) {
          std::size_t end = block.find('\n', start);
          if (end == std::string_view::npos) end = block.size();
          seen.lines.emplace_back(block.substr(start, end - start));
          start = end + 1;
        }
      },
      [&](const std::string& warning) { seen.warnings.push_back(warning); }, /*final=*/true);
  return seen;
}

// A line of output.log of exactly the bound (1 MiB) is handed over whole; one a byte longer is
// cut to the bound, with one warning, and the line after it is read as it is. The same whether
// the lines fit in one read (4 MiB chunks) or span many (64 KiB, as the EMetrics follower reads).
TEST(LogFollower, ALineOfTheBoundIsWholeAndOneBytePastItIsCutWithAWarning) {
  mljob::testing::ScratchFolder scratch("mljob-log-follower");
  fs::path file = scratch.path() / "output.log";
  const std::size_t bound = std::size_t{1} << 20;
  std::ofstream(file) << std::string(bound, 'a') << "\n" << std::string(bound + 1, 'b') << "\nafter\n";
  for (std::size_t chunk : {std::size_t{4} << 20, std::size_t{64} << 10}) {
    Seen seen = follow(file, chunk);
    ASSERT_EQ(seen.lines.size(), 3u) << chunk;
    EXPECT_EQ(seen.lines[0], std::string(bound, 'a')) << chunk;
    EXPECT_EQ(seen.lines[1], std::string(bound, 'b')) << chunk;
    EXPECT_EQ(seen.lines[2], "after") << chunk;
    ASSERT_EQ(seen.warnings.size(), 1u) << chunk;
    EXPECT_NE(seen.warnings[0].find("a line longer than 1048576 bytes"), std::string::npos) << seen.warnings[0];
  }
}

}  // namespace
}  // namespace mljob::metrics
