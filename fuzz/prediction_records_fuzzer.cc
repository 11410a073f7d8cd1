// A batch prediction's input files, which the user names: every format's record reader over
// one piece of the file (the input's first bytes pick the format and the piece), each record
// turned into its instance as the worker does.
#include <fuzzer/FuzzedDataProvider.h>

#include <stdexcept>

#include "fuzz/fuzz_support.h"
#include "prediction/instance_text.h"
#include "prediction/record_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::filesystem::path file = mljob::fuzz::scratch_file("instances");
  FuzzedDataProvider input(data, size);
  auto format = static_cast<mljob::DataFormat>(input.ConsumeIntegralInRange(0, 4));
  auto begin = input.ConsumeIntegral<std::uint16_t>();
  auto length = input.ConsumeIntegral<std::uint16_t>();
  std::string bytes = input.ConsumeRemainingBytesAsString();
  mljob::fuzz::write_file(file, bytes);
  if (format == mljob::DataFormat::kTfRecordGzip) {
    begin = 0;  // a gzip file is one piece (read_piece refuses another begin)
  } else {
    begin = static_cast<std::uint16_t>(mljob::prediction::next_record_start(file, format, begin));
  }
  mljob::prediction::Piece piece{file, begin, std::min<std::uint64_t>(bytes.size(), begin + length)};
  if (format == mljob::DataFormat::kTfRecordGzip) piece.end = bytes.size();
  auto on_record = [&](std::string_view record, std::uint64_t) {
    std::string error;
    mljob::prediction::instance_json(record, format, &error);
  };
  // A small record limit, so that short inputs reach the limit's path.
  mljob::prediction::read_piece(piece, format, 1024, on_record, [](const mljob::prediction::RecordError&) {});
  return 0;
}
