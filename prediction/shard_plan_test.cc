#include "prediction/shard_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

namespace mljob::prediction {

// For gtest's messages (found by argument-dependent lookup, so in Piece's namespace; static: this
// file's own).
static void PrintTo(const Piece& piece, std::ostream* out) {
  *out << piece.path << "[" << piece.begin << "," << piece.end << ")";
}

namespace {

// Every byte a record start: the cuts land where the targets are.
std::uint64_t anywhere(const std::string&, std::uint64_t offset) {
  return offset;
}

std::uint64_t never_asked(const std::string& path, std::uint64_t offset) {
  ADD_FAILURE() << "align(" << path << ", " << offset << ") asked";
  return offset;
}

std::string describe(const Piece& piece) {
  return ::testing::PrintToString(piece);
}

std::vector<std::vector<Piece>> pieces_of(const std::vector<Shard>& shards) {
  std::vector<std::vector<Piece>> out;
  for (const Shard& shard : shards) out.push_back(shard.pieces);
  return out;
}

TEST(PlanShards, NoBytesNoShards) {
  EXPECT_TRUE(plan_shards({}, 4, 1, true, anywhere).empty());
  EXPECT_TRUE(plan_shards({{"a", 0}, {"b", 0}}, 4, 1, true, anywhere).empty());
  EXPECT_TRUE(plan_shards({{"a", 0}, {"b", 0}}, 4, 1, false, anywhere).empty());
}

TEST(PlanShards, CountIsTotalOverMinimumClampedToTheMaximum) {
  const std::vector<InputFile> files{{"a", 1000}};
  EXPECT_EQ(plan_shards(files, 10, 300, true, anywhere).size(), 3u);  // 1000 / 300 = 3, each >= 300
  EXPECT_EQ(plan_shards(files, 2, 300, true, anywhere).size(), 2u);
  EXPECT_EQ(plan_shards(files, 10, 5000, true, anywhere).size(), 1u);    // the whole input is smaller
  EXPECT_EQ(plan_shards(files, 0, 1, true, anywhere).size(), 1u);        // at least one
  EXPECT_EQ(plan_shards(files, 2000, 0, true, anywhere).size(), 1000u);  // no minimum: at most a byte each
  for (const Shard& shard : plan_shards(files, 10, 300, true, anywhere)) EXPECT_GE(shard.bytes, 300u);
}

TEST(PlanShards, SplittableCutsAtEqualTargetsAcrossFiles) {
  const auto shards = plan_shards({{"a", 30}, {"b", 0}, {"c", 60}}, 3, 1, true, anywhere);
  EXPECT_EQ(pieces_of(shards), (std::vector<std::vector<Piece>>{{{"a", 0, 30}}, {{"c", 0, 30}}, {{"c", 30, 60}}}));
  const auto uneven = plan_shards({{"a", 25}, {"c", 65}}, 2, 1, true, anywhere);
  EXPECT_EQ(pieces_of(uneven), (std::vector<std::vector<Piece>>{{{"a", 0, 25}, {"c", 0, 20}}, {{"c", 20, 65}}}));
  EXPECT_EQ(uneven[0].bytes, 45u);
  EXPECT_EQ(uneven[1].bytes, 45u);
}

TEST(PlanShards, ACutExactlyAtAFileBoundaryNeedsNoAlignment) {
  const auto shards = plan_shards({{"a", 50}, {"b", 50}}, 2, 1, true, never_asked);
  EXPECT_EQ(pieces_of(shards), (std::vector<std::vector<Piece>>{{{"a", 0, 50}}, {{"b", 0, 50}}}));
}

TEST(PlanShards, CutsMoveToRecordStarts) {
  // Records of "a" start at 0, 40, 70; a target at 30 moves to 40, one at 60 to 70.
  auto align = [](const std::string& path, std::uint64_t offset) -> std::uint64_t {
    EXPECT_EQ(path, "a");
    for (std::uint64_t start : {0, 40, 70}) {
      if (start >= offset) return start;
    }
    return 90;
  };
  const auto shards = plan_shards({{"a", 90}}, 3, 1, true, align);
  EXPECT_EQ(pieces_of(shards), (std::vector<std::vector<Piece>>{{{"a", 0, 40}}, {{"a", 40, 70}}, {{"a", 70, 90}}}));
}

TEST(PlanShards, CutsAligningToTheSameOffsetCollapse) {
  // One record in the whole file: every target aligns to its end.
  auto one_record = [](const std::string&, std::uint64_t) -> std::uint64_t { return 1000; };
  const auto shards = plan_shards({{"a", 1000}, {"b", 10}}, 8, 1, true, one_record);
  EXPECT_EQ(pieces_of(shards), (std::vector<std::vector<Piece>>{{{"a", 0, 1000}}, {{"b", 0, 10}}}));
  // An align past the file's end is read as "none left": the file's end.
  auto past_end = [](const std::string&, std::uint64_t) -> std::uint64_t { return 1 << 30; };
  EXPECT_EQ(pieces_of(plan_shards({{"a", 100}}, 4, 1, true, past_end)),
            (std::vector<std::vector<Piece>>{{{"a", 0, 100}}}));
}

TEST(PlanShards, WholeFilesLargestFirstOntoTheLightestPiecesInInputOrder) {
  const std::vector<InputFile> files{{"a", 10}, {"b", 70}, {"c", 0}, {"d", 40}, {"e", 30}, {"f", 20}};
  const auto shards = plan_shards(files, 2, 1, false, never_asked);
  // 70 -> 0; 40 -> 1; 30 -> 1 (70); 20 -> 0 (90, the tie to the first); 10 -> 1 (80): {b, f}, {a, d, e}.
  EXPECT_EQ(pieces_of(shards), (std::vector<std::vector<Piece>>{{{"b", 0, 70}, {"f", 0, 20}},
                                                                {{"a", 0, 10}, {"d", 0, 40}, {"e", 0, 30}}}));
  EXPECT_EQ(shards[0].bytes, 90u);
  EXPECT_EQ(shards[1].bytes, 80u);
}

TEST(PlanShards, WholeFilesNoMoreShardsThanFiles) {
  EXPECT_EQ(plan_shards({{"a", 100}, {"b", 0}, {"c", 100}}, 10, 1, false, never_asked).size(), 2u);
}

TEST(PlanShards, WholeFilesSmallOnesGatherWhenTheyWouldMakeShardsUnderTheMinimum) {
  // 1000 / 100 = 10 shards planned, but nine of them would hold one 10-byte file each.
  std::vector<InputFile> files{{"big", 910}};
  for (int i = 0; i < 9; ++i) files.push_back({"small" + std::to_string(i), 10});
  const auto shards = plan_shards(files, 10, 90, false, never_asked);
  ASSERT_EQ(shards.size(), 2u);
  EXPECT_EQ(shards[0].bytes, 910u);
  EXPECT_EQ(shards[1].bytes, 90u);
  EXPECT_EQ(shards[1].pieces.size(), 9u);
}

// Random files, each with random record starts, planned with and without splitting.
struct RandomInput {
  std::vector<InputFile> files;
  std::map<std::string, std::set<std::uint64_t>> starts;  // each file's record starts, 0 among them

  std::uint64_t align(const std::string& path, std::uint64_t offset) const {
    const auto& file_starts = starts.at(path);
    const auto found = file_starts.lower_bound(offset);
    if (found != file_starts.end()) return *found;
    return std::find_if(files.begin(), files.end(), [&](const InputFile& f) { return f.path == path; })->size;
  }
};

RandomInput random_input(std::mt19937_64& random) {
  RandomInput input;
  const int file_count = std::uniform_int_distribution<int>(0, 8)(random);
  for (int i = 0; i < file_count; ++i) {
    const std::string path = "file" + std::to_string(i);
    const bool empty = std::uniform_int_distribution<int>(0, 4)(random) == 0;
    const std::uint64_t size = empty ? 0 : std::uniform_int_distribution<std::uint64_t>(1, 5000)(random);
    input.files.push_back({path, size});
    auto& file_starts = input.starts[path];
    file_starts.insert(0);
    const int records = std::uniform_int_distribution<int>(0, 30)(random);
    for (int r = 0; r < records && size > 0; ++r) {
      file_starts.insert(std::uniform_int_distribution<std::uint64_t>(0, size - 1)(random));
    }
  }
  return input;
}

void expect_every_byte_once(const RandomInput& input, const std::vector<Shard>& shards, bool splittable,
                            int max_shards) {
  EXPECT_LE(shards.size(), static_cast<std::size_t>(std::max(max_shards, 1)));
  std::map<std::string, std::vector<std::pair<std::uint64_t, std::uint64_t>>> covered;
  for (const Shard& shard : shards) {
    ASSERT_FALSE(shard.pieces.empty());
    std::uint64_t bytes = 0;
    for (const Piece& piece : shard.pieces) {
      ASSERT_LT(piece.begin, piece.end) << describe(piece);
      bytes += piece.end - piece.begin;
      covered[piece.path].push_back({piece.begin, piece.end});
      EXPECT_TRUE(input.starts.at(piece.path).contains(piece.begin)) << describe(piece) << " starts inside a record";
    }
    EXPECT_EQ(bytes, shard.bytes);
    if (!splittable) {
      EXPECT_TRUE(std::is_sorted(shard.pieces.begin(), shard.pieces.end(),
                                 [](const Piece& a, const Piece& b) { return a.path < b.path; }));
    }
  }
  for (const InputFile& file : input.files) {
    auto ranges = covered[file.path];
    std::sort(ranges.begin(), ranges.end());
    std::uint64_t next = 0;
    for (const auto& [begin, end] : ranges) {
      ASSERT_EQ(begin, next) << file.path << ": a gap or an overlap";
      if (!splittable) {
        EXPECT_EQ(end, file.size) << file.path << " was cut";
      }
      next = end;
    }
    EXPECT_EQ(next, file.size) << file.path;
  }
}

TEST(PlanShards, EveryByteOfEveryFileExactlyOnceOnRandomInputs) {
  std::mt19937_64 random(20240607);
  for (int round = 0; round < 2000; ++round) {
    const RandomInput input = random_input(random);
    const int max_shards = std::uniform_int_distribution<int>(0, 12)(random);
    const std::uint64_t min_bytes = std::uniform_int_distribution<std::uint64_t>(0, 3000)(random);
    const bool splittable = round % 2 == 0;
    SCOPED_TRACE("round " + std::to_string(round));
    const auto shards =
        plan_shards(input.files, max_shards, min_bytes, splittable,
                    [&](const std::string& path, std::uint64_t offset) { return input.align(path, offset); });
    expect_every_byte_once(input, shards, splittable, max_shards);
  }
}

}  // namespace
}  // namespace mljob::prediction
