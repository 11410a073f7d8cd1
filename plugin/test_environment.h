// A fake job environment for tests: an EnvLookup over a map.
#pragma once

#include <map>
#include <string>

#include "env_lookup.h"

namespace mljob::plugin::test_support {

using Variables = std::map<std::string, std::string>;

inline EnvLookup lookup_in(const Variables& variables) {
  return [variables](const std::string& name) -> std::optional<std::string> {
    auto found = variables.find(name);
    if (found == variables.end()) return std::nullopt;
    return found->second;
  };
}

}  // namespace mljob::plugin::test_support
