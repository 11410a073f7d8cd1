#include "spank_access.h"

#include <stdexcept>
#include <vector>

#include "slurm_step.h"

namespace mljob::plugin {
namespace {

constexpr std::size_t kFirstBufferSize = 4096;
constexpr std::size_t kLargestValue = 1024 * 1024;
// Bound on the tasks of one node read back from Slurm (Slurm's own limit is lower).
constexpr std::uint32_t kMaxLocalTasks = 65536;
// Bound on the entries of the job's environment read (Linux's own limits are far lower).
constexpr std::size_t kMaxEnvironmentEntries = 1024 * 1024;

std::runtime_error spank_failure(const std::string& call, spank_err_t error) {
  return std::runtime_error(call + " failed: " + spank_strerror(error));
}

std::optional<std::string> read_variable(spank_t spank, const std::string& name) {
  for (std::size_t size = kFirstBufferSize; size <= kLargestValue; size *= 4) {
    std::vector<char> buffer(size, '\0');
    const spank_err_t error = spank_getenv(spank, name.c_str(), buffer.data(), static_cast<int>(buffer.size()));
    if (error == ESPANK_SUCCESS) return std::string(buffer.data());
    if (error == ESPANK_ENV_NOEXIST) return std::nullopt;
    if (error != ESPANK_NOSPACE) throw spank_failure("spank_getenv(" + name + ")", error);
  }
  throw std::runtime_error("environment variable " + name + " is longer than " + std::to_string(kLargestValue) +
                           " bytes");
}

}  // namespace

EnvLookup spank_environment(spank_t spank) {
  return [spank](const std::string& name) { return read_variable(spank, name); };
}

std::vector<std::string_view> spank_environment_entries(spank_t spank) {
  char** entries = nullptr;
  const spank_err_t error = spank_get_item(spank, S_JOB_ENV, &entries);
  if (error != ESPANK_SUCCESS) throw spank_failure("spank_get_item(S_JOB_ENV)", error);
  std::vector<std::string_view> result;
  for (std::size_t i = 0; entries && entries[i] && i < kMaxEnvironmentEntries; ++i) {
    result.emplace_back(entries[i]);
  }
  return result;
}

std::uint32_t spank_item_u32(spank_t spank, spank_item_t item, const char* item_name) {
  std::uint32_t value = 0;
  const spank_err_t error = spank_get_item(spank, item, &value);
  if (error != ESPANK_SUCCESS) {
    throw spank_failure(std::string("spank_get_item(") + item_name + ")", error);
  }
  return value;
}

std::vector<unsigned> spank_local_task_ranks(spank_t spank) {
  const std::uint32_t count = spank_item_u32(spank, S_JOB_LOCAL_TASK_COUNT, "S_JOB_LOCAL_TASK_COUNT");
  std::vector<unsigned> ranks;
  for (std::uint32_t local = 0; local < count && local < kMaxLocalTasks; ++local) {
    std::uint32_t global = 0;
    const spank_err_t error = spank_get_item(spank, S_JOB_LOCAL_TO_GLOBAL_ID, local, &global);
    if (error != ESPANK_SUCCESS) {
      throw spank_failure("spank_get_item(S_JOB_LOCAL_TO_GLOBAL_ID, " + std::to_string(local) + ")", error);
    }
    ranks.push_back(global);
  }
  return ranks;
}

int spank_task_local_id(spank_t spank) {
  int value = 0;
  const spank_err_t error = spank_get_item(spank, S_TASK_ID, &value);
  if (error != ESPANK_SUCCESS) throw spank_failure("spank_get_item(S_TASK_ID)", error);
  return value;
}

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

std::optional<std::string> spank_option_value(spank_t spank, spank_option& option) {
  char* argument = nullptr;
  const spank_err_t error = spank_option_getopt(spank, &option, option.has_arg ? &argument : nullptr);
  if (error == ESPANK_ERROR) return std::nullopt;  // the user did not give the option
  if (error != ESPANK_SUCCESS) {
    throw spank_failure(std::string("spank_option_getopt(--") + option.name + ")", error);
  }
  return std::string(argument ? argument : "");
}

void spank_set_task_variable(spank_t spank, const std::string& name, const std::string& value) {
  const spank_err_t error = spank_setenv(spank, name.c_str(), value.c_str(), 1);
  if (error != ESPANK_SUCCESS) throw spank_failure("spank_setenv(" + name + ")", error);
}

void spank_unset_task_variable(spank_t spank, const std::string& name) {
  const spank_err_t error = spank_unsetenv(spank, name.c_str());
  if (error != ESPANK_SUCCESS) throw spank_failure("spank_unsetenv(" + name + ")", error);
}

}  // namespace mljob::plugin
