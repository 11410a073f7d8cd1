// Applying a binding decision (binding.h) to the calling task: the only code that changes
// a task's CPU affinity and memory policy. Module only (spank_mljob.so), used in
// slurmstepd's forked task before exec; both settings are inherited by the program.
#pragma once

#include <optional>
#include <string>

#include <hwloc.h>

#include "binding.h"
#include "cpu_set.h"

namespace mljob::plugin {

// The calling thread's CPU affinity (hwloc_get_cpubind), i.e. what Slurm's task plugin
// (task/affinity, task/cgroup) left the task. Throws std::runtime_error with errno's text.
IndexSet current_cpu_binding(hwloc_topology_t topology);

// Binds the calling thread (the task, single-threaded after fork) to binding.cpus and,
// when binding.nodes is not empty, its memory to those NUMA nodes (HWLOC_MEMBIND_BIND).
// Throws std::runtime_error naming the call, the set and errno's text when the CPU binding
// fails (then nothing was changed). A memory binding that fails after it is returned, as
// such a text: the CPUs stay bound. nullopt: all that was asked is done.
std::optional<std::string> apply_binding(hwloc_topology_t topology, const Binding& binding);

}  // namespace mljob::plugin
