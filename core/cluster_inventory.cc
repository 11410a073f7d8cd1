#include "core/cluster_inventory.h"
#include "base/text.h"

#include <sstream>

namespace mljob {
namespace {

int to_int(const std::string& text) {
  try {
    return std::stoi(text);
  } catch (const std::exception&) {
    return 0;
  }
}

// "gpu:v100:8(S:0-1),gpu:t4:2" or "gpu:4" or "(null)".
void add_gres(const std::string& text, NodeInfo& node) {
  for (std::string item : split(text, ',')) {
    item = item.substr(0, item.find('('));
    auto fields = split(item, ':');
    if (fields.empty() || fields[0] != "gpu") continue;
    if (fields.size() == 2)
      node.gpus_by_type[""] += to_int(fields[1]);
    else if (fields.size() >= 3)
      node.gpus_by_type[fields[1]] += to_int(fields[2]);
  }
}

}  // namespace

int NodeInfo::gpus_of(const std::string& type) const {
  int total = 0;
  for (const auto& [gpu_type, count] : gpus_by_type) {
    if (type.empty() || gpu_type == type) total += count;
  }
  return total;
}

ClusterInventory parse_sinfo_nodes(const std::string& sinfo_output) {
  ClusterInventory inventory;
  std::map<std::string, std::size_t> index_of;
  std::istringstream lines(sinfo_output);
  std::string line;
  while (std::getline(lines, line)) {
    auto fields = split(line, '|');
    if (fields.size() < 6) continue;
    std::string partition = fields[1];
    if (!partition.empty() && partition.back() == '*') {
      partition.pop_back();
      inventory.default_partition = partition;
    }
    inventory.partitions.insert(partition);
    auto [it, is_new] = index_of.emplace(fields[0], inventory.nodes.size());
    if (is_new) {
      NodeInfo node;
      node.name = fields[0];
      node.cpus = to_int(fields[2]);
      node.memory_mb = to_int(fields[3]);
      add_gres(fields[4], node);
      if (fields[5] != "(null)") {
        for (const auto& feature : split(fields[5], ',')) node.features.insert(feature);
      }
      for (const auto& [type, count] : node.gpus_by_type) {
        if (!type.empty()) inventory.gpu_types.insert(type);
      }
      inventory.nodes.push_back(std::move(node));
    }
    inventory.nodes[it->second].partitions.insert(partition);
  }
  return inventory;
}

}  // namespace mljob
