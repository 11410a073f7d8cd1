// Where one task's CPUs and memory go: a pure decision from the node's topology, what
// Slurm allocated to the task and which GPUs it has. Nothing here binds anything; the
// module applies the result (hwloc_set_cpubind / hwloc_set_membind) in the task.
#pragma once

#include <optional>
#include <string>

#include "bind_options.h"
#include "cpu_set.h"
#include "node_topology.h"

namespace mljob::plugin {

struct BindingRequest {
  BindPolicy policy = BindPolicy::closest;
  IndexSet allowed_cpus;   // the task's CPUs as Slurm left them (its affinity at task_init)
  IndexSet allowed_nodes;  // the memory nodes it may use
  // The CPUs the step's tasks on this node start with, before Slurm's task plugin binds
  // them: slurmstepd's affinity in user_init (its step cgroup's cpuset, if any), which the
  // tasks inherit. A task whose allowed_cpus equal these shares them with the node's other
  // tasks (task/none, task/cgroup alone); one whose allowed_cpus differ was given CPUs of
  // its own (task/affinity's --cpu-bind). Empty: unknown, taken as CPUs of its own.
  IndexSet step_cpus;
  // SLURM_STEP_GPUS as the task sees it (Slurm's global GPU indices on this node; its
  // own GPUs when Slurm binds GPUs to tasks), and as the step sees it on this node. When
  // the two are equal and the node runs several tasks of the step, the tasks share the
  // step's GPUs and each takes its block of them by local index (local rank i of k takes
  // GPUs [i*g/k, (i+1)*g/k), at least one): the GPU it will use as cuda:LOCAL_RANK when
  // there is one GPU per task. Unset or empty: the task has no GPU.
  std::optional<std::string> task_gpus;
  std::optional<std::string> step_gpus;
  // The task's index among the step's tasks on this node, by which it takes its share:
  // its LOCAL_RANK when it has one, the others after (StepPlan::local_share_index).
  unsigned local_index = 0;
  unsigned local_count = 1;  // the step's tasks on this node
};

struct Binding {
  bool bind = false;   // false: keep Slurm's allocation (none, or no better place found)
  IndexSet cpus;       // when bind: the CPUs to run on, within allowed_cpus
  IndexSet nodes;      // when bind: the memory nodes to allocate from; empty: leave memory
  std::string reason;  // what was chosen and why, for --ml-bind=verbose and the logs
};

// Tasks with GPUs go to the place that holds their GPUs: the locality object hwloc reports
// (closest), the NUMA node(s) it covers (numa) or its package(s) (socket), cut to the
// task's allocation; if a GPU is not in the topology or its place has none of the
// allocated CPUs, the task keeps its allocation and the reason says so. Tasks without
// GPUs that share the step's CPUs are spread evenly over the NUMA nodes (closest, numa) or
// packages (socket) that hold allocated CPUs: task i of k takes places [i*n/k, (i+1)*n/k);
// when there are more tasks than places, the tasks of one place split its allocated cores
// evenly, whole cores (every hardware thread of a core goes to the same task). A task
// without GPUs that Slurm already gave CPUs of its own keeps them (splitting them again
// by local index would leave it a fraction of its own); its memory goes to the NUMA nodes
// of the places holding them.
Binding decide_binding(const NodeTopology& topology, const BindingRequest& request);

// What the task got once the module applied `binding` (its verbose line, slurmd's log):
// the decision's reason, or, when the CPUs were bound but the kernel refused the memory
// binding (`memory_error`), that the CPUs are bound and the memory is not, and why.
std::string applied_binding_text(const Binding& binding, const std::optional<std::string>& memory_error);

}  // namespace mljob::plugin
