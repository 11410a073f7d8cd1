#include "parse_error.h"

#include <stdexcept>

namespace mljob::plugin {

// Messages quote at most this much of the value (a value may be up to 1 MiB long).
constexpr std::size_t kQuotedLength = 256;

void throw_parse_error(std::string_view kind, std::string_view value, const std::string& what) {
  const std::string quoted = value.size() > kQuotedLength
                                 ? std::string(value.substr(0, kQuotedLength)) + "...\" (" +
                                       std::to_string(value.size()) + " bytes)"
                                 : std::string(value) + "\"";
  throw std::invalid_argument(std::string(kind) + " \"" + quoted + ": " + what);
}

}  // namespace mljob::plugin
