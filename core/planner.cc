#include "core/planner.h"

#include <algorithm>
#include <limits>
#include <map>
#include <stdexcept>

#include "base/durations.h"
#include "base/input_error.h"
#include "core/slurm_time.h"

namespace mljob {
namespace {

// One replica type of the job, resolved from the tier or from the CUSTOM fields.
struct Replica {
  std::string role;
  std::string field;  // where it came from, for messages
  std::string count_field;
  std::string machine_type;
  int count = 0;
  std::optional<tiers::AcceleratorRequest> accelerator;
};

// A count from the spec as the int Slurm's options carry: validation bounds them far below
// INT_MAX; this keeps a plan from ever wrapping one (4294967297 workers as 1) if it did not.
int as_count(std::int64_t count, const std::string& field) {
  if (count < 0 || count > std::numeric_limits<int>::max()) {
    throw InputError(field, std::to_string(count),
                     "must be between 0 and " + std::to_string(std::numeric_limits<int>::max()));
  }
  return static_cast<int>(count);
}

std::optional<tiers::AcceleratorRequest> from_config(const ReplicaConfig& config, const std::string& field) {
  if (!config.accelerator_config) return std::nullopt;
  return tiers::AcceleratorRequest{config.accelerator_config->type,
                                   as_count(config.accelerator_config->count, field + ".acceleratorConfig.count")};
}

std::vector<Replica> resolve_replicas(const TrainingInput& in, const tiers::TierCatalog& catalog) {
  if (in.scale_tier == "CUSTOM") {
    const std::string at = "trainingInput.";
    return {{"master", at + "masterType", at + "masterType", in.master_type, 1,
             from_config(in.master_config, at + "masterConfig")},
            {"worker", at + "workerType", at + "workerCount", in.worker_type,
             as_count(in.worker_count, at + "workerCount"), from_config(in.worker_config, at + "workerConfig")},
            {"ps", at + "parameterServerType", at + "parameterServerCount", in.parameter_server_type,
             as_count(in.parameter_server_count, at + "parameterServerCount"),
             from_config(in.parameter_server_config, at + "parameterServerConfig")}};
  }
  const tiers::ScaleTier* tier = catalog.scale_tier(in.scale_tier);
  if (!tier) throw InputError("trainingInput.scaleTier", in.scale_tier, "is not offered at this site");
  std::string field = "scaleTiers." + in.scale_tier;
  return {{"master", field + ".master", field + ".master.count", tier->master.machine_type, tier->master.count,
           tier->master.accelerator},
          {"worker", field + ".worker", field + ".worker.count", tier->worker.machine_type, tier->worker.count,
           tier->worker.accelerator},
          {"ps", field + ".parameterServer", field + ".parameterServer.count", tier->parameter_server.machine_type,
           tier->parameter_server.count, tier->parameter_server.accelerator}};
}

// The time limit of one replica type: scheduling.maxRunningTime when given (checked against
// the machine type's maximum), else the catalog's default for the type.
std::string time_limit_for(const tiers::MachineType& type, const Scheduling& scheduling) {
  if (!scheduling.max_running_seconds) return type.default_time;
  std::int64_t asked = *scheduling.max_running_seconds;
  if (!type.max_time.empty()) {
    std::optional<std::int64_t> most;
    try {
      most = parse_slurm_time(type.max_time);
    } catch (const std::invalid_argument&) {
      throw InputError("machineTypes." + type.name + ".maxTime", type.max_time,
                       "is not a Slurm time (fix the tier catalog)");
    }
    if (most && asked > *most) {
      throw InputError(
          "trainingInput.scheduling.maxRunningTime", scheduling.max_running_time,
          "is longer than this site allows for machine type " + type.name + " (maxTime " + type.max_time + ")");
    }
  }
  return slurm_time_limit(asked);
}

SlurmComponent component_for(const Replica& replica, const tiers::TierCatalog& catalog, const Scheduling& scheduling) {
  const tiers::MachineType* type = catalog.machine_type(replica.machine_type);
  if (!type) throw InputError(replica.field, replica.machine_type, "is not a machine type offered at this site");
  SlurmComponent component;
  component.roles = {{replica.role, replica.count}};
  component.machine_type = type->name;
  component.tasks = replica.count;
  component.cpus_per_task = type->cpus;
  // Slurm has no per-task memory option; per-CPU memory times the task's CPUs is the same.
  component.memory_per_cpu_mb = (type->memory_mb + type->cpus - 1) / type->cpus;
  auto accelerator = replica.accelerator ? replica.accelerator : type->accelerator;
  if (accelerator) {
    const tiers::AcceleratorType* gpu = catalog.accelerator_type(accelerator->type);
    if (!gpu) {
      throw InputError(replica.field, accelerator->type,
                       "accelerator type is not offered at this site (the tier catalog maps no GRES type to it)");
    }
    component.gpu_type = gpu->gres_type;
    component.gpus_per_task = accelerator->count;
  }
  component.partition = type->partition;
  component.constraint = type->constraint;
  component.qos = type->qos;
  component.account = type->account;
  component.time_limit = time_limit_for(*type, scheduling);
  return component;
}

bool same_shape(const SlurmComponent& a, const SlurmComponent& b) {
  return a.machine_type == b.machine_type && a.cpus_per_task == b.cpus_per_task &&
         a.memory_per_cpu_mb == b.memory_per_cpu_mb && a.gpu_type == b.gpu_type && a.gpus_per_task == b.gpus_per_task &&
         a.partition == b.partition && a.constraint == b.constraint && a.qos == b.qos && a.account == b.account &&
         a.time_limit == b.time_limit;
}

// The components of a het job never share a node, so k components need k nodes. Replicas of
// the same shape that follow each other share one component (a per-rank role map tells the
// plugin which rank is which), so small jobs fit on few nodes.
// The tasks of two merged components, refused where their sum would not fit Slurm's int.
int merged_tasks(const SlurmComponent& into, const SlurmComponent& added, const std::string& field) {
  int tasks = 0;
  if (__builtin_add_overflow(into.tasks, added.tasks, &tasks)) {
    throw InputError(field, std::to_string(added.tasks),
                     "with the " + std::to_string(into.tasks) +
                         " replicas of the same shape before it, more tasks than one "
                         "Slurm component can have (" +
                         std::to_string(std::numeric_limits<int>::max()) + ")");
  }
  return tasks;
}

// `components`: each with the field its replicas came from, for messages.
std::vector<SlurmComponent> merge_same_shapes(std::vector<std::pair<std::string, SlurmComponent>> components) {
  std::vector<SlurmComponent> merged;
  for (auto& [field, component] : components) {
    if (!merged.empty() && same_shape(merged.back(), component)) {
      merged.back().tasks = merged_tasks(merged.back(), component, field);
      merged.back().roles.insert(merged.back().roles.end(), component.roles.begin(), component.roles.end());
    } else {
      merged.push_back(std::move(component));
    }
  }
  return merged;
}

// scheduling.maxWaitTime as a Slurm deadline: Slurm removes a job that cannot end before its
// deadline, so a deadline of wait + time limit after submission removes exactly the jobs that
// have not started within the wait.
std::optional<std::int64_t> deadline_for(const std::vector<SlurmComponent>& components, const Scheduling& scheduling) {
  if (!scheduling.max_wait_seconds) return std::nullopt;
  std::int64_t longest = 0;
  for (const auto& component : components) {
    std::optional<std::int64_t> limit;
    try {
      if (!component.time_limit.empty()) limit = parse_slurm_time(component.time_limit);
    } catch (const std::invalid_argument&) {
    }
    if (!limit) {
      throw InputError("trainingInput.scheduling.maxWaitTime", scheduling.max_wait_time,
                       "needs a time limit: set scheduling.maxRunningTime (machine type " + component.machine_type +
                           " has no bounded defaultTime in the tier catalog)");
    }
    longest = std::max(longest, *limit);
  }
  return *scheduling.max_wait_seconds + longest;
}

// A job from the SageMaker or FfDL front door runs its own command, in its own folder.
void apply_launch(const Launch& launch, SlurmPlan& plan) {
  plan.command = launch.command;
  plan.working_dir = launch.working_dir;
  plan.environment = launch.environment;
  plan.before_step = launch.before_step;
  plan.after_step = launch.after_step;
  plan.term_seconds_before_end = launch.term_seconds_before_end;
  plan.on_warning = launch.on_warning;
  if (launch.deadline_seconds) plan.deadline_seconds = launch.deadline_seconds;
  for (auto& component : plan.components) component.one_task_per_node = launch.one_task_per_node;
}

}  // namespace

int SlurmPlan::total_tasks() const {
  int total = 0;
  for (const auto& component : components) total += component.tasks;
  return total;
}

std::vector<std::string> SlurmPlan::task_roles() const {
  std::vector<std::string> roles;
  std::map<std::string, int> next_index;
  for (const auto& component : components) {
    for (const auto& span : component.roles) {
      for (int t = 0; t < span.tasks; ++t) roles.push_back(span.role + "-" + std::to_string(next_index[span.role]++));
    }
  }
  return roles;
}

std::string SlurmPlan::ml_roles() const {
  std::string out;
  for (std::size_t c = 0; c < components.size(); ++c) {
    if (c) out += ',';
    const auto& roles = components[c].roles;
    for (std::size_t r = 0; r < roles.size(); ++r) {
      if (r) out += '+';
      out += roles[r].role;
      // The last role of a component takes the remaining ranks, so it needs no count.
      if (r + 1 < roles.size()) out += ":" + std::to_string(roles[r].tasks);
    }
  }
  return out;
}

SlurmPlan plan_job(const Job& job, const tiers::TierCatalog& catalog, const PlanContext& context) {
  const TrainingInput& in = job.training_input;
  SlurmPlan plan;
  plan.job_name = job.job_id;
  plan.use_chief = in.use_chief_in_tf_config;
  plan.job_dir = in.job_dir.empty() ? context.job_dir : in.job_dir;
  plan.python_path = context.python_path;

  std::vector<std::pair<std::string, SlurmComponent>> components;
  for (const Replica& replica : resolve_replicas(in, catalog)) {
    if (replica.count > 0) components.emplace_back(replica.count_field, component_for(replica, catalog, in.scheduling));
  }
  plan.components = merge_same_shapes(std::move(components));
  plan.deadline_seconds = deadline_for(plan.components, in.scheduling);

  const tiers::RuntimeEnvironment* runtime = catalog.runtime(in.runtime_version, in.python_version);
  std::string runtime_name = in.runtime_version.empty() ? "default" : in.runtime_version;
  if (!runtime) {
    throw InputError("trainingInput.runtimeVersion", runtime_name,
                     "no environment is configured for it at this site (tier catalog " + catalog.source + ")");
  }
  if (!runtime->refusal.empty()) throw InputError("trainingInput.runtimeVersion", runtime_name, runtime->refusal);
  plan.python = runtime->python;
  plan.runtime_setup = runtime->setup;

  if (job.launch) {
    apply_launch(*job.launch, plan);
    return plan;
  }
  plan.program = {"-m", in.python_module};
  plan.program.insert(plan.program.end(), in.args.begin(), in.args.end());
  plan.program.push_back("--job-dir");
  plan.program.push_back(plan.job_dir);
  return plan;
}

}  // namespace mljob
