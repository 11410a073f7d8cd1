// Where every task of a (possibly heterogeneous) step runs: global rank ->
// (component, rank in component, node, local index).
//
// Slurm numbers the tasks of a het step component after component (SLURM_PROCID is
// global) and, with the default block distribution, fills each component's nodes in
// node-list order: node 0 gets the first tasks_per_node[0] ranks, and so on.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace mljob::plugin {

// Upper bound on the tasks of one step the plugin lays out. TF_CONFIG must fit in one
// environment string (Linux caps those at 128 KiB), which is reached long before this.
inline constexpr std::size_t kMaxStepTasks = 65536;

// One het component (or the whole step when it is not heterogeneous).
struct ComponentNodes {
  std::vector<std::string> hosts;        // node names, in Slurm's order
  std::vector<unsigned> tasks_per_node;  // one count per host
};

struct TaskPlacement {
  unsigned global_rank;
  unsigned component;
  unsigned rank_in_component;
  unsigned node_in_component;  // index into the component's hosts
  std::string host;
  unsigned local_index_in_component;  // what SLURM_LOCALID says within this component
  unsigned local_index_on_host;       // counting the tasks of every component on the host
};

class JobLayout {
 public:
  // Validates that every component has as many hosts as counts, at least one task, and
  // that the step stays within kMaxStepTasks. Throws std::invalid_argument otherwise.
  explicit JobLayout(std::vector<ComponentNodes> components);

  std::size_t component_count() const { return component_task_counts_.size(); }
  unsigned total_tasks() const { return static_cast<unsigned>(tasks_.size()); }
  const std::vector<unsigned>& component_task_counts() const { return component_task_counts_; }
  const std::vector<TaskPlacement>& tasks() const { return tasks_; }

  // Throws std::out_of_range naming the rank and the step's size when rank is too large.
  const TaskPlacement& task(unsigned global_rank) const;

  // The largest number of tasks (of all components) that share one host.
  unsigned max_tasks_on_one_host() const { return max_tasks_on_one_host_; }

 private:
  std::vector<unsigned> component_task_counts_;
  std::vector<TaskPlacement> tasks_;
  unsigned max_tasks_on_one_host_ = 0;
};

}  // namespace mljob::plugin
