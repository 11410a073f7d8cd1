// slurmctld's configuration as `scontrol show config` prints it ("Name = value" lines): the
// few values mljob must respect (MaxArraySize bounds a job array's indices).
#pragma once

#include <optional>
#include <string>

namespace mljob {

// The value of `name` ("MaxArraySize"), if the text has it.
std::optional<std::string> slurm_config_value(const std::string& scontrol_show_config, const std::string& name);

}  // namespace mljob
