#include "metrics/tfrecord_reader.h"

#include <boost/crc.hpp>

#include <fstream>
#include <vector>

namespace mljob::metrics {
namespace {

std::uint64_t read_le(const char* bytes, int count) {
  std::uint64_t value = 0;
  for (int i = count - 1; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

constexpr std::uint64_t kHeaderBytes = 12;  // length + its CRC
constexpr std::uint64_t kFooterBytes = 4;   // the data's CRC
constexpr std::uint64_t kChunkBytes = 1 << 20;

}  // namespace

std::uint32_t masked_crc32c(std::string_view data) {
  boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> crc;  // CRC-32C
  crc.process_bytes(data.data(), data.size());
  std::uint32_t value = crc.checksum();
  return ((value >> 15) | (value << 17)) + 0xa282ead8u;
}

void TfRecordReader::read_new(const RecordFn& on_record, const WarnFn& warn, bool final) {
  std::ifstream in(file_, std::ios::binary);
  if (!in) return;  // not there (yet)
  in.seekg(0, std::ios::end);
  const std::uint64_t size = static_cast<std::uint64_t>(in.tellg());
  if (size < offset_) {  // replaced or truncated under us: start again
    warn(file_.string() + ": file shrank; reading it again from the start");
    offset_ = 0;
  }
  std::string header(kHeaderBytes, '\0');
  std::vector<char> data;
  while (offset_ + kHeaderBytes <= size) {
    in.clear();
    in.seekg(static_cast<std::streamoff>(offset_));
    in.read(header.data(), kHeaderBytes);
    std::uint64_t length = read_le(header.data(), 8);
    bool length_ok = read_le(header.data() + 8, 4) == masked_crc32c(std::string_view(header.data(), 8));
    if (!length_ok || length > max_record_bytes_) {
      // Nothing after a bad length can be trusted: look for the next well-formed header.
      ++corrupt_;
      warn(file_.string() + ": corrupt record header at byte " + std::to_string(offset_) +
           (length_ok ? " (record of " + std::to_string(length) + " bytes is beyond the limit)"
                      : " (length CRC mismatch)") +
           "; skipping to the next valid record");
      offset_ += 1;
      std::string window;
      bool found = false;
      while (!found && offset_ + kHeaderBytes <= size) {
        std::uint64_t span = std::min<std::uint64_t>(kChunkBytes, size - offset_);
        window.resize(span);
        in.clear();
        in.seekg(static_cast<std::streamoff>(offset_));
        in.read(window.data(), static_cast<std::streamsize>(span));
        std::uint64_t step = 0;
        for (; step + kHeaderBytes <= span; ++step) {
          std::uint64_t candidate = read_le(window.data() + step, 8);
          if (candidate <= max_record_bytes_ &&
              read_le(window.data() + step + 8, 4) == masked_crc32c(std::string_view(window.data() + step, 8))) {
            found = true;
            break;
          }
        }
        offset_ += step;
        if (span < kHeaderBytes) break;
      }
      continue;
    }
    if (offset_ + kHeaderBytes + length + kFooterBytes > size) break;  // still being written
    data.resize(length + kFooterBytes);
    in.read(data.data(), static_cast<std::streamsize>(data.size()));
    std::string_view record(data.data(), length);
    std::uint64_t at = offset_;
    offset_ += kHeaderBytes + length + kFooterBytes;
    if (read_le(data.data() + length, 4) != masked_crc32c(record)) {
      ++corrupt_;
      warn(file_.string() + ": record at byte " + std::to_string(at) + " fails its data CRC; skipped");
      continue;
    }
    on_record(record);
  }
  if (final && offset_ < size && !truncation_reported_) {
    truncation_reported_ = true;
    warn(file_.string() + ": truncated record at byte " + std::to_string(offset_) + " (" +
         std::to_string(size - offset_) + " bytes left over at the end)");
  }
}

}  // namespace mljob::metrics
