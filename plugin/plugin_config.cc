#include "plugin_config.h"

#include <charconv>
#include <stdexcept>
#include <string>

#include "log_text.h"

namespace mljob::plugin {
namespace {

[[noreturn]] void fail(std::string_view argument, const std::string& what) {
  throw std::invalid_argument("plugstack.conf argument " + log_quoted(argument) + ": " + what);
}

unsigned parse_number(std::string_view argument, std::string_view digits, unsigned low, unsigned high) {
  unsigned value = 0;
  const char* end = digits.data() + digits.size();
  auto [stop, error] = std::from_chars(digits.data(), end, value);
  if (digits.empty() || error != std::errc{} || stop != end || value < low || value > high) {
    fail(argument, "expected a whole number from " + std::to_string(low) + " to " + std::to_string(high));
  }
  return value;
}

LogLevel parse_log_level(std::string_view argument, std::string_view value) {
  if (value == "error") return LogLevel::error;
  if (value == "info") return LogLevel::info;
  if (value == "debug") return LogLevel::debug;
  fail(argument, "log must be error, info or debug");
}

// The file is read by slurmstepd for every step that binds: a relative path would depend
// on the step's working directory, so only an absolute one is accepted.
std::string parse_topology_path(std::string_view argument, std::string_view value) {
  if (value.empty() || value.front() != '/') fail(argument, "topology must be an absolute path");
  if (value.size() > 4096) fail(argument, "topology path longer than 4096 bytes");
  return std::string(value);
}

}  // namespace

PluginConfig parse_plugin_arguments(std::span<const std::string_view> arguments) {
  PluginConfig config;
  for (std::string_view argument : arguments) {
    const std::size_t equals = argument.find('=');
    if (equals == std::string_view::npos) fail(argument, "expected key=value");
    const std::string_view key = argument.substr(0, equals);
    const std::string_view value = argument.substr(equals + 1);
    if (key == "port_base") {
      config.ports.base = parse_number(argument, value, kLowestPort, kHighestPort);
    } else if (key == "port_range") {
      config.ports.range = parse_number(argument, value, kPortStride, kHighestPort);
    } else if (key == "log") {
      config.log = parse_log_level(argument, value);
    } else if (key == "bind") {
      config.bind = resolve_bind(parse_bind_request(value, "plugstack.conf argument bind"), BindSettings{});
    } else if (key == "topology") {
      config.topology_xml = parse_topology_path(argument, value);
    } else {
      fail(argument, "unknown key (known: port_base, port_range, log, bind, topology)");
    }
  }
  check_port_range(config.ports);
  return config;
}

}  // namespace mljob::plugin
