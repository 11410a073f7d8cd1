// Hand-written protobuf wire decoding, on purpose: mljob needs five fields of four TensorFlow
// messages, and a bounds-checked reader that treats any malformed input as "not an event" is
// smaller and safer to audit than generating TensorFlow's protos for libprotobuf (whose .proto
// files and protoc are not part of this build).
#include "metrics/event_decoder.h"

#include <cstring>

namespace mljob::metrics {
namespace {

enum WireType { kVarint = 0, kFixed64 = 1, kBytes = 2, kFixed32 = 5 };

class WireReader {
 public:
  explicit WireReader(std::string_view bytes) : data_(bytes) {}
  bool done() const { return pos_ >= data_.size(); }
  bool failed() const { return failed_; }

  // The next field's number and wire type; false at the end or on malformed input.
  bool next(std::uint32_t& field, int& wire) {
    if (done() || failed_) return false;
    std::uint64_t key = 0;
    if (!varint(key)) return false;
    field = static_cast<std::uint32_t>(key >> 3);
    wire = static_cast<int>(key & 7);
    return true;
  }
  bool varint(std::uint64_t& value) {
    value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return fail();
      auto byte = static_cast<unsigned char>(data_[pos_++]);
      value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return true;
    }
    return fail();
  }
  bool fixed(int bytes, std::uint64_t& value) {
    if (data_.size() - pos_ < static_cast<std::size_t>(bytes)) return fail();
    value = 0;
    for (int i = bytes - 1; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(data_[pos_ + i]);
    pos_ += bytes;
    return true;
  }
  bool bytes(std::string_view& out) {
    std::uint64_t length = 0;
    if (!varint(length) || length > data_.size() - pos_) return fail();
    out = data_.substr(pos_, length);
    pos_ += length;
    return true;
  }
  bool skip(int wire) {
    std::uint64_t ignored = 0;
    std::string_view ignored_bytes;
    switch (wire) {
      case kVarint:
        return varint(ignored);
      case kFixed64:
        return fixed(8, ignored);
      case kBytes:
        return bytes(ignored_bytes);
      case kFixed32:
        return fixed(4, ignored);
      default:
        return fail();  // groups (3, 4) are not used by these messages
    }
  }

 private:
  bool fail() {
    failed_ = true;
    return false;
  }
  std::string_view data_;
  std::size_t pos_ = 0;
  bool failed_ = false;
};

double as_double(std::uint64_t bits) {
  double value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}
float as_float(std::uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

// DataType values of tensorflow/core/framework/types.proto that a scalar metric can have.
enum DataType { kFloat = 1, kDouble = 2, kInt32 = 3, kInt64 = 9, kBool = 10 };

// TensorShapeProto: rank 0 means no `dim` (field 2) and not unknown_rank (field 3).
bool is_rank0(std::string_view shape) {
  WireReader reader(shape);
  std::uint32_t field;
  int wire;
  while (reader.next(field, wire)) {
    if (field == 2 || field == 3) return false;
    if (!reader.skip(wire)) return false;
  }
  return !reader.failed();
}

// The first element of a packed or unpacked repeated numeric field.
std::optional<std::uint64_t> first_element(WireReader& reader, int wire, int fixed_bytes) {
  std::uint64_t value = 0;
  if (wire == kBytes) {
    std::string_view packed;
    if (!reader.bytes(packed) || packed.empty()) return std::nullopt;
    WireReader inner(packed);
    bool ok = fixed_bytes ? inner.fixed(fixed_bytes, value) : inner.varint(value);
    return ok ? std::optional(value) : std::nullopt;
  }
  bool ok = fixed_bytes ? reader.fixed(fixed_bytes, value) : reader.varint(value);
  return ok ? std::optional(value) : std::nullopt;
}

std::optional<double> decode_scalar_tensor(std::string_view tensor) {
  WireReader reader(tensor);
  std::uint32_t field;
  int wire;
  std::uint64_t dtype = 0;
  bool rank0 = true;
  std::string_view content;
  std::optional<double> from_field;
  while (reader.next(field, wire)) {
    std::uint64_t ignored = 0;
    std::string_view sub;
    if (field == 1 && wire == kVarint) {
      if (!reader.varint(dtype)) return std::nullopt;
    } else if (field == 2 && wire == kBytes) {
      if (!reader.bytes(sub)) return std::nullopt;
      rank0 = is_rank0(sub);
    } else if (field == 4 && wire == kBytes) {
      if (!reader.bytes(content)) return std::nullopt;
    } else if (field == 5 && !from_field) {  // float_val
      auto bits = first_element(reader, wire, 4);
      if (!bits) return std::nullopt;
      from_field = as_float(static_cast<std::uint32_t>(*bits));
    } else if (field == 6 && !from_field) {  // double_val
      auto bits = first_element(reader, wire, 8);
      if (!bits) return std::nullopt;
      from_field = as_double(*bits);
    } else if ((field == 7 || field == 10 || field == 11) && !from_field) {  // int_val, int64_val, bool_val
      auto raw = first_element(reader, wire, 0);
      if (!raw) return std::nullopt;
      from_field = field == 7 ? static_cast<double>(static_cast<std::int32_t>(*raw))
                              : static_cast<double>(static_cast<std::int64_t>(*raw));
    } else if (!reader.skip(wire)) {
      return std::nullopt;
    }
    (void)ignored;
  }
  if (reader.failed() || !rank0) return std::nullopt;
  if (!content.empty()) {
    auto raw = [&](std::size_t n) {
      std::uint64_t v = 0;
      for (std::size_t i = n; i-- > 0;) v = (v << 8) | static_cast<unsigned char>(content[i]);
      return v;
    };
    switch (dtype) {
      case kFloat:
        return content.size() == 4 ? std::optional<double>(as_float(static_cast<std::uint32_t>(raw(4)))) : std::nullopt;
      case kDouble:
        return content.size() == 8 ? std::optional<double>(as_double(raw(8))) : std::nullopt;
      case kInt32:
        return content.size() == 4 ? std::optional<double>(static_cast<std::int32_t>(raw(4))) : std::nullopt;
      case kInt64:
        return content.size() == 8 ? std::optional<double>(static_cast<double>(static_cast<std::int64_t>(raw(8))))
                                   : std::nullopt;
      case kBool:
        return content.size() == 1 ? std::optional<double>(content[0] != 0) : std::nullopt;
      default:
        return std::nullopt;
    }
  }
  if (dtype != kFloat && dtype != kDouble && dtype != kInt32 && dtype != kInt64 && dtype != kBool) return std::nullopt;
  return from_field;
}

// Summary.Value: tag (1), simple_value (2, float), tensor (8).
std::optional<ScalarValue> decode_value(std::string_view bytes) {
  WireReader reader(bytes);
  std::uint32_t field;
  int wire;
  ScalarValue out;
  std::optional<double> value;
  while (reader.next(field, wire)) {
    std::string_view sub;
    std::uint64_t bits = 0;
    if (field == 1 && wire == kBytes) {
      if (!reader.bytes(sub)) return std::nullopt;
      out.tag = std::string(sub);
    } else if (field == 2 && wire == kFixed32) {
      if (!reader.fixed(4, bits)) return std::nullopt;
      value = as_float(static_cast<std::uint32_t>(bits));
    } else if (field == 8 && wire == kBytes) {
      if (!reader.bytes(sub)) return std::nullopt;
      if (!value) value = decode_scalar_tensor(sub);
    } else if (!reader.skip(wire)) {
      return std::nullopt;
    }
  }
  if (reader.failed() || !value || out.tag.empty()) return std::nullopt;
  out.value = *value;
  return out;
}

}  // namespace

std::optional<DecodedEvent> decode_event(std::string_view bytes) {
  WireReader reader(bytes);
  std::uint32_t field;
  int wire;
  DecodedEvent event;
  while (reader.next(field, wire)) {
    std::uint64_t raw = 0;
    std::string_view sub;
    if (field == 1 && wire == kFixed64) {
      if (!reader.fixed(8, raw)) return std::nullopt;
      event.wall_time = as_double(raw);
    } else if (field == 2 && wire == kVarint) {
      if (!reader.varint(raw)) return std::nullopt;
      event.step = static_cast<std::int64_t>(raw);
    } else if (field == 5 && wire == kBytes) {  // summary: repeated Value value = 1
      if (!reader.bytes(sub)) return std::nullopt;
      WireReader summary(sub);
      std::uint32_t f;
      int w;
      while (summary.next(f, w)) {
        std::string_view value_bytes;
        if (f == 1 && w == kBytes) {
          if (!summary.bytes(value_bytes)) return std::nullopt;
          if (auto scalar = decode_value(value_bytes)) event.scalars.push_back(std::move(*scalar));
        } else if (!summary.skip(w)) {
          return std::nullopt;
        }
      }
      if (summary.failed()) return std::nullopt;
    } else if (!reader.skip(wire)) {
      return std::nullopt;
    }
  }
  if (reader.failed()) return std::nullopt;
  return event;
}

}  // namespace mljob::metrics
