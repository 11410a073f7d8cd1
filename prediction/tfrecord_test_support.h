// TFRecord framing for the prediction tests: records written as TensorFlow writes them (uint64
// length, masked CRC-32C of the length, the data, masked CRC-32C of the data, little-endian).
#pragma once

#include <cstdint>
#include <string>

#include "metrics/tfrecord_reader.h"

namespace mljob::prediction::testing {

inline std::string little_endian(std::uint64_t value, int bytes) {
  std::string out;
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
  return out;
}

// One record, framed.
inline std::string frame(const std::string& data) {
  const std::string length = little_endian(data.size(), 8);
  return length + little_endian(metrics::masked_crc32c(length), 4) + data +
         little_endian(metrics::masked_crc32c(data), 4);
}

}  // namespace mljob::prediction::testing
