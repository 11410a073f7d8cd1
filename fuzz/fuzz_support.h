// What the fuzz targets share. A parser of untrusted bytes may refuse its input only the way
// its callers handle: InputError (mljob's parsers) or std::invalid_argument (the plugin's).
// Anything else that escapes a target (another exception, a crash, a sanitizer report, a
// timeout, memory past -rss_limit_mb) is a finding: libFuzzer stops and saves the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace mljob::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A file of this process's own under the system's temporary folder, rewritten for each input:
// for parsers whose interface is a path (the tier catalog, file readers). Named by the pid so
// that parallel fuzzing jobs (-jobs=N) do not share it.
std::filesystem::path scratch_file(std::string_view stem);
void write_file(const std::filesystem::path& path, std::string_view bytes);

}  // namespace mljob::fuzz

namespace mljob::tiers {
struct TierCatalog;
}

namespace mljob::fuzz {

// The site catalog the front doors are checked against: etc/tiers.yaml of the source tree
// (every section: tiers, images, storage, runtimes), loaded once per process.
const tiers::TierCatalog& sample_catalog();

}  // namespace mljob::fuzz
