// --ml-bind in slurmstepd: the node's topology, loaded once per step in user_init, and
// each task bound in task_init (tasks are forked from slurmstepd after user_init, so each
// reads user_init's copy). Decides nothing itself (binding.h decides, task_binding.h
// applies); it gathers what the decision needs and says what came of it. A binding that
// cannot be made is a warning: the task runs, on Slurm's allocation. Module only.
#pragma once

#include <memory>
#include <optional>
#include <string>

extern "C" {
#include <slurm/spank.h>
}

#include "bind_options.h"
#include "cpu_set.h"
#include "env_lookup.h"
#include "layout.h"
#include "node_topology.h"
#include "plugin_config.h"
#include "shared_flag.h"

namespace mljob::plugin {

// The node's topology as hwloc loaded it, and the plugin's model of it.
struct StepTopology {
  HwlocTopology hwloc;
  NodeTopology node;
};

// What binding needs to know of the step on this node; part of the plugin's context.
struct StepBinding {
  BindSettings settings;  // the job's --ml-bind/MLJOB_BIND over plugstack's bind=
  // Whether the job itself named a policy (--ml-bind, MLJOB_BIND): then a task that keeps
  // Slurm's allocation tells the user why, not only slurmd's log.
  bool asked_by_job = false;
  std::optional<StepTopology> topology;
  std::optional<std::string> topology_error;  // why it could not be loaded, for verbose lines
  std::optional<std::string> step_gpus;       // SLURM_STEP_GPUS of the step on this node
  unsigned local_task_count = 1;              // the step's tasks on this node (this component)
  IndexSet step_cpus;                         // what the tasks start with (BindingRequest)
  // Set by the first task of the node that tells the user about its binding; made before
  // slurmstepd forks the tasks. Null when the page could not be mapped: every task says it.
  std::unique_ptr<SharedFlag> warned_once;
};

// user_init: fills `binding` for a step whose settings are `settings`, loading the topology
// unless the policy is none. A topology that cannot be loaded is said to the user once per
// node and leaves every task on Slurm's allocation; throws only when Slurm cannot tell the
// step's tasks on this node.
void prepare_step_binding(spank_t spank, const PluginConfig& config, const BindSettings& settings, bool asked_by_job,
                          const EnvLookup& environment, StepBinding& binding);

// task_init: binds the calling task's CPUs and memory and logs what it got (and tells the
// user with verbose). `share_index` is its index among the node's tasks that share the
// step's GPUs (StepPlan::local_share_index). Throws only when the step cannot be named.
void bind_task(spank_t spank, const StepBinding& binding, const TaskPlacement& placement, unsigned share_index,
               const EnvLookup& environment);

}  // namespace mljob::plugin
