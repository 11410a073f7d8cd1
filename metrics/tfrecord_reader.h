// TFRecord files (TensorBoard's event files) read incrementally and safely: each record is
// uint64 length, masked CRC-32C of the length, the data, masked CRC-32C of the data (all
// little-endian). A file still being written is followed: an incomplete record at the end is
// left for the next read. A record whose CRC fails is reported and skipped; a bad length CRC
// makes the reader search forward for the next well-formed header.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace mljob::metrics {

// TFRecord's mask over CRC-32C (Castagnoli).
std::uint32_t masked_crc32c(std::string_view data);

// The longest record read: a longer one is counted corrupt and skipped unread (its length could
// be anything a damaged or hostile file says).
inline constexpr std::uint64_t kMaxTfRecordBytes = 64 << 20;

class TfRecordReader {
 public:
  using RecordFn = std::function<void(std::string_view record)>;
  using WarnFn = std::function<void(const std::string&)>;

  explicit TfRecordReader(std::filesystem::path file, std::uint64_t max_record_bytes = kMaxTfRecordBytes)
      : file_(std::move(file)), max_record_bytes_(max_record_bytes) {}

  // Reads every complete record appended since the last call. With `final` (the writer is
  // done), an incomplete record at the end is reported as truncated.
  void read_new(const RecordFn& on_record, const WarnFn& warn, bool final = false);

  std::uint64_t offset() const { return offset_; }
  std::uint64_t corrupt_records() const { return corrupt_; }

 private:
  std::filesystem::path file_;
  std::uint64_t max_record_bytes_;
  std::uint64_t offset_ = 0;  // where the next record starts
  std::uint64_t corrupt_ = 0;
  bool truncation_reported_ = false;
};

}  // namespace mljob::metrics
