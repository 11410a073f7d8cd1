#include "slurmstepd_side.h"

#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <utility>
#include <vector>

extern "C" {
#include <slurm/slurm.h>
}

#include "log_text.h"
#include "options.h"
#include "sagemaker_env.h"
#include "slurm_step.h"
#include "spank_access.h"
#include "spank_log.h"
#include "spank_options.h"

namespace mljob::plugin {
namespace {

// How much of a variable's value log=debug shows: enough for the TF_CONFIG of a few dozen
// tasks, within one log line.
constexpr std::size_t kMaxDebugValueBytes = 2048;

void log_variable_set(unsigned global_rank, const std::string& name, const std::string& value) {
  log_debug("task " + std::to_string(global_rank) + ": " + name + "=" + log_quoted(value, kMaxDebugValueBytes));
}

// Steps that never run training: the batch script, the extern step (pam_slurm_adopt)
// and the interactive step of salloc.
bool is_training_candidate(std::uint32_t step_id) {
  return step_id != SLURM_BATCH_SCRIPT && step_id != SLURM_EXTERN_CONT && step_id != SLURM_INTERACTIVE_STEP;
}

std::string component_list(const std::vector<unsigned>& components) {
  std::string text;
  for (unsigned c : components) text += (text.empty() ? "" : ", ") + std::to_string(c);
  return text;
}

// The number of CPUs this process may run on (sched_getaffinity); 0 when unknown.
unsigned affinity_cpu_count() {
  for (int cpus = 1024; cpus <= 65536; cpus *= 4) {
    cpu_set_t* set = CPU_ALLOC(cpus);
    if (!set) return 0;
    const std::size_t size = CPU_ALLOC_SIZE(cpus);
    const int result = sched_getaffinity(0, size, set);
    const int count = result == 0 ? CPU_COUNT_S(size, set) : 0;
    const int error = errno;
    CPU_FREE(set);
    if (result == 0) return static_cast<unsigned>(count);
    if (error != EINVAL) return 0;  // EINVAL: the mask is larger than `cpus`
  }
  return 0;
}

// The working directory of the task (slurmstepd has already changed into the step's).
std::string working_directory() {
  for (std::size_t size = 4096; size <= 65536; size *= 4) {
    std::vector<char> buffer(size, '\0');
    if (getcwd(buffer.data(), buffer.size())) return std::string(buffer.data());
    if (errno != ERANGE) {
      throw std::runtime_error(std::string("getcwd failed: ") + std::strerror(errno));
    }
  }
  throw std::runtime_error("getcwd failed: the working directory is longer than 65536 bytes");
}

// Warnings about the job's settings are the same on every node: said by the node that
// runs global rank 0 (block distribution, checked before), so the user reads them once.
void warn_about_settings_once(spank_t spank, const StepPlan& plan, unsigned component,
                              std::uint32_t node_in_component) {
  if (!plan.sagemaker || component != 0 || node_in_component != 0) return;
  for (const std::string& warning : plan.sagemaker->warnings) {
    warn_user(step_name(spank) + ": " + warning);
  }
}

// prepare_step's work; returns normally, `step` untouched, when the step is not ours.
void plan_step(spank_t spank, const PluginConfig& config, StepState& step) {
  const std::uint32_t step_id = spank_item_u32(spank, S_JOB_STEPID, "S_JOB_STEPID");
  if (!is_training_candidate(step_id)) return;

  const EnvLookup environment = spank_environment(spank);
  std::optional<JobSettings> settings = resolve_job_settings(options_of_step(spank), environment);
  if (!settings) return;  // neither --ml-roles nor MLJOB_ROLES: the job did not opt in

  StepShape shape = step_shape_from_environment(environment);
  if (const std::vector<unsigned> idle = shape.idle_components(); !idle.empty()) {
    // Said to the user too, so that nobody wonders why a step has no TF_CONFIG.
    tell_user(step_name(spank) + " runs no task in het component(s) " + component_list(idle) +
              ": a helper step, started without ML variables");
    return;
  }
  const unsigned component = component_of_step(environment, shape, spank_item_u32(spank, S_JOB_ID, "S_JOB_ID"));
  const std::uint32_t node_in_component = spank_item_u32(spank, S_JOB_NODEID, "S_JOB_NODEID");
  JobLayout layout(std::move(shape.components));
  verify_node_placement(layout, ObservedNode{
                                    .component = component,
                                    .node_in_component = node_in_component,
                                    .ranks_in_component = spank_local_task_ranks(spank),
                                });
  const std::uint32_t job_id = job_id_from_environment(environment);
  const std::string roles_text = settings->roles_text;
  const BindSettings bind = resolve_bind(settings->bind, config.bind);
  const bool bind_asked = settings->bind && settings->bind->policy.has_value();
  StepPlan& plan = step.plan.emplace(make_step_plan(std::move(*settings), config, std::move(layout), job_id));
  if (plan.settings.families.sagemaker) {
    add_sagemaker_job(plan, environment, spank_environment_entries(spank));
  }
  warn_about_settings_once(spank, plan, component, node_in_component);
  prepare_step_binding(spank, config, bind, bind_asked, environment, step.binding);
  log_info(step_name(spank) + ": roles " + log_printable(roles_text) + ", " +
           std::to_string(plan.layout.total_tasks()) + " tasks in " + std::to_string(plan.layout.component_count()) +
           " component(s), cluster " + plan.cluster_text);
}

// The SM_* variables of one task: its GPUs (CUDA_VISIBLE_DEVICES, set by Slurm's GRES
// plugin before task_init), its CPUs and its working directory.
void set_sagemaker_variables(spank_t spank, const SageMakerJob& job, const TaskPlacement& placement,
                             const EnvLookup& environment) {
  const CpuCount cpus = cpus_of_task(environment("SLURM_CPUS_PER_TASK"), affinity_cpu_count());
  if (cpus.warning) {
    warn_user("task " + std::to_string(placement.global_rank) + ": " + *cpus.warning);
  }
  SageMakerTask task{
      .current_host = placement.host,
      .num_gpus = count_visible_gpus(environment("CUDA_VISIBLE_DEVICES")),
      .num_cpus = cpus.count,
      .working_directory = std::nullopt,
  };
  if (needs_working_directory(job)) task.working_directory = working_directory();
  for (const auto& [name, value] : sagemaker_variables(job, task)) {
    spank_set_task_variable(spank, name, value);
    log_variable_set(placement.global_rank, name, value);
  }
}

// start_task's work for one task of a planned step.
void set_task_variables(spank_t spank, const StepState& step) {
  const StepPlan& plan = *step.plan;
  const EnvLookup environment = spank_environment(spank);
  const auto global_rank = number_from_environment(environment, "SLURM_PROCID");
  if (!global_rank) throw std::invalid_argument("SLURM_PROCID is not set in the task");
  const TaskPlacement& placement = plan.layout.task(*global_rank);

  const auto node_name = environment("SLURMD_NODENAME");
  if (!node_name) throw std::invalid_argument("SLURMD_NODENAME is not set in the task");
  verify_task_placement(placement, ObservedTask{
                                       .node_name = *node_name,
                                       .local_id = static_cast<unsigned>(spank_task_local_id(spank)),
                                       .rank_in_component = spank_item_u32(spank, S_TASK_GLOBAL_ID, "S_TASK_GLOBAL_ID"),
                                   });

  const TaskEnvironment variables = task_environment(plan, *global_rank);
  for (const auto& [name, value] : variables.set) {
    spank_set_task_variable(spank, name, value);
    log_variable_set(*global_rank, name, value);
  }
  for (const std::string& name : variables.unset) spank_unset_task_variable(spank, name);
  // Bound first, so that SM_NUM_CPUS (without -c) counts the CPUs the task runs on.
  bind_task(spank, step.binding, placement, plan.local_share_index.at(*global_rank), environment);
  if (plan.sagemaker) set_sagemaker_variables(spank, *plan.sagemaker, placement, environment);
}

// The step's name for a message about a failure, which may be that Slurm cannot say it.
std::string name_of_step_or_placeholder(spank_t spank) {
  try {
    return step_name(spank);
  } catch (const std::exception&) {
    return "this step";
  }
}

void refuse_step(spank_t spank, StepState& step, std::string_view reason) noexcept {
  step.plan.reset();
  step.refused = true;
  try {
    log_error(name_of_step_or_placeholder(spank) + ": " + std::string(reason));
  } catch (...) {
    log_error(reason);
  }
}

void refuse_task(spank_t spank) {
  const auto rank = number_from_environment(spank_environment(spank), "SLURM_PROCID");
  log_error("task " + (rank ? std::to_string(*rank) : std::string("?")) +
            " not started: the step was refused (see the error above)");
}

}  // namespace

void prepare_step(spank_t spank, const PluginConfig& config, StepState& step) noexcept {
  try {
    plan_step(spank, config, step);
  } catch (const std::exception& error) {
    refuse_step(spank, step, error.what());
  } catch (...) {
    refuse_step(spank, step, "unexpected error");
  }
}

bool start_task(spank_t spank, const StepState& step) {
  if (step.refused) {
    refuse_task(spank);
    return false;
  }
  if (!step.plan) return true;
  try {
    set_task_variables(spank, step);
  } catch (const std::exception& error) {
    throw std::runtime_error(step_name(spank) + ": " + error.what());
  }
  return true;
}

}  // namespace mljob::plugin
