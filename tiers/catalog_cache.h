// The parsed tier catalog kept as JSON beside the job records ($MLJOB_HOME/cache), so that a
// submission does not parse the YAML again: yaml-cpp takes about 1 ms for the stock catalog in
// a fresh process (most of it its first use), which was the largest part of what `mljob submit`
// adds to sbatch (docs/benchmarks.md). The cache is used only while every file the catalog was
// read from (the file and those it extends) is unchanged: same device, inode, size, and
// modification and change times to the nanosecond. Anything else reads the YAML again. An
// entry is read or written only while it and its folder are the user's own and writable by no
// one else (base/files.h): a runtime's `setup` line from it is pasted into job.sbatch.
#pragma once

#include <chrono>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "tiers/catalog.h"

namespace mljob::tiers {

// Every field of the catalog, and back (the cache's format; catalog_from_json throws on a
// malformed document).
nlohmann::json catalog_to_json(const TierCatalog& catalog);
TierCatalog catalog_from_json(const nlohmann::json& json);

// load_catalog(file), answered from `cache_folder` when an entry there still matches the
// files; otherwise the YAML is read (errors as load_catalog's) and the entry written, unless
// a file changed less than `settle` ago (it may have changed while it was read, as git's
// "racily clean" entries). A cache: failing to read or write it only costs the parse.
TierCatalog load_catalog_cached(const std::filesystem::path& file, const std::filesystem::path& cache_folder,
                                std::chrono::seconds settle = std::chrono::seconds(2));

}  // namespace mljob::tiers
