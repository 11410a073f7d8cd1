// Small readers of JSON spec fields shared by the tuner's spec parsers (AI Platform's
// HyperparameterSpec, SageMaker's tuning job config): each failure is an InputError naming the
// field's dotted path, the value and the rule.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mljob::tuner {

// The value as a user would write it: a string without quotes, anything else as JSON.
std::string shown(const nlohmann::json& value);

// Refuses any key of `object` not in `known`, suggesting the closest known one.
void require_known_keys(const nlohmann::json& object, const std::string& at, const std::vector<std::string>& known);

}  // namespace mljob::tuner
