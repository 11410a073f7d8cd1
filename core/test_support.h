// Helpers shared by the core's unit tests.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "core/spec_error.h"

namespace mljob::testing {

// Asserts that `action` throws a SpecError for `field` whose rule mentions `rule_part`.
inline void expect_spec_error(const std::function<void()>& action, const std::string& field,
                              const std::string& rule_part) {
  try {
    action();
    ADD_FAILURE() << "expected a SpecError on " << field;
  } catch (const SpecError& e) {
    EXPECT_EQ(e.field(), field) << e.what();
    EXPECT_NE(e.rule().find(rule_part), std::string::npos) << e.what();
  }
}

}  // namespace mljob::testing
