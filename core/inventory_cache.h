// A recent `sinfo` answer kept beside the job records, so that submissions in quick succession
// (a lab script's loop, a tuning study) do not each pay for one. The fit check accepts a plan on
// a cached answer but never refuses one on it: a refusal is always confirmed on a fresh answer,
// so a stale cache can cost at most what no check costs (a job that waits), never a false "no".
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

  // The cached inventory if it is younger than max_age and readable; nullopt otherwise.
  std::optional<ClusterInventory> load_fresh() const;

  // Keeps `sinfo_output` (written whole, then renamed). A cache: failures are ignored.
  void save(const std::string& sinfo_output) const;

  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path file_;
  std::chrono::seconds max_age_;
};

}  // namespace mljob
