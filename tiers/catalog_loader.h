// Reads a tier catalog from YAML. A catalog may start from another one with
// `extends: PATH` (relative to the file) and override any entry, so a site can keep the
// stock AI Platform catalog and change only what differs at the site.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "tiers/catalog.h"

namespace mljob::tiers {

// Every problem names the file, the YAML path of the entry, the value and the rule.
class CatalogError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// `files_read`, if given, receives every file read: `file`, then what it extends, and so on.
TierCatalog load_catalog(const std::filesystem::path& file, std::vector<std::filesystem::path>* files_read = nullptr);

// The catalog in effect: an explicit path wins, then $MLJOB_TIERS, then /etc/mljob/tiers.yaml.
std::filesystem::path effective_catalog_path(const std::string& explicit_path);

// "15G", "7.2G", "512M", "1T", plain numbers are megabytes (Slurm's convention).
std::int64_t parse_memory_mb(const std::string& text);

}  // namespace mljob::tiers
