// The FfDL front door: a manifest.yml as `mljob submit ffdl` reads it.
#include "base/input_error.h"
#include "core/ffdl_manifest.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    mljob::parse_ffdl_manifest(std::string(mljob::fuzz::as_text(data, size)), "manifest.yml",
                               mljob::fuzz::sample_catalog(), {"training-abcdefghi", "/tmp/training-abcdefghi"});
  } catch (const mljob::InputError&) {
  }
  return 0;
}
