#include "core/fit_check.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

namespace mljob {
namespace {

std::string describe_task(const SlurmComponent& c) {
  std::string text =
      std::to_string(c.cpus_per_task) + " CPUs and " + std::to_string(c.memory_per_cpu_mb * c.cpus_per_task) + " MB";
  if (c.gpus_per_task) text += " and " + std::to_string(c.gpus_per_task) + " " + c.gpu_type + " GPU(s)";
  return text;
}

std::string component_name(const SlurmComponent& c, std::size_t index) {
  std::string roles;
  for (const auto& span : c.roles) roles += (roles.empty() ? "" : "+") + span.role;
  return "component " + std::to_string(index) + " (" + roles + ")";
}

// Only a plain feature name or an AND of names ("a&b") is understood; anything fancier is
// left to Slurm (treated as satisfied, so it can never cause a wrong refusal).
bool has_features(const NodeInfo& node, const std::string& constraint) {
  if (constraint.empty() || constraint.find_first_of("|[]*()") != std::string::npos) return true;
  std::size_t start = 0;
  while (start <= constraint.size()) {
    std::size_t amp = constraint.find('&', start);
    std::string feature = constraint.substr(start, amp - start);
    if (!feature.empty() && !node.features.contains(feature)) return false;
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return true;
}

std::vector<std::size_t> candidate_nodes(const SlurmComponent& c, const ClusterInventory& cluster) {
  const std::string& partition = c.partition.empty() ? cluster.default_partition : c.partition;
  std::vector<std::size_t> candidates;
  for (std::size_t n = 0; n < cluster.nodes.size(); ++n) {
    const NodeInfo& node = cluster.nodes[n];
    if (node.partitions.contains(partition) && has_features(node, c.constraint) && tasks_that_fit(c, node) > 0) {
      candidates.push_back(n);
    }
  }
  return candidates;
}

// The fewest nodes that can hold all of a component's tasks: the roomiest nodes first.
int minimum_nodes(const SlurmComponent& c, const std::vector<std::size_t>& candidates,
                  const ClusterInventory& cluster) {
  std::vector<int> capacities;
  for (std::size_t n : candidates) capacities.push_back(tasks_that_fit(c, cluster.nodes[n]));
  std::sort(capacities.rbegin(), capacities.rend());
  int placed = 0, nodes = 0;
  for (int capacity : capacities) {
    if (placed >= c.tasks) break;
    placed += capacity;
    ++nodes;
  }
  return std::max(nodes, 1);
}

// Het components never share a node, so component i needs minimum_nodes(i) nodes of its own:
// a bipartite matching in which each component appears that many times. Necessary, not
// sufficient, which is what a refusal may rest on.
bool every_component_gets_its_own_nodes(const std::vector<std::vector<std::size_t>>& candidates) {
  std::map<std::size_t, std::size_t> owner;  // node -> component
  std::function<bool(std::size_t, std::set<std::size_t>&)> assign = [&](std::size_t component,
                                                                        std::set<std::size_t>& seen) {
    for (std::size_t node : candidates[component]) {
      if (!seen.insert(node).second) continue;
      auto taken = owner.find(node);
      if (taken == owner.end() || assign(taken->second, seen)) {
        owner[node] = component;
        return true;
      }
    }
    return false;
  };
  for (std::size_t component = 0; component < candidates.size(); ++component) {
    std::set<std::size_t> seen;
    if (!assign(component, seen)) return false;
  }
  return true;
}

}  // namespace

int tasks_that_fit(const SlurmComponent& c, const NodeInfo& node) {
  int by_cpus = c.cpus_per_task > 0 ? node.cpus / c.cpus_per_task : 0;
  std::int64_t memory_per_task = c.memory_per_cpu_mb * c.cpus_per_task;
  int by_memory = memory_per_task > 0 ? static_cast<int>(node.memory_mb / memory_per_task) : by_cpus;
  int fit = std::min(by_cpus, by_memory);
  if (c.gpus_per_task > 0) fit = std::min(fit, node.gpus_of(c.gpu_type) / c.gpus_per_task);
  return std::max(fit, 0);
}

std::vector<std::string> reasons_plan_never_fits(const SlurmPlan& plan, const ClusterInventory& cluster) {
  std::vector<std::string> reasons;
  std::vector<std::vector<std::size_t>> candidates;
  for (std::size_t i = 0; i < plan.components.size(); ++i) {
    const SlurmComponent& c = plan.components[i];
    const std::string& partition = c.partition.empty() ? cluster.default_partition : c.partition;
    if (!cluster.partitions.contains(partition)) {
      reasons.push_back(component_name(c, i) + ": partition '" + partition + "' does not exist on this cluster");
      candidates.emplace_back();
      continue;
    }
    if (c.gpus_per_task > 0 && !cluster.gpu_types.contains(c.gpu_type)) {
      reasons.push_back(component_name(c, i) + ": no node has GPUs of GRES type '" + c.gpu_type + "'");
    }
    candidates.push_back(candidate_nodes(c, cluster));
    int capacity = 0;
    for (std::size_t n : candidates.back()) capacity += tasks_that_fit(c, cluster.nodes[n]);
    if (candidates.back().empty()) {
      reasons.push_back(component_name(c, i) + ": no node in partition '" + partition + "' has " + describe_task(c) +
                        (c.constraint.empty() ? "" : " with features '" + c.constraint + "'") + " for one task");
    } else if (capacity < c.tasks) {
      reasons.push_back(component_name(c, i) + ": needs " + std::to_string(c.tasks) + " tasks of " + describe_task(c) +
                        " but the whole partition '" + partition + "' holds at most " + std::to_string(capacity));
    }
  }
  if (!reasons.empty()) return reasons;
  std::vector<std::vector<std::size_t>> slots;  // one entry per node a component needs
  int nodes_needed = 0;
  for (std::size_t i = 0; i < plan.components.size(); ++i) {
    int needed = minimum_nodes(plan.components[i], candidates[i], cluster);
    nodes_needed += needed;
    for (int k = 0; k < needed; ++k) slots.push_back(candidates[i]);
  }
  if (!every_component_gets_its_own_nodes(slots)) {
    reasons.push_back(
        "the plan's " + std::to_string(plan.components.size()) + " heterogeneous components need " +
        std::to_string(nodes_needed) +
        " nodes between them (Slurm never puts two components on one node), and fewer nodes can host them");
  }
  return reasons;
}

}  // namespace mljob
