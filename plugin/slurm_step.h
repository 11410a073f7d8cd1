// Reading a step's shape from the variables Slurm puts into its environment.
//
// What a task of `srun --het-group=0-N` sees (Slurm 22.05, checked on the local cluster):
//   SLURM_HET_SIZE                      the job's number of het components
//   SLURM_JOB_NODELIST_HET_GROUP_n      component n's nodes (from the job allocation)
//   SLURM_JOB_ID_HET_GROUP_n            component n's own job id
//   SLURM_STEP_NODELIST                 the step's nodes, all components merged and sorted
//   SLURM_STEP_TASKS_PER_NODE           the step's task count on each of those nodes
//   SLURM_STEP_NUM_TASKS, SLURM_PROCID  the step's task count and the global rank
// No variable names a task's own component, and SLURM_TASKS_PER_NODE_HET_GROUP_n and
// SLURM_NTASKS_HET_GROUP_n describe the job's allocation, not the step (a step may run
// fewer tasks, e.g. a job submitted through slurmrestd). So the step's per-node counts are
// attributed to components through the components' node lists. When components share a
// node, srun leaves the merged lists unsorted, in component order, with the node once per
// component; the k-th mention of a node then belongs to the k-th component listing it.
//
// Ordinary step: SLURM_STEP_NODELIST and SLURM_STEP_TASKS_PER_NODE, falling back to the
// job's SLURM_JOB_NODELIST and SLURM_TASKS_PER_NODE.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "env_lookup.h"
#include "layout.h"

namespace mljob::plugin {

struct StepShape {
  // The step's tasks per node of each component, in component order; a component the
  // step does not run in has only zero counts.
  std::vector<ComponentNodes> components;
  bool heterogeneous = false;

  // Components that run no task of this step (`srun --het-group=1 ...` in a 3-component
  // job): such a step is a helper step, not the training step.
  std::vector<unsigned> idle_components() const;
};

// Throws std::invalid_argument naming the variable and its value when a variable is
// missing or malformed, or when the variables contradict each other.
StepShape step_shape_from_environment(const EnvLookup& environment);

// The job id all components share: SLURM_JOB_ID, which in a het job is the leader's id
// (unlike the spank item S_JOB_ID, which is the component's own job id). Throws
// std::invalid_argument when unset or not a number.
std::uint32_t job_id_from_environment(const EnvLookup& environment);

// Reads a whole number from `name`; nullopt when unset, std::invalid_argument when it is
// not a number from 0 to 2^32-1.
std::optional<std::uint32_t> number_from_environment(const EnvLookup& environment, const std::string& name);

// Which het component a slurmstepd serves: the n whose SLURM_JOB_ID_HET_GROUP_n equals
// the component's own job id (the spank item S_JOB_ID); 0 for an ordinary step. Throws
// std::invalid_argument when no group variable names that job id.
unsigned component_of_step(const EnvLookup& environment, const StepShape& shape, std::uint32_t component_job_id);

// What slurmstepd knows about its node before any task starts.
struct ObservedNode {
  unsigned component;
  unsigned node_in_component;                // the spank item S_JOB_NODEID
  std::vector<unsigned> ranks_in_component;  // S_JOB_LOCAL_TO_GLOBAL_ID of each local task
};

// Checks that Slurm starts on this node exactly the tasks block distribution puts there,
// so that a step launched with another distribution fails as a whole rather than task by
// task. Throws std::invalid_argument explaining the mismatch.
void verify_node_placement(const JobLayout& layout, const ObservedNode& observed);

// What a task learns about itself from Slurm, to check the layout against.
struct ObservedTask {
  std::string node_name;       // SLURMD_NODENAME
  unsigned local_id;           // SLURM_LOCALID: index among its component's tasks on the node
  unsigned rank_in_component;  // the spank item S_TASK_GLOBAL_ID: in a het step it counts
                               // within the component (SLURM_PROCID adds the offset)
};

// Checks, in the task itself, that Slurm put it where the layout says (block
// distribution, component derived from SLURM_PROCID). Throws std::invalid_argument
// explaining the mismatch otherwise.
void verify_task_placement(const TaskPlacement& expected, const ObservedTask& observed);

}  // namespace mljob::plugin
