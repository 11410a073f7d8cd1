#include "fuzz/fuzz_support.h"

#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include "tiers/catalog_loader.h"

namespace mljob::fuzz {

std::filesystem::path scratch_file(std::string_view stem) {
  return std::filesystem::temp_directory_path() /
         ("mljob-fuzz-" + std::string(stem) + "-" + std::to_string(::getpid()));
}

void write_file(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) throw std::runtime_error("cannot write the fuzz input to " + path.string());
}

const tiers::TierCatalog& sample_catalog() {
  static const tiers::TierCatalog catalog = tiers::load_catalog(MLJOB_FUZZ_CATALOG);
  return catalog;
}

}  // namespace mljob::fuzz
