// What the cluster has: nodes with their partitions, CPUs, memory, GPUs and features, as
// `sinfo -N` reports them. Parsing is pure; slurm_access.h fetches the text.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace mljob {

// The sinfo format the parser reads: node|partition|cpus|memory MB|gres|features.
inline constexpr const char* kSinfoNodeFormat = "%N|%P|%c|%m|%G|%f";

struct NodeInfo {
  std::string name;
  std::set<std::string> partitions;
  int cpus = 0;
  std::int64_t memory_mb = 0;
  std::map<std::string, int> gpus_by_type;  // "t4" -> 8; untyped GPUs under ""
  std::set<std::string> features;

  int gpus_of(const std::string& type) const;  // empty type: all GPUs
};

struct ClusterInventory {
  std::vector<NodeInfo> nodes;
  std::string default_partition;
  std::set<std::string> partitions;
  std::set<std::string> gpu_types;
};

// Lines of `sinfo --noheader -N -o <kSinfoNodeFormat>`; a node in several partitions appears
// once per partition. The default partition carries a '*'.
ClusterInventory parse_sinfo_nodes(const std::string& sinfo_output);

}  // namespace mljob
