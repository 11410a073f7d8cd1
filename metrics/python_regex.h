// Regular expressions written in Python's dialect (as SageMaker's MetricDefinitions and FfDL's
// extractor take them), run by RE2 so that no user-supplied pattern can take more than linear
// time. What RE2 can run is translated; what it cannot (backreferences, lookaround, atomic
// groups, ...) is refused with the offending part quoted.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include <re2/re2.h>

namespace mljob::metrics {

class RegexError : public std::runtime_error {
 public:
  RegexError(std::string part, std::string reason)
      : std::runtime_error("'" + part + "': " + reason), part_(std::move(part)), reason_(std::move(reason)) {}
  const std::string& part() const { return part_; }      // the offending part of the pattern
  const std::string& reason() const { return reason_; }

 private:
  std::string part_, reason_;
};

// Python's re flags that change the meaning of a pattern.
struct PythonFlags {
  bool dotall = false;     // re.DOTALL: '.' also matches '\n'
  bool multiline = false;  // re.MULTILINE: '^' and '$' at every line
};

// The pattern in RE2's syntax. Throws RegexError for what RE2 cannot run.
// With `drop_group_names`, named groups become plain groups (for a combined pattern whose
// capture names would clash).
std::string translate_python_regex(std::string_view pattern, bool drop_group_names = false);

// The literal text every match of `pattern` starts with ("" when there is none to rely on:
// a leading group or class, a top-level '|', case-insensitive flags).
std::string literal_prefix(std::string_view pattern);

// Translates and compiles; throws RegexError (with RE2's own reason and the part it names)
// when the result does not compile.
std::unique_ptr<RE2> compile_python_regex(std::string_view pattern, PythonFlags flags = {});

}  // namespace mljob::metrics
