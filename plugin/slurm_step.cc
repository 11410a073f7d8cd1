#include "slurm_step.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <stdexcept>

#include "hostlist.h"
#include "log_text.h"
#include "roles.h"
#include "tasks_per_node.h"

namespace mljob::plugin {
namespace {

// NAME="VALUE" for a message; the value is the job's, so it is escaped and cut.
std::string variable_text(const std::string& name, const std::string& value) {
  return name + "=" + log_quoted(value);
}

std::string required(const EnvLookup& environment, const std::string& name, const std::string& why) {
  auto value = environment(name);
  if (!value) throw std::invalid_argument(name + " is not set (" + why + ")");
  return *value;
}

// The first of `names` that is set, with its name.
std::pair<std::string, std::string> first_set(const EnvLookup& environment, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (auto value = environment(name)) return {name, *value};
  }
  std::string all;
  for (const char* name : names) all += (all.empty() ? "" : ", ") + std::string(name);
  throw std::invalid_argument("none of " + all + " is set; is this a Slurm step?");
}

// Wraps the expanders' errors with the variable they came from.
template <typename Expand>
auto expand_variable(const std::string& name, const std::string& value, Expand expand) {
  try {
    return expand(value);
  } catch (const std::invalid_argument& error) {
    throw std::invalid_argument(name + ": " + error.what());
  }
}

ComponentNodes read_component(const std::string& nodes_name, const std::string& nodes_value,
                              const std::string& tasks_name, const std::string& tasks_value) {
  ComponentNodes component{
      .hosts = expand_variable(nodes_name, nodes_value, expand_hostlist),
      .tasks_per_node = expand_variable(tasks_name, tasks_value, expand_tasks_per_node),
  };
  if (component.hosts.size() != component.tasks_per_node.size()) {
    throw std::invalid_argument(variable_text(nodes_name, nodes_value) + " names " +
                                std::to_string(component.hosts.size()) + " nodes but " +
                                variable_text(tasks_name, tasks_value) + " gives counts for " +
                                std::to_string(component.tasks_per_node.size()));
  }
  return component;
}

// A node of the merged step list not found in the components' lists.
[[noreturn]] void unknown_step_node(const std::string& host, const std::string& step_nodes) {
  throw std::invalid_argument(variable_text("SLURM_STEP_NODELIST", step_nodes) + " names node " + log_printable(host) +
                              " more often than the SLURM_JOB_NODELIST_HET_GROUP_n list it");
}

StepShape heterogeneous_shape(const EnvLookup& environment, std::uint32_t het_size) {
  if (het_size == 0 || het_size > kMaxComponents) {
    throw std::invalid_argument("SLURM_HET_SIZE=" + std::to_string(het_size) + " is not from 1 to " +
                                std::to_string(kMaxComponents));
  }
  const std::string why = "expected in every task of a heterogeneous step";
  StepShape shape{.components = {}, .heterogeneous = true};
  std::size_t nodes_of_all_groups = 0;  // bounded like one list, so memory stays bounded
  for (unsigned group = 0; group < het_size; ++group) {
    const std::string name = "SLURM_JOB_NODELIST_HET_GROUP_" + std::to_string(group);
    std::vector<std::string> hosts = expand_variable(name, required(environment, name, why), expand_hostlist);
    const std::size_t node_count = hosts.size();
    nodes_of_all_groups += node_count;
    if (nodes_of_all_groups > kMaxExpandedHosts) {
      throw std::invalid_argument("the SLURM_JOB_NODELIST_HET_GROUP_n lists name more than " +
                                  std::to_string(kMaxExpandedHosts) + " nodes together");
    }
    shape.components.push_back(ComponentNodes{std::move(hosts), std::vector<unsigned>(node_count, 0)});
  }
  const std::string step_nodes = required(environment, "SLURM_STEP_NODELIST", why);
  const ComponentNodes step = read_component("SLURM_STEP_NODELIST", step_nodes, "SLURM_STEP_TASKS_PER_NODE",
                                             required(environment, "SLURM_STEP_TASKS_PER_NODE", why));

  // Attribute each step node to a component: the k-th mention of a node goes to the k-th
  // component (in order) that lists it. owners[host] = (component, node index) pairs.
  std::map<std::string, std::vector<std::pair<unsigned, unsigned>>> owners;
  for (unsigned c = 0; c < shape.components.size(); ++c) {
    const std::vector<std::string>& hosts = shape.components[c].hosts;
    for (unsigned node = 0; node < hosts.size(); ++node) owners[hosts[node]].emplace_back(c, node);
  }
  std::map<std::string, unsigned> mentions;
  for (std::size_t i = 0; i < step.hosts.size(); ++i) {
    const std::string& host = step.hosts[i];
    const unsigned mention = mentions[host]++;
    auto owner = owners.find(host);
    if (owner == owners.end() || mention >= owner->second.size()) {
      unknown_step_node(host, step_nodes);
    }
    const auto [component, node] = owner->second[mention];
    shape.components[component].tasks_per_node[node] = step.tasks_per_node[i];
  }
  return shape;
}

// The step's total, where Slurm states it, must match its tasks per node.
void check_task_total(const EnvLookup& environment, const StepShape& shape) {
  std::size_t total = 0;
  for (const ComponentNodes& component : shape.components) {
    for (unsigned count : component.tasks_per_node) total += count;
  }
  for (const char* name : {"SLURM_STEP_NUM_TASKS", "SLURM_NTASKS"}) {
    if (auto stated = number_from_environment(environment, name)) {
      if (*stated != total) {
        throw std::invalid_argument(std::string(name) + "=" + std::to_string(*stated) +
                                    " but the step's tasks per node add up to " + std::to_string(total));
      }
      return;
    }
  }
}

StepShape ordinary_shape(const EnvLookup& environment) {
  const auto [nodes_name, nodes_value] =
      first_set(environment, {"SLURM_STEP_NODELIST", "SLURM_JOB_NODELIST", "SLURM_NODELIST"});
  const auto [tasks_name, tasks_value] = first_set(environment, {"SLURM_STEP_TASKS_PER_NODE", "SLURM_TASKS_PER_NODE"});
  StepShape shape{.components = {}, .heterogeneous = false};
  shape.components.push_back(read_component(nodes_name, nodes_value, tasks_name, tasks_value));
  return shape;
}

}  // namespace

std::optional<std::uint32_t> number_from_environment(const EnvLookup& environment, const std::string& name) {
  auto value = environment(name);
  if (!value) return std::nullopt;
  std::uint32_t number = 0;
  const char* end = value->data() + value->size();
  auto [stop, error] = std::from_chars(value->data(), end, number);
  if (value->empty() || error != std::errc{} || stop != end) {
    throw std::invalid_argument(variable_text(name, *value) + " is not a whole number");
  }
  return number;
}

StepShape step_shape_from_environment(const EnvLookup& environment) {
  const auto het_size = number_from_environment(environment, "SLURM_HET_SIZE");
  StepShape shape = het_size ? heterogeneous_shape(environment, *het_size) : ordinary_shape(environment);
  check_task_total(environment, shape);
  return shape;
}

std::uint32_t job_id_from_environment(const EnvLookup& environment) {
  auto job_id = number_from_environment(environment, "SLURM_JOB_ID");
  if (!job_id) throw std::invalid_argument("SLURM_JOB_ID is not set; is this a Slurm step?");
  return *job_id;
}

std::vector<unsigned> StepShape::idle_components() const {
  std::vector<unsigned> idle;
  for (unsigned c = 0; c < components.size(); ++c) {
    const auto& counts = components[c].tasks_per_node;
    if (std::all_of(counts.begin(), counts.end(), [](unsigned n) { return n == 0; })) {
      idle.push_back(c);
    }
  }
  return idle;
}

unsigned component_of_step(const EnvLookup& environment, const StepShape& shape, std::uint32_t component_job_id) {
  if (!shape.heterogeneous) return 0;
  for (unsigned group = 0; group < shape.components.size(); ++group) {
    const std::string name = "SLURM_JOB_ID_HET_GROUP_" + std::to_string(group);
    if (number_from_environment(environment, name) == component_job_id) return group;
  }
  throw std::invalid_argument("no SLURM_JOB_ID_HET_GROUP_n names this component's job id " +
                              std::to_string(component_job_id));
}

namespace {

std::string rank_list(const std::vector<unsigned>& ranks) {
  std::string text = "[";
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    text += (i ? "," : "") + std::to_string(ranks[i]);
  }
  return text + "]";
}

}  // namespace

void verify_node_placement(const JobLayout& layout, const ObservedNode& observed) {
  std::vector<unsigned> expected;
  std::string host = "?";
  for (const TaskPlacement& task : layout.tasks()) {
    if (task.component == observed.component && task.node_in_component == observed.node_in_component) {
      expected.push_back(task.rank_in_component);
      host = task.host;
    }
  }
  if (expected == observed.ranks_in_component) return;
  throw std::invalid_argument("Slurm starts tasks " + rank_list(observed.ranks_in_component) + " of het component " +
                              std::to_string(observed.component) + " on its node " +
                              std::to_string(observed.node_in_component) + " (" + log_printable(host) +
                              "), but block distribution puts tasks " + rank_list(expected) +
                              " there; mljob needs the default block distribution (no -m cyclic/plane/arbitrary)");
}

void verify_task_placement(const TaskPlacement& expected, const ObservedTask& observed) {
  if (expected.rank_in_component != observed.rank_in_component) {
    throw std::invalid_argument(
        "task " + std::to_string(expected.global_rank) + " is task " + std::to_string(observed.rank_in_component) +
        " of its het component, but the layout "
        "read from SLURM_STEP_* and SLURM_JOB_NODELIST_HET_GROUP_n makes it task " +
        std::to_string(expected.rank_in_component) + " of component " + std::to_string(expected.component));
  }
  if (expected.host == observed.node_name && expected.local_index_in_component == observed.local_id) {
    return;
  }
  throw std::invalid_argument(
      "task " + std::to_string(expected.global_rank) + " runs on " + log_printable(observed.node_name) +
      " as local task " + std::to_string(observed.local_id) + ", but block distribution puts it on " +
      log_printable(expected.host) + " as local task " + std::to_string(expected.local_index_in_component) +
      "; mljob needs the default block distribution (no -m cyclic/plane/arbitrary)");
}

}  // namespace mljob::plugin
