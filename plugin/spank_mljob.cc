// spank_mljob.so: the SPANK entry points. Slurm's C code calls these from sbatch, salloc,
// srun and slurmstepd; everything they decide is in the pure C++ logic beside this file.
//
// Rules for this file, since it runs inside slurmd/slurmstepd as root:
//   - no C++ exception crosses into Slurm: every entry point and callback catches all;
//   - every spank_* return code is checked (spank_access.h);
//   - every failure is reported with slurm_error (the user sees it in the step's or the
//     submission's output) and a non-zero return, never silently;
//   - every message goes to Slurm through log_line (one line, at most 4096 bytes), and the
//     values in it that come from the job, its user or its environment through log_quoted
//     or log_printable (log_text.h): they could hold newlines or be a megabyte long;
//   - no file is opened but the hwloc topology file the administrator names in
//     plugstack.conf (read as the job's user), nothing runs without bound (see the limits
//     in the logic).
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

extern "C" {
#include <slurm/slurm.h>
#include <slurm/spank.h>
}

#include "binding.h"
#include "log_text.h"
#include "node_topology.h"
#include "options.h"
#include "plugin_config.h"
#include "shared_flag.h"
#include "slurm_step.h"
#include "spank_access.h"
#include "step_plan.h"
#include "task_binding.h"

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

// Set by slurm_spank_init from plugstack.conf; read by the later callbacks of the same
// process (each slurmstepd, srun or sbatch loads the plugin for itself).
PluginConfig g_config;

// What user_init decided for this step; task_init (in each forked task) reads it.
// Empty when the job did not opt in or the step is not a training step.
std::optional<StepPlan> g_step_plan;

// Why user_init refused the step. The refusal is carried out by task_init, which fails
// every task: Slurm 22.05's srun reports a user_init failure as "launch failed" but still
// exits 0 (seen on the local cluster), so a batch script would carry on as if training
// had run; a task that fails in task_init exits 1, and srun with it.
std::optional<std::string> g_step_refusal;

// The node's topology, loaded once per step by user_init when the step binds its tasks
// (tasks are forked from slurmstepd after user_init, so each task reads this copy).
struct StepTopology {
  HwlocTopology hwloc;
  NodeTopology node;
};
std::optional<StepTopology> g_topology;
// Why the topology could not be loaded, for each task's verbose line.
std::optional<std::string> g_topology_error;
// The step's binding settings and what binding needs to know of the step on this node.
BindSettings g_bind;
std::optional<std::string> g_step_gpus;  // SLURM_STEP_GPUS of the step on this node
unsigned g_local_task_count = 1;         // the step's tasks on this node (this component)
// The CPUs the step's tasks start with on this node (see BindingRequest::step_cpus).
IndexSet g_step_cpus;
// Whether the job itself named a binding policy (--ml-bind, MLJOB_BIND): then a task that
// keeps Slurm's allocation tells the user why, not only slurmd's log.
bool g_bind_asked = false;
// Set by the first task of the node that tells the user about its binding (see
// warn_user_about_binding); made in user_init, before slurmstepd forks the tasks.
std::optional<SharedFlag> g_binding_warned;

// Option values as the option callbacks saw them in sbatch/salloc/srun, so that
// init_post_opt can check MLJOB_* variables only for options not given.
OptionValues g_command_line;

// The plugin's only calls into Slurm's logging. Each message goes out as one bounded line
// (log_line). They are called from catch blocks, so they take a view (nothing allocated at
// the call) and never throw: a message that cannot be formatted (no memory) is replaced by
// a fixed one rather than let an exception out of the handler and into Slurm's C code.
void log_to(void (*log)(const char* format, ...), std::string_view message) noexcept {
  try {
    log("mljob: %s", log_line(message).c_str());
  } catch (...) {
    log("mljob: %s", "(a message could not be formatted: out of memory)");
  }
}

void log_error(std::string_view message) noexcept { log_to(slurm_error, message); }

void log_info(std::string_view message) noexcept {
  if (g_config.log != LogLevel::error) log_to(slurm_info, message);
}

// Debug messages go out at info level when log=debug, so they reach slurmd's log
// without raising slurmd's own debug level.
void log_debug(std::string_view message) noexcept {
  if (g_config.log == LogLevel::debug) log_to(slurm_info, message);
}

// A message the user sees in the step's output (slurm_spank_log: error level, without
// "error:").
void tell_user(std::string_view message) noexcept { log_to(slurm_spank_log, message); }

// How much of a variable's value log=debug shows: enough for the TF_CONFIG of a few dozen
// tasks, within one log line.
constexpr std::size_t kMaxDebugValueBytes = 2048;

void log_variable_set(unsigned global_rank, const std::string& name, const std::string& value) {
  log_debug("task " + std::to_string(global_rank) + ": " + name + "=" +
            log_quoted(value, kMaxDebugValueBytes));
}

// --- options ------------------------------------------------------------------------

enum OptionId : int { kRolesOption = 1, kPortOption, kEnvOption, kChiefOption, kBindOption };

int on_option(int option_id, const char* argument, int remote);

// Slurm's spank_option has non-const char* fields but only ever copies the strings.
char* text(const char* literal) { return const_cast<char*>(literal); }

spank_option g_options[] = {
    {text("ml-roles"), text("LIST"),
     text("[mljob] roles of the het components in order, e.g. master,worker,ps; split a "
          "component by rank with +, e.g. master:1+worker,ps (roles: master, chief, worker, "
          "ps, evaluator)"),
     1, kRolesOption, on_option},
    {text("ml-port"), text("BASE"),
     text("[mljob] base of the TCP ports given to the tasks (1024-65000)"), 1, kPortOption,
     on_option},
    {text("ml-env"), text("LIST"),
     text("[mljob] variable families to set, comma separated: tf (TF_CONFIG), torch "
          "(MASTER_ADDR, RANK, ...), sagemaker (SM_HOSTS, SM_TRAINING_ENV, ...) or all "
          "(default)"),
     1, kEnvOption, on_option},
    {text("ml-chief"), nullptr,
     text("[mljob] call the master \"chief\" in TF_CONFIG (AI Platform's useChiefInTfConfig)"),
     0, kChiefOption, on_option},
    {text("ml-bind"), text("POLICY"),
     text("[mljob] bind each task's CPUs and memory: closest (to its GPUs, the default), "
          "numa, socket or none; add verbose (e.g. numa,verbose) to print what each task got"),
     1, kBindOption, on_option},
};

spank_option& option_by_id(OptionId id) { return g_options[id - kRolesOption]; }

// Checks one option's value; throws std::invalid_argument with the reason.
void check_option(int option_id, const std::string& value) {
  switch (option_id) {
    case kRolesOption:
      parse_role_map(value);
      return;
    case kPortOption:
      parse_port_base(value, "--ml-port");
      return;
    case kEnvOption:
      parse_env_families(value, "--ml-env");
      return;
    case kBindOption:
      parse_bind_request(value, "--ml-bind");
      return;
    default:
      return;
  }
}

void remember_option(int option_id, const std::string& value) {
  switch (option_id) {
    case kRolesOption: g_command_line.roles = value; return;
    case kPortOption: g_command_line.port = value; return;
    case kEnvOption: g_command_line.env = value; return;
    case kChiefOption: g_command_line.chief = true; return;
    case kBindOption: g_command_line.bind = value; return;
    default: return;
  }
}

// In sbatch/salloc/srun (remote == 0) a bad value is refused here, which makes the
// command fail before anything is submitted. In slurmstepd (remote != 0) Slurm would only
// log a refusal and drop the option, silently: there the value is accepted here and
// checked in user_init, where a failure fails the step with our message.
int on_option(int option_id, const char* argument, int remote) {
  try {
    const std::string value = argument ? argument : "";
    if (remote) return kSuccess;
    check_option(option_id, value);
    remember_option(option_id, value);
    return kSuccess;
  } catch (const std::exception& error) {
    log_error(error.what());
  } catch (...) {
    log_error("unexpected error while checking an option");
  }
  return kFailure;
}

int register_options(spank_t spank) {
  for (spank_option& option : g_options) {
    const spank_err_t error = spank_option_register(spank, &option);
    if (error != ESPANK_SUCCESS) {
      log_error(std::string("cannot register --") + option.name + ": " +
                spank_strerror(error));
      return kFailure;
    }
  }
  return kSuccess;
}

OptionValues options_of_step(spank_t spank) {
  OptionValues values;
  values.roles = spank_option_value(spank, option_by_id(kRolesOption));
  values.port = spank_option_value(spank, option_by_id(kPortOption));
  values.env = spank_option_value(spank, option_by_id(kEnvOption));
  values.chief = spank_option_value(spank, option_by_id(kChiefOption)).has_value();
  values.bind = spank_option_value(spank, option_by_id(kBindOption));
  return values;
}

// --- helpers for the entry points -----------------------------------------------------

std::vector<std::string_view> arguments_of(int argc, char** argv) {
  std::vector<std::string_view> arguments;
  for (int i = 0; i < argc; ++i) arguments.emplace_back(argv[i] ? argv[i] : "");
  return arguments;
}

// Steps that never run training: the batch script, the extern step (pam_slurm_adopt)
// and the interactive step of salloc.
bool is_training_candidate(std::uint32_t step_id) {
  return step_id != SLURM_BATCH_SCRIPT && step_id != SLURM_EXTERN_CONT &&
         step_id != SLURM_INTERACTIVE_STEP;
}

std::optional<std::string> process_environment(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (!value) return std::nullopt;
  return std::string(value);
}

// "job 41 step 0", or for a het component "job 41 step 0 (het component job 42)": the
// user knows the het job by its leader's id (SLURM_JOB_ID), Slurm's item S_JOB_ID is the
// component's own.
std::string step_name(spank_t spank) {
  const std::uint32_t component_job_id = spank_item_u32(spank, S_JOB_ID, "S_JOB_ID");
  const std::uint32_t step_id = spank_item_u32(spank, S_JOB_STEPID, "S_JOB_STEPID");
  const auto leader_job_id = number_from_environment(spank_environment(spank), "SLURM_JOB_ID");
  const std::uint32_t job_id = leader_job_id.value_or(component_job_id);
  std::string name = "job " + std::to_string(job_id) + " step " + std::to_string(step_id);
  if (job_id != component_job_id) {
    name += " (het component job " + std::to_string(component_job_id) + ")";
  }
  return name;
}

std::string component_list(const std::vector<unsigned>& components) {
  std::string text;
  for (unsigned c : components) text += (text.empty() ? "" : ", ") + std::to_string(c);
  return text;
}

// A warning the user sees in the step's output, without failing anything.
void warn_user(const std::string& message) { tell_user("warning: " + message); }

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
void make_binding_warned_flag(spank_t spank) {
  try {
    g_binding_warned.emplace();
  } catch (const std::exception& error) {
    log_info(step_name(spank) + ": binding warnings come from every task: " + error.what());
  }
}

// Loads the node's topology for a step that binds (once per step and node). A failure is
// said to the user once per node and leaves every task on Slurm's allocation.
void load_step_topology(spank_t spank, const EnvLookup& environment) {
  g_topology.reset();
  g_topology_error.reset();
  g_step_cpus = IndexSet();
  g_binding_warned.reset();
  if (g_bind.policy == BindPolicy::none) return;
  make_binding_warned_flag(spank);
  g_step_gpus = environment("SLURM_STEP_GPUS");
  g_local_task_count = spank_item_u32(spank, S_JOB_LOCAL_TASK_COUNT, "S_JOB_LOCAL_TASK_COUNT");
  // Without GPUs on this node, no task needs PCI locality: the cheaper discovery will do.
  const bool gpus_here = g_step_gpus && !g_step_gpus->empty();
  try {
    HwlocTopology hwloc = load_hwloc_topology(g_config.topology_xml, gpus_here);
    NodeTopology node = read_node_topology(hwloc.get());
    g_step_cpus = step_cpus(spank, hwloc.get());
    g_topology = StepTopology{.hwloc = std::move(hwloc), .node = std::move(node)};
  } catch (const std::exception& error) {
    g_topology_error = error.what();
    warn_user(step_name(spank) + ": tasks keep Slurm's CPU allocation: " + error.what());
  }
}

// user_init's work; returns normally when the step is not ours to touch.
void plan_step(spank_t spank) {
  g_step_plan.reset();
  g_step_refusal.reset();
  const std::uint32_t step_id = spank_item_u32(spank, S_JOB_STEPID, "S_JOB_STEPID");
  if (!is_training_candidate(step_id)) return;

  const EnvLookup environment = spank_environment(spank);
  std::optional<JobSettings> settings = resolve_job_settings(options_of_step(spank), environment);
  if (!settings) return;  // neither --ml-roles nor MLJOB_ROLES: the job did not opt in

  StepShape shape = step_shape_from_environment(environment);
  if (const std::vector<unsigned> idle = shape.idle_components(); !idle.empty()) {
    // Said to the user too (slurm_spank_log: error level without "error:"), so that
    // nobody wonders why a step has no TF_CONFIG.
    tell_user(step_name(spank) + " runs no task in het component(s) " + component_list(idle) +
              ": a helper step, started without ML variables");
    return;
  }
  const unsigned component =
      component_of_step(environment, shape, spank_item_u32(spank, S_JOB_ID, "S_JOB_ID"));
  const std::uint32_t node_in_component = spank_item_u32(spank, S_JOB_NODEID, "S_JOB_NODEID");
  JobLayout layout(std::move(shape.components));
  verify_node_placement(layout, ObservedNode{
                                    .component = component,
                                    .node_in_component = node_in_component,
                                    .ranks_in_component = spank_local_task_ranks(spank),
                                });
  const std::uint32_t job_id = job_id_from_environment(environment);
  const std::string roles_text = settings->roles_text;
  g_bind = resolve_bind(settings->bind, g_config.bind);
  g_bind_asked = settings->bind && settings->bind->policy.has_value();
  g_step_plan = make_step_plan(std::move(*settings), g_config, std::move(layout), job_id);
  if (g_step_plan->settings.families.sagemaker) {
    add_sagemaker_job(*g_step_plan, environment, spank_environment_entries(spank));
  }
  // Warnings about the job's settings are the same on every node: said by the node that
  // runs global rank 0 (block distribution, checked above), so the user reads them once.
  if (g_step_plan->sagemaker && component == 0 && node_in_component == 0) {
    for (const std::string& warning : g_step_plan->sagemaker->warnings) {
      warn_user(step_name(spank) + ": " + warning);
    }
  }
  load_step_topology(spank, environment);
  log_info(step_name(spank) + ": roles " + log_printable(roles_text) + ", " +
           std::to_string(g_step_plan->layout.total_tasks()) + " tasks in " +
           std::to_string(g_step_plan->layout.component_count()) + " component(s), cluster " +
           g_step_plan->cluster_text);
}

// The SM_* variables of one task: its GPUs (CUDA_VISIBLE_DEVICES, set by Slurm's GRES
// plugin before task_init), its CPUs and its working directory.
void set_sagemaker_variables(spank_t spank, const SageMakerJob& job,
                             const TaskPlacement& placement, const EnvLookup& environment) {
  const CpuCount cpus =
      cpus_of_task(environment("SLURM_CPUS_PER_TASK"), affinity_cpu_count());
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

// A problem with one task's binding, told to the user once per node: the first task of
// the node that has one says it; the others' are in their verbose lines and slurmd's log.
// Without the shared flag (it could not be mapped) every such task says it.
void warn_user_about_binding(const std::string& message) {
  if (!g_binding_warned) {
    warn_user(message);
  } else if (g_binding_warned->test_and_set()) {
    warn_user(message + " (said once per node: --ml-bind=verbose shows every task's binding)");
  }
}

// Decides and applies one task's binding; returns what it got, for its verbose line.
std::string bind_with_topology(const std::string& task_name, unsigned share_index,
                               const EnvLookup& environment) {
  hwloc_topology_t topology = g_topology->hwloc.get();
  BindingRequest request;
  request.policy = g_bind.policy;
  request.allowed_nodes = g_topology->node.nodes;
  request.step_cpus = g_step_cpus;
  request.task_gpus = environment("SLURM_STEP_GPUS");
  request.step_gpus = g_step_gpus;
  request.local_index = share_index;  // LOCAL_RANK for torch tasks (StepPlan)
  request.local_count = g_local_task_count;
  try {
    request.allowed_cpus = current_cpu_binding(topology);
    const Binding binding = decide_binding(g_topology->node, request);
    const std::optional<std::string> memory_error = apply_binding(topology, binding);
    if (memory_error) {
      warn_user_about_binding(task_name + ": " + *memory_error + "; its cpus are bound (" +
                              binding.cpus.list() + "), its memory is as Slurm left it");
    } else if (!binding.bind && g_bind_asked) {
      warn_user_about_binding(task_name + ": " + binding.reason);
    }
    return applied_binding_text(binding, memory_error);
  } catch (const std::exception& error) {
    warn_user_about_binding(task_name + ": " + error.what() + "; it runs where Slurm put it");
    return std::string("not bound: ") + error.what();
  }
}

// Binds one task's CPUs and memory (--ml-bind), saying what and why when verbose. A
// binding that cannot be applied is a warning: the task runs, on Slurm's allocation.
void bind_task(spank_t spank, const TaskPlacement& placement, unsigned share_index,
               const EnvLookup& environment) {
  if (g_bind.policy == BindPolicy::none && !g_bind.verbose) return;
  const std::string task_name = step_name(spank) + " task " +
                                std::to_string(placement.global_rank) + " on " +
                                log_printable(placement.host);
  std::string outcome;
  if (g_bind.policy == BindPolicy::none) {
    outcome = "kept Slurm's allocation: --ml-bind=none";
  } else if (!g_topology) {
    // The user was told once per node when the topology could not be loaded.
    outcome = "kept Slurm's allocation: no topology (" + g_topology_error.value_or("?") + ")";
  } else {
    outcome = bind_with_topology(task_name, share_index, environment);
  }
  log_info("bind: " + task_name + ": " + outcome);
  if (g_bind.verbose) tell_user("bind: " + task_name + ": " + outcome);
}

// task_init's work for one task.
void set_task_variables(spank_t spank) {
  const StepPlan& plan = *g_step_plan;
  const EnvLookup environment = spank_environment(spank);
  const auto global_rank = number_from_environment(environment, "SLURM_PROCID");
  if (!global_rank) throw std::invalid_argument("SLURM_PROCID is not set in the task");
  const TaskPlacement& placement = plan.layout.task(*global_rank);

  const auto node_name = environment("SLURMD_NODENAME");
  if (!node_name) throw std::invalid_argument("SLURMD_NODENAME is not set in the task");
  verify_task_placement(
      placement, ObservedTask{
                     .node_name = *node_name,
                     .local_id = static_cast<unsigned>(spank_task_local_id(spank)),
                     .rank_in_component =
                         spank_item_u32(spank, S_TASK_GLOBAL_ID, "S_TASK_GLOBAL_ID"),
                 });

  const TaskEnvironment variables = task_environment(plan, *global_rank);
  for (const auto& [name, value] : variables.set) {
    spank_set_task_variable(spank, name, value);
    log_variable_set(*global_rank, name, value);
  }
  for (const std::string& name : variables.unset) spank_unset_task_variable(spank, name);
  // Bound first, so that SM_NUM_CPUS (without -c) counts the CPUs the task runs on.
  bind_task(spank, placement, plan.local_share_index.at(*global_rank), environment);
  if (plan.sagemaker) set_sagemaker_variables(spank, *plan.sagemaker, placement, environment);
}

// Runs `work`, turning any exception into a logged error and kFailure.
template <typename Work>
int guarded(const char* entry_point, Work work) {
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

}  // namespace
}  // namespace mljob::plugin

using namespace mljob::plugin;

extern "C" {

// Every context: read plugstack.conf's arguments and register the options (sbatch and
// salloc only see options registered here, not a static spank_options table).
[[gnu::visibility("default")]] int slurm_spank_init(spank_t spank, int argc, char** argv) {
  return guarded("slurm_spank_init", [&] {
    const std::vector<std::string_view> arguments = arguments_of(argc, argv);
    g_config = parse_plugin_arguments(arguments);
    const spank_context_t context = spank_context();
    if (context == S_CTX_LOCAL || context == S_CTX_REMOTE || context == S_CTX_ALLOCATOR) {
      return register_options(spank);
    }
    return kSuccess;
  });
}

// sbatch, salloc, srun: options were checked one by one in on_option; here the MLJOB_*
// variables of the submitting environment are checked too, for the options not given,
// so that a bad MLJOB_ROLES fails the submission rather than the job.
[[gnu::visibility("default")]] int slurm_spank_init_post_opt(spank_t, int, char**) {
  return guarded("slurm_spank_init_post_opt", [] {
    const spank_context_t context = spank_context();
    if (context == S_CTX_LOCAL || context == S_CTX_ALLOCATOR) {
      resolve_job_settings(g_command_line, process_environment);
    }
    return kSuccess;
  });
}

// slurmstepd, once per step and node, as the user: compute the whole layout once.
// A step that cannot be laid out is reported here, once per node, and refused task by
// task in task_init (see g_step_refusal).
[[gnu::visibility("default")]] int slurm_spank_user_init(spank_t spank, int, char**) {
  return guarded("slurm_spank_user_init", [&] {
    if (spank_context() != S_CTX_REMOTE) return kSuccess;
    try {
      plan_step(spank);
    } catch (const std::exception& error) {
      g_step_plan.reset();
      g_step_refusal = step_name(spank) + ": " + error.what();
      log_error(*g_step_refusal);
    }
    return kSuccess;
  });
}

// slurmstepd, in each forked task before exec: set the task's variables.
[[gnu::visibility("default")]] int slurm_spank_task_init(spank_t spank, int, char**) {
  return guarded("slurm_spank_task_init", [&] {
    if (spank_context() != S_CTX_REMOTE) return kSuccess;
    if (g_step_refusal) {
      const auto rank = number_from_environment(spank_environment(spank), "SLURM_PROCID");
      log_error("task " + (rank ? std::to_string(*rank) : std::string("?")) +
                " not started: the step was refused (see the error above)");
      return kFailure;
    }
    if (!g_step_plan) return kSuccess;
    try {
      set_task_variables(spank);
    } catch (const std::exception& error) {
      throw std::runtime_error(step_name(spank) + ": " + error.what());
    }
    return kSuccess;
  });
}

}  // extern "C"
