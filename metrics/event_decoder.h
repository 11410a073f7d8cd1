// TensorBoard's Event protocol buffer (tensorflow/core/util/event.proto, summary.proto,
// tensor.proto), decoded for what metrics need: wall_time, step, and each summary value's tag
// with a scalar: simple_value, or a rank-0 numeric tensor (TF2's tf.summary.scalar).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mljob::metrics {

struct ScalarValue {
  std::string tag;
  double value = 0;
};

struct DecodedEvent {
  double wall_time = 0;
  std::int64_t step = 0;
  std::vector<ScalarValue> scalars;
};

// nullopt when the bytes are not a well-formed Event (truncated fields, bad wire types).
std::optional<DecodedEvent> decode_event(std::string_view bytes);

}  // namespace mljob::metrics
