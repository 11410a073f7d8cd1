#include "core/slurm_config.h"

#include <sstream>

#include "base/text.h"

namespace mljob {

std::optional<std::string> slurm_config_value(const std::string& scontrol_show_config, const std::string& name) {
  std::istringstream lines(scontrol_show_config);
  for (std::string line; std::getline(lines, line);) {
    auto equals = line.find('=');
    if (equals == std::string::npos || trim(line.substr(0, equals)) != name) continue;
    return trim(line.substr(equals + 1));
  }
  return std::nullopt;
}

}  // namespace mljob
