#include "prediction/shard_plan.h"

#include <algorithm>
#include <numeric>
#include <queue>

namespace mljob::prediction {
namespace {

std::uint64_t total_bytes(const std::vector<InputFile>& files) {
  return std::accumulate(files.begin(), files.end(), std::uint64_t{0},
                         [](std::uint64_t sum, const InputFile& file) { return sum + file.size; });
}

std::uint64_t planned_shard_count(std::uint64_t total, int max_shards, std::uint64_t min_shard_bytes) {
  const std::uint64_t most = static_cast<std::uint64_t>(std::max(max_shards, 1));
  return std::clamp<std::uint64_t>(total / std::max<std::uint64_t>(min_shard_bytes, 1), 1, most);
}

// total * index / count without overflowing 64 bits (count is at most INT_MAX).
std::uint64_t equal_share_end(std::uint64_t total, std::uint64_t index, std::uint64_t count) {
  return total / count * index + total % count * index / count;
}

// The input as one run of bytes: each non-empty file's first byte in that run.
struct Layout {
  std::vector<const InputFile*> files;
  std::vector<std::uint64_t> starts;
};

Layout lay_out(const std::vector<InputFile>& files) {
  Layout layout;
  std::uint64_t start = 0;
  for (const InputFile& file : files) {
    if (file.size == 0) continue;
    layout.files.push_back(&file);
    layout.starts.push_back(start);
    start += file.size;
  }
  return layout;
}

// Cut positions in the run, rising, from 0 to total: each equal-share target moved to the
// first record start at or after it in its file (a file's first byte always is one).
std::vector<std::uint64_t> aligned_cuts(const Layout& layout, std::uint64_t total, std::uint64_t count,
                                        const AlignFn& align) {
  std::vector<std::uint64_t> cuts{0};
  std::size_t file = 0;
  for (std::uint64_t index = 1; index < count; ++index) {
    const std::uint64_t target = equal_share_end(total, index, count);
    while (layout.starts[file] + layout.files[file]->size <= target) ++file;
    const std::uint64_t local = target - layout.starts[file];
    const InputFile& input = *layout.files[file];
    // An align past the file's end means "no record start after this": the file's end.
    const std::uint64_t aligned = local == 0 ? 0 : std::min(align(input.path, local), input.size);
    cuts.push_back(std::max(cuts.back(), layout.starts[file] + aligned));
  }
  cuts.push_back(total);
  return cuts;
}

// The pieces of [begin, end) of the run, one per file it touches.
Shard shard_between(const Layout& layout, std::uint64_t begin, std::uint64_t end) {
  Shard shard;
  shard.bytes = end - begin;
  auto first = std::upper_bound(layout.starts.begin(), layout.starts.end(), begin) - layout.starts.begin() - 1;
  for (auto file = static_cast<std::size_t>(first); file < layout.files.size() && layout.starts[file] < end; ++file) {
    const std::uint64_t start = layout.starts[file];
    const std::uint64_t piece_begin = std::max(begin, start) - start;
    const std::uint64_t piece_end = std::min(end, start + layout.files[file]->size) - start;
    shard.pieces.push_back({layout.files[file]->path, piece_begin, piece_end});
  }
  return shard;
}

std::vector<Shard> split_by_bytes(const std::vector<InputFile>& files, std::uint64_t total, std::uint64_t count,
                                  const AlignFn& align) {
  const Layout layout = lay_out(files);
  const std::vector<std::uint64_t> cuts = aligned_cuts(layout, total, count, align);
  std::vector<Shard> shards;
  for (std::size_t index = 0; index + 1 < cuts.size(); ++index) {
    if (cuts[index] < cuts[index + 1]) shards.push_back(shard_between(layout, cuts[index], cuts[index + 1]));
  }
  return shards;
}

// Largest file first onto the lightest shard (the lower index on a tie); each shard's files
// then put back in input order.
std::vector<Shard> assign_greedily(const std::vector<InputFile>& files, const std::vector<std::size_t>& by_size,
                                   std::uint64_t count) {
  std::vector<std::vector<std::size_t>> members(count);
  std::vector<std::uint64_t> load(count, 0);
  using Slot = std::pair<std::uint64_t, std::size_t>;  // (bytes, shard), the lightest on top
  std::priority_queue<Slot, std::vector<Slot>, std::greater<>> lightest;
  for (std::size_t shard = 0; shard < count; ++shard) lightest.push({0, shard});
  for (std::size_t file : by_size) {
    auto [bytes, shard] = lightest.top();
    lightest.pop();
    members[shard].push_back(file);
    load[shard] = bytes + files[file].size;
    lightest.push({load[shard], shard});
  }
  std::vector<Shard> shards(count);
  for (std::size_t shard = 0; shard < count; ++shard) {
    std::sort(members[shard].begin(), members[shard].end());
    for (std::size_t file : members[shard]) shards[shard].pieces.push_back({files[file].path, 0, files[file].size});
    shards[shard].bytes = load[shard];
  }
  return shards;
}

std::vector<Shard> assign_whole_files(const std::vector<InputFile>& files, std::uint64_t count,
                                      std::uint64_t min_shard_bytes) {
  std::vector<std::size_t> by_size;
  for (std::size_t file = 0; file < files.size(); ++file) {
    if (files[file].size > 0) by_size.push_back(file);
  }
  std::stable_sort(by_size.begin(), by_size.end(),
                   [&](std::size_t a, std::size_t b) { return files[a].size > files[b].size; });
  count = std::min<std::uint64_t>(count, by_size.size());
  while (true) {
    std::vector<Shard> shards = assign_greedily(files, by_size, count);
    const auto big_enough = static_cast<std::uint64_t>(std::count_if(
        shards.begin(), shards.end(), [&](const Shard& shard) { return shard.bytes >= min_shard_bytes; }));
    if (big_enough == count || count == 1) return shards;
    // Whole files cannot be evened out: with fewer shards, the small ones gather into one.
    count = std::clamp<std::uint64_t>(big_enough + 1, 1, count - 1);
  }
}

}  // namespace

std::vector<Shard> plan_shards(const std::vector<InputFile>& files, int max_shards, std::uint64_t min_shard_bytes,
                               bool splittable, const AlignFn& align) {
  const std::uint64_t total = total_bytes(files);
  if (total == 0) return {};
  const std::uint64_t count = planned_shard_count(total, max_shards, min_shard_bytes);
  return splittable ? split_by_bytes(files, total, count, align) : assign_whole_files(files, count, min_shard_bytes);
}

}  // namespace mljob::prediction
