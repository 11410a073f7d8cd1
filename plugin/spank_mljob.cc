// spank_mljob.so: the SPANK entry points, and nothing else. Slurm's C code calls these from
// sbatch, salloc, srun and slurmstepd; each one picks its side (client_side.h in the client
// commands, slurmstepd_side.h in slurmstepd) and hands it its part of the plugin's one
// context (plugin_context.h).
//
// Rules for the module, since it runs inside slurmd/slurmstepd as root:
//   - no C++ exception crosses into Slurm: every entry point runs inside `guarded`, and the
//     option callback catches all itself;
//   - every spank_* return code is checked (spank_access.h);
//   - every failure is reported with slurm_error (the user sees it in the step's or the
//     submission's output) and a non-zero return, never silently;
//   - every message goes to Slurm through spank_log.h (one line, at most 4096 bytes), and
//     the values in it that come from the job, its user or its environment through
//     log_quoted or log_printable (log_text.h): they could hold newlines or be a megabyte long;
//   - no file is opened but the hwloc topology file the administrator names in
//     plugstack.conf (read as the job's user), nothing runs without bound (see the limits
//     in the logic).
#include <exception>
#include <string_view>
#include <vector>

extern "C" {
#include <slurm/slurm.h>
#include <slurm/spank.h>
}

#include "client_side.h"
#include "plugin_config.h"
#include "plugin_context.h"
#include "slurmstepd_side.h"
#include "spank_log.h"
#include "spank_options.h"

// The symbols Slurm's plugin loader looks up. SPANK_PLUGIN(mljob, 1) would define them,
// but in C++ a namespace-scope const has internal linkage, so the macro's definitions
// would be invisible to dlsym; these are the same definitions with external C linkage.
extern "C" {
[[gnu::visibility("default")]] extern const char plugin_name[] = "mljob";
[[gnu::visibility("default")]] extern const char plugin_type[] = "spank";
[[gnu::visibility("default")]] extern const unsigned int plugin_version = SLURM_VERSION_NUMBER;
[[gnu::visibility("default")]] extern const unsigned int spank_plugin_version = 1;
}

namespace mljob::plugin {
namespace {

constexpr int kSuccess = 0;
constexpr int kFailure = -1;

// Runs `work`, turning any exception into a logged error and kFailure: the one guard
// between the plugin's C++ and Slurm's C.
template <typename Work>
int guarded(const char* entry_point, Work work) noexcept {
  try {
    return work();
  } catch (const std::exception& error) {
    log_error(error.what());
  } catch (...) {
    // Formatted by Slurm, not with std::string: nothing here may throw.
    slurm_error("mljob: unexpected error in %s", entry_point);
  }
  return kFailure;
}

std::vector<std::string_view> arguments_of(int argc, char** argv) {
  std::vector<std::string_view> arguments;
  for (int i = 0; i < argc; ++i) arguments.emplace_back(argv[i] ? argv[i] : "");
  return arguments;
}

// The contexts that parse the options: the client commands, and slurmstepd, which must
// know them to read their values (spank_option_getopt).
bool uses_options(spank_context_t context) {
  return context == S_CTX_LOCAL || context == S_CTX_REMOTE || context == S_CTX_ALLOCATOR;
}

// sbatch and salloc (S_CTX_ALLOCATOR), srun (S_CTX_LOCAL).
bool is_client_command(spank_context_t context) {
  return context == S_CTX_LOCAL || context == S_CTX_ALLOCATOR;
}

bool is_slurmstepd(spank_context_t context) {
  return context == S_CTX_REMOTE;
}

}  // namespace
}  // namespace mljob::plugin

using namespace mljob::plugin;

extern "C" {

// Every context: a fresh context with plugstack.conf's arguments, and the options.
[[gnu::visibility("default")]] int slurm_spank_init(spank_t spank, int argc, char** argv) {
  return guarded("slurm_spank_init", [&] {
    reset_plugin_context();
    plugin_context().config = parse_plugin_arguments(arguments_of(argc, argv));
    if (uses_options(spank_context()) && !register_options(spank)) return kFailure;
    return kSuccess;
  });
}

// sbatch, salloc, srun, after the options: the MLJOB_* variables of the submitting shell.
[[gnu::visibility("default")]] int slurm_spank_init_post_opt(spank_t, int, char**) {
  return guarded("slurm_spank_init_post_opt", [] {
    if (is_client_command(spank_context())) check_submission(plugin_context().command_line);
    return kSuccess;
  });
}

// slurmstepd, once per step and node, as the user: decide the step (slurmstepd_side.h).
// A refused step still returns success here: task_init fails its tasks (see there why).
[[gnu::visibility("default")]] int slurm_spank_user_init(spank_t spank, int, char**) {
  return guarded("slurm_spank_user_init", [&] {
    if (!is_slurmstepd(spank_context())) return kSuccess;
    PluginContext& context = plugin_context();
    context.step_unprepared = true;  // until the step is made: a throw below leaves it so
    StepState& step = context.step.emplace();
    context.step_unprepared = false;
    prepare_step(spank, context.config, step);
    return kSuccess;
  });
}

// slurmstepd, in each forked task before exec: set the task's variables and bind it.
[[gnu::visibility("default")]] int slurm_spank_task_init(spank_t spank, int, char**) {
  return guarded("slurm_spank_task_init", [&] {
    if (!is_slurmstepd(spank_context())) return kSuccess;
    const PluginContext& context = plugin_context();
    if (context.step_unprepared) {
      // user_init failed before it could even record the step (its error is logged):
      // running the task without its variables would be a silent failure.
      log_error("task not started: the step could not be prepared (see the error above)");
      return kFailure;
    }
    if (!context.step) return kSuccess;  // no user_init in this process: nothing decided
    return start_task(spank, *context.step) ? kSuccess : kFailure;
  });
}

// Every context, as the process ends with the plugin still loaded: free the topology,
// unmap the shared page, forget the step. Nothing can fail here; it always succeeds.
[[gnu::visibility("default")]] int slurm_spank_exit(spank_t, int, char**) {
  reset_plugin_context();
  return kSuccess;
}

}  // extern "C"
