// Reading the job through the SPANK API, with every return code checked and turned into
// an exception that names the call, the item or variable, and Slurm's error text. Only
// the module (spank_mljob.so) uses this: it needs spank.h and slurmstepd's symbols.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

extern "C" {
#include <slurm/spank.h>
}

#include "env_lookup.h"

namespace mljob::plugin {

// The job's environment (spank_getenv). Values up to 1 MiB are read; a longer value is
// an error rather than a silently truncated one.
EnvLookup spank_environment(spank_t spank);

// The job's environment as "NAME=VALUE" strings (spank_get_item(S_JOB_ENV)), at most
// 1048576 of them. The views point into slurmstepd's copy: use them before returning to
// Slurm.
std::vector<std::string_view> spank_environment_entries(spank_t spank);

// spank_get_item for the uint32_t items (S_JOB_STEPID, S_TASK_GLOBAL_ID, ...).
std::uint32_t spank_item_u32(spank_t spank, spank_item_t item, const char* item_name);

// The component-level global ids (S_JOB_LOCAL_TO_GLOBAL_ID) of the tasks slurmstepd
// starts on this node, in local id order.
std::vector<unsigned> spank_local_task_ranks(spank_t spank);

// spank_get_item(S_TASK_ID): the task's local id.
int spank_task_local_id(spank_t spank);

// "job 41 step 0", or for a het component "job 41 step 0 (het component job 42)": how
// every message of slurmstepd names the step. The user knows the het job by its leader's id
// (SLURM_JOB_ID); Slurm's item S_JOB_ID is the component's own.
std::string step_name(spank_t spank);

// spank_option_getopt: the option's argument (empty for flags) when the user gave it,
// nullopt when not.
std::optional<std::string> spank_option_value(spank_t spank, spank_option& option);

// spank_setenv(..., overwrite=1) / spank_unsetenv on the task's environment.
void spank_set_task_variable(spank_t spank, const std::string& name, const std::string& value);
void spank_unset_task_variable(spank_t spank, const std::string& name);

}  // namespace mljob::plugin
