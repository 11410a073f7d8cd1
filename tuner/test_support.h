// What the tuner tests share.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "base/input_error.h"
#include "tuner/hyperparameter_spec.h"

namespace mljob::tuner::testing {

// The error message parse_hyperparameter_spec gives for `value` ("" if it is accepted).
inline std::string input_error_of(const nlohmann::json& value) {
  try {
    parse_hyperparameter_spec(value, "hyperparameters");
  } catch (const InputError& error) {
    return error.what();
  }
  return "";
}

}  // namespace mljob::tuner::testing
