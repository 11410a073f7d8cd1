#include "metrics/ffdl_patterns.h"

#include <cctype>

#include "metrics/python_regex.h"

namespace mljob::metrics {

const std::map<std::string, std::string>& ffdl_patterns() {
  // The same six lines as FfDL's common-patterns (the file has no other definitions).
  static const std::map<std::string, std::string> patterns = {
      {"GLOG_STAMP", R"([EFIW]\d\d\d\d\s+\d\d\:\d\d\:\d*\.\d+)"},
      {"TIMESTAMP", R"((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[.]\d+?Z|[-+]\d{2}:\d{2}?))"},
      {"FLOAT", R"([-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)"},
      {"INT", R"([-+]?\d+)"},
      {"INT_ANY", R"([-+]?(0[xX][\dA-Fa-f]+|0[0-7]*|\d+))"},
      {"HEX", R"([-+]?(0[xX])?[\dA-Fa-f]+)"},
  };
  return patterns;
}

namespace {

bool is_word(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

std::string expand(const std::string& regex, int depth) {
  if (depth > 16) throw RegexError(regex.substr(0, 40), "macros nest too deeply (a macro that refers to itself?)");
  std::string out;
  std::size_t pos = 0;
  while (pos < regex.size()) {
    std::size_t open = regex.find("%{", pos);
    if (open == std::string::npos) break;
    // %{NAME} or %{NAME:capture}, both parts word characters (as FfDL's own regexes require).
    std::size_t at = open + 2;
    std::size_t name_end = at;
    while (name_end < regex.size() && is_word(regex[name_end])) ++name_end;
    std::size_t capture_end = name_end;
    if (name_end < regex.size() && regex[name_end] == ':') {
      capture_end = name_end + 1;
      while (capture_end < regex.size() && is_word(regex[capture_end])) ++capture_end;
    }
    bool well_formed = name_end > at && capture_end < regex.size() && regex[capture_end] == '}' &&
                       (capture_end == name_end || capture_end > name_end + 1);
    if (!well_formed) {  // not a macro: FfDL leaves such text to the regex engine
      out.append(regex, pos, open + 2 - pos);
      pos = open + 2;
      continue;
    }
    std::string name = regex.substr(at, name_end - at);
    auto found = ffdl_patterns().find(name);
    if (found == ffdl_patterns().end()) {
      throw RegexError(regex.substr(open, capture_end + 1 - open),
                       "unknown macro (FfDL defines GLOG_STAMP, TIMESTAMP, FLOAT, INT, INT_ANY, HEX)");
    }
    std::string body = expand(found->second, depth + 1);
    out.append(regex, pos, open - pos);
    if (capture_end > name_end) {
      out += "(?P<" + regex.substr(name_end + 1, capture_end - name_end - 1) + ">" + body + ")";
    } else {
      out += body;
    }
    pos = capture_end + 1;
  }
  out.append(regex, pos);
  return out;
}

}  // namespace

std::string expand_ffdl_macros(const std::string& regex) {
  return expand(regex, 0);
}

}  // namespace mljob::metrics
