// All the state of the plugin in one process, in one place (as NVIDIA pyxis keeps its
// `struct plugin_context`). Each process that loads spank_mljob.so (sbatch, salloc, srun,
// each slurmstepd) has its own copy: slurm_spank_init fills the configuration, the client
// side records the options it checked, the slurmstepd side the step it decided, and
// slurm_spank_exit empties it all through the one reset below. Module only.
#pragma once

#include <optional>

#include "options.h"
#include "plugin_config.h"
#include "slurmstepd_side.h"

namespace mljob::plugin {

struct PluginContext {
  // plugstack.conf's arguments, from slurm_spank_init on; read by every later callback.
  PluginConfig config;
  // sbatch, salloc, srun: the options as the option callbacks saw them, so that
  // init_post_opt checks MLJOB_* variables only for the options not given.
  OptionValues command_line;
  // slurmstepd: what user_init decided for the step on this node. Empty before user_init
  // (task_init then has nothing to do) and when user_init could not even make it.
  std::optional<StepState> step;
  // user_init could not make `step` (no memory): every task is refused, rather than run
  // without the variables its job asked for.
  bool step_unprepared = false;
};

// The process's one context. The SPANK callbacks that carry no user data (the option
// callback) and the logging (log=) reach it through here; everything else is handed its
// part by the entry points in spank_mljob.cc.
PluginContext& plugin_context() noexcept;

// Back to the state the plugin was loaded with: the topology freed, the shared page
// unmapped, the plan and options forgotten. The one cleanup path (slurm_spank_init before
// it starts, slurm_spank_exit at the end).
void reset_plugin_context() noexcept;

}  // namespace mljob::plugin
