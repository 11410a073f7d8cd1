// A recent `sinfo` answer kept beside the job records, so that submissions in quick succession
// (a lab script's loop, a tuning study) do not each pay for one. The fit check accepts a plan on
// a cached answer but never refuses one on it: a refusal is always confirmed on a fresh answer,
// so a stale cache can cost at most what no check costs (a job that waits), never a false "no".
// It is read and written only while it is the user's own and no one else may write it
// (base/files.h, read_cache_file): another user's answer could make a plan look as if it fits.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "core/cluster_inventory.h"

namespace mljob {

class InventoryCache {
 public:
  // `folder`: where cache files live ($MLJOB_HOME/cache). One file per Slurm configuration
  // (SLURM_CONF), so that users of several clusters never mix them.
  InventoryCache(const std::filesystem::path& folder, std::chrono::seconds max_age);

  // The cached inventory if it is younger than max_age, readable and trusted; nullopt otherwise.
  std::optional<ClusterInventory> load_fresh() const;

  // Keeps `sinfo_output` (written whole, then renamed, mode 0600). A cache: failures are
  // ignored, and an untrusted cache folder is left as it is.
  void save(const std::string& sinfo_output) const;

  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path folder_;
  std::string name_;
  std::filesystem::path file_;
  std::chrono::seconds max_age_;
};

}  // namespace mljob
