// How the pure logic reads a job's environment: a function from a variable's name to its
// value (nullopt when unset). In slurmstepd it wraps spank_getenv; in tests, a map.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace mljob::plugin {

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

}  // namespace mljob::plugin
