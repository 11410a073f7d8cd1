#include "tuner/json_fields.h"

#include <algorithm>

#include "base/did_you_mean.h"
#include "base/input_error.h"

namespace mljob::tuner {

std::string shown(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

void require_known_keys(const nlohmann::json& object, const std::string& at, const std::vector<std::string>& known) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string hint = did_you_mean(key, known);
    throw InputError(at + "." + key, shown(value),
                     "unknown field" + (hint.empty() ? std::string() : " (did you mean '" + hint + "'?)"));
  }
}

}  // namespace mljob::tuner
