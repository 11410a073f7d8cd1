// The plugin's parsers of what a job controls (its options, its environment, and the Slurm
// variables slurmstepd derives from its request): host lists, tasks per node, role maps, the
// --ml-* options and MLJOB_* variables, and a step's shape with its roles assigned. These run
// inside slurmd and slurmstepd as root, where the only acceptable refusal is
// std::invalid_argument, which the plugin turns into a message for the user.
#include <fuzzer/FuzzedDataProvider.h>

#include <map>
#include <numeric>
#include <stdexcept>

#include "fuzz/fuzz_support.h"
#include "plugin/bind_options.h"
#include "plugin/hostlist.h"
#include "plugin/options.h"
#include "plugin/plugin_config.h"
#include "plugin/roles.h"
#include "plugin/slurm_step.h"
#include "plugin/tasks_per_node.h"

namespace {

namespace plugin = mljob::plugin;

// The variables the plugin reads, given values from the input: a job can set every one of them
// (sbatch --export, or its own environment before srun).
constexpr const char* kVariables[] = {"SLURM_HET_SIZE",
                                      "SLURM_JOB_ID",
                                      "SLURM_JOB_ID_HET_GROUP_0",
                                      "SLURM_JOB_ID_HET_GROUP_1",
                                      "SLURM_JOB_NODELIST",
                                      "SLURM_NODELIST",
                                      "SLURM_JOB_NODELIST_HET_GROUP_0",
                                      "SLURM_JOB_NODELIST_HET_GROUP_1",
                                      "SLURM_NTASKS",
                                      "SLURM_STEP_NODELIST",
                                      "SLURM_STEP_NUM_TASKS",
                                      "SLURM_STEP_TASKS_PER_NODE",
                                      "SLURM_TASKS_PER_NODE",
                                      "MLJOB_ROLES",
                                      "MLJOB_PORT",
                                      "MLJOB_ENV",
                                      "MLJOB_USE_CHIEF",
                                      "MLJOB_BIND"};

void step_and_roles(FuzzedDataProvider& input) {
  std::map<std::string, std::string> variables;
  while (input.remaining_bytes() > 0) {
    variables[input.PickValueInArray(kVariables)] = input.ConsumeRandomLengthString(256);
  }
  plugin::EnvLookup environment = [&](const std::string& name) -> std::optional<std::string> {
    auto found = variables.find(name);
    return found == variables.end() ? std::nullopt : std::optional(found->second);
  };
  auto settings = plugin::resolve_job_settings({}, environment);
  plugin::StepShape shape = plugin::step_shape_from_environment(environment);
  if (!settings) return;
  std::vector<unsigned> task_counts;
  for (const auto& component : shape.components) {
    task_counts.push_back(std::accumulate(component.tasks_per_node.begin(), component.tasks_per_node.end(), 0u));
  }
  plugin::assign_roles(settings->roles, task_counts);
}

void plugin_arguments(FuzzedDataProvider& input) {
  std::vector<std::string> words;
  while (input.remaining_bytes() > 0) words.push_back(input.ConsumeRandomLengthString(128));
  std::vector<std::string_view> arguments(words.begin(), words.end());
  plugin::parse_plugin_arguments(arguments);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider input(data, size);
  try {
    switch (input.ConsumeIntegralInRange(0, 8)) {
      case 0:
        plugin::expand_hostlist(input.ConsumeRemainingBytesAsString());
        break;
      case 1:
        plugin::expand_tasks_per_node(input.ConsumeRemainingBytesAsString());
        break;
      case 2:
        plugin::parse_role_map(input.ConsumeRemainingBytesAsString());
        break;
      case 3:
        plugin::parse_env_families(input.ConsumeRemainingBytesAsString(), "--ml-env");
        break;
      case 4:
        plugin::parse_port_base(input.ConsumeRemainingBytesAsString(), "--ml-port");
        break;
      case 5:
        plugin::parse_use_chief(input.ConsumeRemainingBytesAsString(), "MLJOB_USE_CHIEF");
        break;
      case 6:
        plugin::parse_bind_request(input.ConsumeRemainingBytesAsString(), "--ml-bind");
        break;
      case 7:
        plugin_arguments(input);
        break;
      case 8:
        step_and_roles(input);
        break;
    }
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
