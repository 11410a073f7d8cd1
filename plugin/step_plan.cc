#include "step_plan.h"

#include <map>
#include <stdexcept>

#include "log_text.h"
#include "ports.h"
#include "tf_config.h"

namespace mljob::plugin {
namespace {

constexpr const char* kTorchVariables[] = {"MASTER_ADDR", "MASTER_PORT",      "WORLD_SIZE", "RANK",
                                           "LOCAL_RANK",  "LOCAL_WORLD_SIZE", "GROUP_RANK", "NODE_RANK"};

void check_tasks_per_host(const JobLayout& layout) {
  if (layout.max_tasks_on_one_host() <= kPortStride) return;
  for (const TaskPlacement& task : layout.tasks()) {
    if (task.local_index_on_host == kPortStride) {
      throw std::invalid_argument("more than " + std::to_string(kPortStride) + " tasks of this job run on node " +
                                  log_printable(task.host) + " (" + std::to_string(layout.max_tasks_on_one_host()) +
                                  " in all); mljob gives each job a block of " + std::to_string(kPortStride) +
                                  " ports per node, one per task");
    }
  }
}

std::vector<TaskAddress> task_addresses(const JobLayout& layout, const PortRange& ports, std::uint32_t job_id) {
  std::vector<TaskAddress> addresses;
  addresses.reserve(layout.total_tasks());
  for (const TaskPlacement& task : layout.tasks()) {
    addresses.push_back({task.host, task_port(ports, job_id, task.local_index_on_host)});
  }
  return addresses;
}

std::vector<std::string> endpoints(const std::vector<TaskAddress>& addresses) {
  std::vector<std::string> result;
  result.reserve(addresses.size());
  for (const TaskAddress& address : addresses) {
    result.push_back(address.host + ":" + std::to_string(address.port));
  }
  return result;
}

void check_fits_environment(const std::string& cluster_text) {
  // TF_CONFIG is the cluster plus a short "task" part; 256 bytes is ample for that.
  if (cluster_text.size() + 256 < kMaxEnvironmentString) return;
  throw std::invalid_argument("the cluster spec takes " + std::to_string(cluster_text.size()) +
                              " bytes, too large for TF_CONFIG: Linux limits one environment string to " +
                              std::to_string(kMaxEnvironmentString) + " bytes; use --ml-env=torch for jobs this large");
}

// LOCAL_RANK counts the torch tasks of a node, all components together; but each het
// component is a Slurm job of its own, whose tasks see only its GPUs (CUDA_VISIBLE_DEVICES
// from 0). Where two components' torch tasks meet on a node, the later component's would
// get LOCAL_RANKs beyond its GPUs (cuda:2 of 2), and the binding, which shares a
// component's GPUs among its own tasks, would put them next to other GPUs than they use.
void check_torch_components_apart(const JobLayout& layout, const TorchWorld& torch) {
  std::map<std::string, unsigned> component_on_host;  // the first with torch tasks there
  for (const TaskPlacement& task : layout.tasks()) {
    if (!torch.for_task(task.global_rank)) continue;
    const auto [known, added] = component_on_host.try_emplace(task.host, task.component);
    if (added || known->second == task.component) continue;
    throw std::invalid_argument("het components " + std::to_string(known->second) + " and " +
                                std::to_string(task.component) + " both run torch tasks on node " +
                                log_printable(task.host) +
                                ": LOCAL_RANK counts a node's torch tasks, but each component's tasks see only "
                                "that component's GPUs, so LOCAL_RANK would not index them; run the components on "
                                "different nodes, make them one component (e.g. --ml-roles=master:1+worker), or "
                                "leave torch out of --ml-env");
  }
}

std::vector<unsigned> local_share_indexes(const JobLayout& layout, const TorchWorld& torch, bool torch_variables) {
  std::vector<unsigned> indexes;
  indexes.reserve(layout.total_tasks());
  for (const TaskPlacement& task : layout.tasks()) {
    indexes.push_back(task.local_index_in_component);
  }
  if (!torch_variables) return indexes;
  // Tasks in global rank order, so a node's tasks of one component are consecutive:
  // number the torch tasks of each (component, node) by LOCAL_RANK, then the others.
  const std::vector<TaskPlacement>& tasks = layout.tasks();
  for (std::size_t first = 0; first < tasks.size();) {
    std::size_t end = first;
    while (end < tasks.size() && tasks[end].component == tasks[first].component &&
           tasks[end].node_in_component == tasks[first].node_in_component) {
      ++end;
    }
    unsigned next_other = 0;  // after the torch tasks
    for (std::size_t t = first; t < end; ++t) {
      if (torch.for_task(tasks[t].global_rank)) ++next_other;
    }
    for (std::size_t t = first; t < end; ++t) {
      const auto& variables = torch.for_task(tasks[t].global_rank);
      indexes[t] = variables ? variables->local_rank : next_other++;
    }
    first = end;
  }
  return indexes;
}

void add_torch_variables(const StepPlan& plan, unsigned global_rank, TaskEnvironment& out) {
  const auto& torch = plan.torch.for_task(global_rank);
  if (!torch) {
    for (const char* name : kTorchVariables) out.unset.emplace_back(name);
    return;
  }
  out.set.emplace_back("MASTER_ADDR", torch->master_addr);
  out.set.emplace_back("MASTER_PORT", std::to_string(torch->master_port));
  out.set.emplace_back("WORLD_SIZE", std::to_string(torch->world_size));
  out.set.emplace_back("RANK", std::to_string(torch->rank));
  out.set.emplace_back("LOCAL_RANK", std::to_string(torch->local_rank));
  out.set.emplace_back("LOCAL_WORLD_SIZE", std::to_string(torch->local_world_size));
  out.set.emplace_back("GROUP_RANK", std::to_string(torch->group_rank));
  out.set.emplace_back("NODE_RANK", std::to_string(torch->group_rank));
}

}  // namespace

StepPlan make_step_plan(JobSettings settings, const PluginConfig& config, JobLayout layout, std::uint32_t job_id) {
  // Roles first: a role map that does not fit the job is the likeliest mistake.
  std::vector<TaskRole> roles = assign_roles(settings.roles, layout.component_task_counts());
  PortRange ports = config.ports;
  if (settings.port_base) ports.base = *settings.port_base;
  check_port_range(ports);
  check_tasks_per_host(layout);
  std::vector<TaskAddress> addresses = task_addresses(layout, ports, job_id);
  nlohmann::ordered_json cluster = cluster_spec(roles, endpoints(addresses), settings.use_chief);
  std::string cluster_text = cluster.dump();
  if (settings.families.tf) check_fits_environment(cluster_text);
  TorchWorld torch(roles, addresses);
  if (settings.families.torch) check_torch_components_apart(layout, torch);
  std::vector<unsigned> share_indexes = local_share_indexes(layout, torch, settings.families.torch);
  return StepPlan{
      .settings = std::move(settings),
      .job_id = job_id,
      .ports = ports,
      .layout = std::move(layout),
      .roles = std::move(roles),
      .addresses = std::move(addresses),
      .cluster = std::move(cluster),
      .cluster_text = std::move(cluster_text),
      .torch = std::move(torch),
      .local_share_index = std::move(share_indexes),
      .sagemaker = std::nullopt,
  };
}

std::vector<std::string> step_hosts(const StepPlan& plan) {
  std::vector<std::string> hosts;
  hosts.reserve(plan.layout.total_tasks());
  for (const TaskPlacement& task : plan.layout.tasks()) hosts.push_back(task.host);
  return hosts;
}

std::string coordinator_host(const StepPlan& plan) {
  for (unsigned rank = 0; rank < plan.roles.size(); ++rank) {
    if (const auto& torch = plan.torch.for_task(rank)) return torch->master_addr;
  }
  return {};
}

void add_sagemaker_job(StepPlan& plan, const EnvLookup& environment, std::span<const std::string_view> entries) {
  if (!plan.settings.families.sagemaker) return;
  plan.sagemaker = make_sagemaker_job(step_hosts(plan), coordinator_host(plan), plan.job_id, environment, entries);
}

TaskEnvironment task_environment(const StepPlan& plan, unsigned global_rank) {
  if (global_rank >= plan.roles.size()) {
    throw std::out_of_range("task rank " + std::to_string(global_rank) + " is outside the role layout, which has " +
                            std::to_string(plan.roles.size()) + " tasks");
  }
  const TaskRole& task = plan.roles[global_rank];
  const bool use_chief = plan.settings.use_chief;
  TaskEnvironment out;
  out.set.emplace_back("MLJOB_ROLE", std::string(tf_task_type(task.role, use_chief)));
  out.set.emplace_back("MLJOB_INDEX", std::to_string(task.index));
  out.set.emplace_back("MLJOB_JOB_ID", std::to_string(plan.job_id));
  if (plan.settings.families.tf) {
    out.set.emplace_back("TF_CONFIG", tf_config(plan.cluster, task, use_chief).dump());
    out.set.emplace_back("CLUSTER_SPEC", plan.cluster_text);
  }
  if (plan.settings.families.torch) add_torch_variables(plan, global_rank, out);
  return out;
}

}  // namespace mljob::plugin
