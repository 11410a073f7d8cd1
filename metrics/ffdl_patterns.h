// FfDL's pattern library (metrics/log_collectors/regex_extractor/src/patterns/common-patterns in
// IBM/FfDL) and its macro expansion: `%{NAME:capture}` becomes a named group holding NAME's
// pattern, `%{NAME}` becomes NAME's pattern inline, recursively, as FfDL's extractor does.
#pragma once

#include <map>
#include <string>

namespace mljob::metrics {

// NAME -> pattern (Python dialect), exactly as FfDL's common-patterns file defines them.
const std::map<std::string, std::string>& ffdl_patterns();

// Expands every macro; throws RegexError naming an unknown macro or runaway recursion.
std::string expand_ffdl_macros(const std::string& regex);

}  // namespace mljob::metrics
