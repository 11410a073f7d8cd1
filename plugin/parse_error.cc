#include "parse_error.h"

#include <stdexcept>

#include "log_text.h"

namespace mljob::plugin {

void throw_parse_error(std::string_view kind, std::string_view value, const std::string& what) {
  throw std::invalid_argument(std::string(kind) + " " + log_quoted(value) + ": " + what);
}

}  // namespace mljob::plugin
