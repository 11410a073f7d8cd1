// The plugin in slurmstepd: user_init decides the step once per node (its layout, its
// variables, its binding), and task_init, in each forked task before exec, sets the task's
// variables and binds it. Module only.
//
// A step that cannot be laid out is refused in two halves: user_init says why, once per
// node, and task_init fails every task. Slurm 22.05's srun reports a user_init failure as
// "launch failed" but still exits 0 (seen on the local cluster), so a batch script would
// carry on as if training had run; a task that fails in task_init exits 1, and srun with it.
#pragma once

#include <optional>
#include <string>

extern "C" {
#include <slurm/spank.h>
}

#include "plugin_config.h"
#include "step_binding.h"
#include "step_plan.h"

namespace mljob::plugin {

// What user_init decided for the step on this node; part of the plugin's context. Tasks
// are forked after user_init, so each reads this copy.
struct StepState {
  // Empty when the job did not opt in or the step is not a training step.
  std::optional<StepPlan> plan;
  // The step was refused; user_init logged why, and task_init fails every task. A flag,
  // not the reason, so that it is set even when there is no memory left to say why.
  bool refused = false;
  StepBinding binding;
};

// user_init: fills `step`. A step that cannot be laid out is logged and marked
// `step.refused`, not thrown: the refusal is carried out by start_task. Never throws.
void prepare_step(spank_t spank, const PluginConfig& config, StepState& step) noexcept;

// task_init: sets the calling task's variables and binds it. Returns false, the reason
// logged, when the step was refused; throws std::runtime_error naming the step when the
// task cannot be given its variables.
bool start_task(spank_t spank, const StepState& step);

}  // namespace mljob::plugin
