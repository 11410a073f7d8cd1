// Regular expressions written in Python's dialect (as SageMaker's MetricDefinitions and FfDL's
// extractor take them), run by RE2 so that no user-supplied pattern can take more than linear
// time. What RE2 can run is translated; what it cannot (backreferences, lookaround, atomic
// groups, ...) is refused with the offending part quoted.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <re2/re2.h>

namespace mljob::metrics {

class RegexError : public std::runtime_error {
 public:
  RegexError(std::string part, std::string reason)
      : std::runtime_error("'" + part + "': " + reason), part_(std::move(part)), reason_(std::move(reason)) {}
  const std::string& part() const { return part_; }  // the offending part of the pattern
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
// a leading group or class, a top-level '|', case-insensitive flags). With `consumed`, how many
// characters of the pattern spell it.
std::string literal_prefix(std::string_view pattern, std::size_t* consumed = nullptr);

// A pattern that is a literal and then one group of one or more characters of one class, and
// nothing else: "loss: ([0-9\.]+)", "epoch=(\d+)", "acc: (?P<v>[0-9.eE+-]+)". Its matches on a
// line are exactly: an occurrence of the literal, then the longest run (at least one) of bytes
// of the class, and the search goes on after the run. So it can be matched without a regex
// engine. Only classes of ASCII characters, not '\n', qualify (a bracket expression without
// negation, escapes of punctuation, \d), so that bytes and characters agree; which bytes are in
// the class is asked of RE2 itself.
struct LiteralThenRun {
  std::string literal;
  std::array<bool, 256> in_run{};
};
std::optional<LiteralThenRun> literal_then_run(std::string_view pattern);

// Translates and compiles; throws RegexError (with RE2's own reason and the part it names)
// when the result does not compile.
std::unique_ptr<RE2> compile_python_regex(std::string_view pattern, PythonFlags flags = {});

}  // namespace mljob::metrics
