// The one error type for bad user input: it always names the field, the value and the rule,
// so every front end can print the same clear message and exit with status 2.
#pragma once

#include <stdexcept>
#include <string>

namespace mljob {

class InputError : public std::runtime_error {
 public:
  InputError(std::string field, std::string value, std::string rule)
      : std::runtime_error(format(field, value, rule)),
        field_(std::move(field)),
        value_(std::move(value)),
        rule_(std::move(rule)) {}

  const std::string& field() const { return field_; }
  const std::string& value() const { return value_; }
  const std::string& rule() const { return rule_; }

 private:
  static std::string format(const std::string& field, const std::string& value, const std::string& rule) {
    std::string shown = value.size() > 80 ? value.substr(0, 77) + "..." : value;
    return field + ": value '" + shown + "': " + rule;
  }
  std::string field_, value_, rule_;
};

}  // namespace mljob
