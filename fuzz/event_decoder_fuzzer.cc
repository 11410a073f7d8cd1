// TensorBoard's Event/Summary protobuf decoder: one record's bytes from an events file that
// the trainer (the user's code) writes.
#include "fuzz/fuzz_support.h"
#include "metrics/event_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mljob::metrics::decode_event(mljob::fuzz::as_text(data, size));
  return 0;
}
