// How a batch prediction's input files are cut into shards, one per worker. Pure: where a
// record starts inside a file is asked of the caller (record_reader.h's next_record_start),
// so the plan itself reads nothing and is tested on made-up files.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace mljob::prediction {

struct InputFile {
  std::string path;
  std::uint64_t size = 0;
};

// A byte range of one file: the records whose first byte lies in [begin, end) (a record that
// starts before end is read to its own end).
struct Piece {
  std::string path;
  std::uint64_t begin = 0, end = 0;
  bool operator==(const Piece&) const = default;
};

struct Shard {
  std::vector<Piece> pieces;
  std::uint64_t bytes = 0;  // the sum of its pieces' lengths
};

// The first record start at or after `offset` in `path` (or the file's size when there is
// none). Given by the caller: it is the only I/O a plan needs.
using AlignFn = std::function<std::uint64_t(const std::string& path, std::uint64_t offset)>;

// Splits `files` (in the given order) into at most `max_shards` shards of about equal bytes.
// The count is total / min_shard_bytes rounded down, clamped to [1, max_shards]: no shard is
// planned smaller than min_shard_bytes unless the whole input is (a cut moved forward to a
// record start can still leave one a little short).
// - splittable: the input is cut at equal byte targets, each moved to align(path, target) in
//   its file. Cuts that align to the same offset collapse, so there may be fewer shards than
//   planned, but never an empty shard or an empty piece.
// - not splittable: files are whole pieces, the largest first onto the lightest shard; no more
//   shards than non-empty files, fewer while the lightest is under min_shard_bytes; each
//   shard's pieces keep the input order.
// Zero-size files yield no pieces (and an empty input no shards). The pieces together are every
// byte of every file, each exactly once.
std::vector<Shard> plan_shards(const std::vector<InputFile>& files, int max_shards, std::uint64_t min_shard_bytes,
                               bool splittable, const AlignFn& align);

}  // namespace mljob::prediction
