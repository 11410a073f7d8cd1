// The error every list parser of the plugin throws: it names the kind of list, quotes the
// value (escaped and bounded by log_quoted: a Slurm variable may be a megabyte long and
// hold newlines) and says what is wrong.
#pragma once

#include <string>
#include <string_view>

namespace mljob::plugin {

// Throws std::invalid_argument: KIND "VALUE": WHAT, with VALUE as log_quoted shows it (cut
// to 256 bytes, its full length given when cut), e.g.  host list "n[1-": "[" without a
// matching "]".
[[noreturn]] void throw_parse_error(std::string_view kind, std::string_view value, const std::string& what);

}  // namespace mljob::plugin
