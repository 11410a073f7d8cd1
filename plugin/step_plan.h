// Everything the plugin decides for one step, computed once (in slurmstepd's user_init)
// and then read for each task: roles, ports, the cluster spec, the torch world.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "layout.h"
#include "options.h"
#include "plugin_config.h"
#include "roles.h"
#include "torch_env.h"

namespace mljob::plugin {

// Linux refuses to exec a program with an environment string longer than 32 pages
// (MAX_ARG_STRLEN, 128 KiB); TF_CONFIG must stay below it or every task fails to start.
inline constexpr std::size_t kMaxEnvironmentString = 128 * 1024;

struct StepPlan {
  JobSettings settings;
  std::uint32_t job_id;
  PortRange ports;
  JobLayout layout;
  std::vector<TaskRole> roles;         // by global rank
  std::vector<TaskAddress> addresses;  // by global rank
  nlohmann::ordered_json cluster;      // TF_CONFIG's "cluster"
  std::string cluster_text;            // CLUSTER_SPEC
  TorchWorld torch;
};

// Validates the settings against the layout and computes the plan. Throws
// std::invalid_argument with the reason: roles that do not fit the components, more
// than kPortStride tasks on one node, a TF_CONFIG too large for the environment.
StepPlan make_step_plan(JobSettings settings, const PluginConfig& config, JobLayout layout,
                        std::uint32_t job_id);

struct TaskEnvironment {
  std::vector<std::pair<std::string, std::string>> set;
  std::vector<std::string> unset;  // torch variables of tasks outside the torch world
};

// The variables of one task. Throws std::out_of_range for a rank outside the plan.
TaskEnvironment task_environment(const StepPlan& plan, unsigned global_rank);

}  // namespace mljob::plugin
