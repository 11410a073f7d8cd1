// The tier catalog an admin writes, through the loader (which takes a path: the input is
// written to a scratch file first). Its `include`s and the model registry name other files:
// the input cannot reach a file of the fuzzer's own, only ones that do not exist.
#include "base/input_error.h"
#include "fuzz/fuzz_support.h"
#include "tiers/catalog_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::filesystem::path file = mljob::fuzz::scratch_file("tiers.yaml");
  mljob::fuzz::write_file(file, mljob::fuzz::as_text(data, size));
  try {
    mljob::tiers::load_catalog(file);
  } catch (const mljob::tiers::CatalogError&) {  // how the loader refuses a catalog
  } catch (const mljob::InputError&) {
  }
  return 0;
}
