// The plugin's own settings: the arguments after the plugin's path on its
// plugstack.conf line, e.g.
//   required /usr/lib/x86_64-linux-gnu/slurm/spank_mljob.so port_base=20000 port_range=10000 log=info
//            bind=closest topology=/etc/slurm/topology.xml
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "bind_options.h"
#include "ports.h"

namespace mljob::plugin {

enum class LogLevel { error, info, debug };

struct PluginConfig {
  PortRange ports;                 // port_base= (default 20000), port_range= (default 10000)
  LogLevel log = LogLevel::error;  // log=error|info|debug: how much goes to slurmd's log
  BindSettings bind;               // bind= (default closest): for jobs without --ml-bind
  // topology=/absolute/path.xml: an hwloc XML file describing this node, read instead of
  // discovering the hardware. Only the administrator names it (never a job option).
  std::optional<std::string> topology_xml;
};

// Throws std::invalid_argument naming the argument on unknown keys, malformed numbers,
// port ranges that cannot hold one job's block of ports, a bad bind= and a topology= that
// is not an absolute path. The topology file is not opened here.
PluginConfig parse_plugin_arguments(std::span<const std::string_view> arguments);

}  // namespace mljob::plugin
