// The TFRecord framing (lengths, masked CRC32Cs) of an events file, read as the collector reads
// it: in two calls, the file growing in between (the input's first byte says where it is cut),
// then a final call; every record is decoded as an Event.
#include <algorithm>

#include "fuzz/fuzz_support.h"
#include "metrics/event_decoder.h"
#include "metrics/tfrecord_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const std::filesystem::path file = mljob::fuzz::scratch_file("events.tfevents");
  std::string_view bytes = mljob::fuzz::as_text(data + 1, size - 1);
  std::size_t cut = std::min<std::size_t>(bytes.size(), bytes.size() * data[0] / 255);
  auto on_record = [](std::string_view record) { mljob::metrics::decode_event(record); };
  auto on_warning = [](const std::string&) {};
  // A small record limit, so that the limit's path is reached by short inputs too.
  mljob::metrics::TfRecordReader reader(file, 4096);
  mljob::fuzz::write_file(file, bytes.substr(0, cut));
  reader.read_new(on_record, on_warning);
  mljob::fuzz::write_file(file, bytes);
  reader.read_new(on_record, on_warning);
  reader.read_new(on_record, on_warning, /*final=*/true);
  return 0;
}
