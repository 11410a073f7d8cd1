#include "step_binding.h"

#include <exception>
#include <utility>

#include "binding.h"
#include "log_text.h"
#include "spank_access.h"
#include "spank_log.h"
#include "task_binding.h"

namespace mljob::plugin {
namespace {

// slurmstepd's own CPU affinity, in the thread that forks the tasks: what each task starts
// with before Slurm's task plugin binds it (the step cgroup's cpuset, where task/cgroup
// constrains cores). Empty when it cannot be read: tasks then keep CPUs as Slurm left them.
IndexSet step_cpus(spank_t spank, hwloc_topology_t topology) {
  try {
    return current_cpu_binding(topology);
  } catch (const std::exception& error) {
    log_info(step_name(spank) + ": the step's CPUs on this node are unknown: " + error.what());
    return IndexSet();
  }
}

// The flag by which the node's tasks say a binding problem once (warn_user_about_binding).
std::unique_ptr<SharedFlag> make_warned_once_flag(spank_t spank) {
  try {
    return std::make_unique<SharedFlag>();
  } catch (const std::exception& error) {
    log_info(step_name(spank) + ": binding warnings come from every task: " + error.what());
    return nullptr;
  }
}

void load_topology(spank_t spank, const PluginConfig& config, StepBinding& binding) {
  // Without GPUs on this node, no task needs PCI locality: the cheaper discovery will do.
  const bool gpus_here = binding.step_gpus && !binding.step_gpus->empty();
  try {
    HwlocTopology hwloc = load_hwloc_topology(config.topology_xml, gpus_here);
    NodeTopology node = read_node_topology(hwloc.get());
    binding.step_cpus = step_cpus(spank, hwloc.get());
    binding.topology = StepTopology{.hwloc = std::move(hwloc), .node = std::move(node)};
  } catch (const std::exception& error) {
    binding.topology_error = error.what();
    warn_user(step_name(spank) + ": tasks keep Slurm's CPU allocation: " + error.what());
  }
}

// A problem with one task's binding, told to the user once per node: the first task of
// the node that has one says it; the others' are in their verbose lines and slurmd's log.
void warn_user_about_binding(const StepBinding& binding, const std::string& message) {
  if (!binding.warned_once) {
    warn_user(message);
  } else if (binding.warned_once->test_and_set()) {
    warn_user(message + " (said once per node: --ml-bind=verbose shows every task's binding)");
  }
}

// Decides and applies one task's binding; returns what it got, for its verbose line.
std::string bind_with_topology(const StepBinding& binding, const std::string& task_name, unsigned share_index,
                               const EnvLookup& environment) {
  const StepTopology& topology = *binding.topology;
  BindingRequest request;
  request.policy = binding.settings.policy;
  request.allowed_nodes = topology.node.nodes;
  request.step_cpus = binding.step_cpus;
  request.task_gpus = environment("SLURM_STEP_GPUS");
  request.step_gpus = binding.step_gpus;
  request.local_index = share_index;  // LOCAL_RANK for torch tasks (StepPlan)
  request.local_count = binding.local_task_count;
  try {
    request.allowed_cpus = current_cpu_binding(topology.hwloc.get());
    const Binding decided = decide_binding(topology.node, request);
    const std::optional<std::string> memory_error = apply_binding(topology.hwloc.get(), decided);
    if (memory_error) {
      warn_user_about_binding(binding, task_name + ": " + *memory_error + "; its cpus are bound (" +
                                           decided.cpus.list() + "), its memory is as Slurm left it");
    } else if (!decided.bind && binding.asked_by_job) {
      warn_user_about_binding(binding, task_name + ": " + decided.reason);
    }
    return applied_binding_text(decided, memory_error);
  } catch (const std::exception& error) {
    warn_user_about_binding(binding, task_name + ": " + error.what() + "; it runs where Slurm put it");
    return std::string("not bound: ") + error.what();
  }
}

}  // namespace

void prepare_step_binding(spank_t spank, const PluginConfig& config, const BindSettings& settings, bool asked_by_job,
                          const EnvLookup& environment, StepBinding& binding) {
  binding.settings = settings;
  binding.asked_by_job = asked_by_job;
  if (settings.policy == BindPolicy::none) return;
  binding.warned_once = make_warned_once_flag(spank);
  binding.step_gpus = environment("SLURM_STEP_GPUS");
  binding.local_task_count = spank_item_u32(spank, S_JOB_LOCAL_TASK_COUNT, "S_JOB_LOCAL_TASK_COUNT");
  load_topology(spank, config, binding);
}

void bind_task(spank_t spank, const StepBinding& binding, const TaskPlacement& placement, unsigned share_index,
               const EnvLookup& environment) {
  const BindSettings& settings = binding.settings;
  if (settings.policy == BindPolicy::none && !settings.verbose) return;
  const std::string task_name =
      step_name(spank) + " task " + std::to_string(placement.global_rank) + " on " + log_printable(placement.host);
  std::string outcome;
  if (settings.policy == BindPolicy::none) {
    outcome = "kept Slurm's allocation: --ml-bind=none";
  } else if (!binding.topology) {
    // The user was told once per node when the topology could not be loaded.
    outcome = "kept Slurm's allocation: no topology (" + binding.topology_error.value_or("?") + ")";
  } else {
    outcome = bind_with_topology(binding, task_name, share_index, environment);
  }
  log_info("bind: " + task_name + ": " + outcome);
  if (settings.verbose) tell_user("bind: " + task_name + ": " + outcome);
}

}  // namespace mljob::plugin
