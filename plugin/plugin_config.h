// The plugin's own settings: the arguments after the plugin's path on its
// plugstack.conf line, e.g.
//   required /usr/lib/x86_64-linux-gnu/slurm/spank_mljob.so port_base=20000 port_range=10000 log=info
#pragma once

#include <span>
#include <string_view>

#include "ports.h"

namespace mljob::plugin {

enum class LogLevel { error, info, debug };

struct PluginConfig {
  PortRange ports;  // port_base= (default 20000), port_range= (default 10000)
  LogLevel log = LogLevel::error;  // log=error|info|debug: how much goes to slurmd's log
};

// Throws std::invalid_argument naming the argument on unknown keys, malformed numbers and
// port ranges that cannot hold one job's block of ports.
PluginConfig parse_plugin_arguments(std::span<const std::string_view> arguments);

}  // namespace mljob::plugin
