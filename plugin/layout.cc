#include "layout.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <stdexcept>
#include <utility>

namespace mljob::plugin {
namespace {

void check_component(const ComponentNodes& component, std::size_t index) {
  const std::string which = "het component " + std::to_string(index);
  if (component.hosts.empty()) throw std::invalid_argument(which + " has no nodes");
  if (component.hosts.size() != component.tasks_per_node.size()) {
    throw std::invalid_argument(which + " has " + std::to_string(component.hosts.size()) +
                                " nodes but a tasks-per-node count for " +
                                std::to_string(component.tasks_per_node.size()));
  }
}

std::size_t count_tasks(const ComponentNodes& component) {
  // Each count is bounded (tasks_per_node.h) and so is the number of nodes: no overflow.
  return std::accumulate(component.tasks_per_node.begin(), component.tasks_per_node.end(), std::size_t{0});
}

}  // namespace

JobLayout::JobLayout(std::vector<ComponentNodes> components) {
  std::size_t total = 0;
  for (std::size_t c = 0; c < components.size(); ++c) {
    check_component(components[c], c);
    const std::size_t tasks = count_tasks(components[c]);
    if (tasks == 0) {
      throw std::invalid_argument("het component " + std::to_string(c) + " has no tasks");
    }
    total += tasks;
    if (total > kMaxStepTasks) {
      throw std::invalid_argument("the step has more than " + std::to_string(kMaxStepTasks) +
                                  " tasks, more than mljob lays out");
    }
    component_task_counts_.push_back(static_cast<unsigned>(tasks));
  }
  if (components.empty()) throw std::invalid_argument("the step has no components");

  tasks_.reserve(total);
  std::map<std::string, unsigned> tasks_seen_on_host;
  for (std::size_t c = 0; c < components.size(); ++c) {
    const ComponentNodes& component = components[c];
    unsigned rank_in_component = 0;
    for (std::size_t node = 0; node < component.hosts.size(); ++node) {
      const std::string& host = component.hosts[node];
      for (unsigned local = 0; local < component.tasks_per_node[node]; ++local) {
        unsigned& on_host = tasks_seen_on_host[host];
        tasks_.push_back(TaskPlacement{
            .global_rank = static_cast<unsigned>(tasks_.size()),
            .component = static_cast<unsigned>(c),
            .rank_in_component = rank_in_component++,
            .node_in_component = static_cast<unsigned>(node),
            .host = host,
            .local_index_in_component = local,
            .local_index_on_host = on_host++,
        });
        max_tasks_on_one_host_ = std::max(max_tasks_on_one_host_, on_host);
      }
    }
  }
}

const TaskPlacement& JobLayout::task(unsigned global_rank) const {
  if (global_rank >= tasks_.size()) {
    throw std::out_of_range("task rank " + std::to_string(global_rank) + " is outside the layout, which has " +
                            std::to_string(tasks_.size()) + " tasks");
  }
  return tasks_[global_rank];
}

}  // namespace mljob::plugin
