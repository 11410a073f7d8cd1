#include "metrics/python_regex.h"

#include <algorithm>
#include <cctype>

namespace mljob::metrics {
namespace {

// A few characters of the pattern from `at`, enough to show the user where.
std::string excerpt(std::string_view pattern, std::size_t at, std::size_t length) {
  return std::string(pattern.substr(at, length));
}

// The group opener starting at `at` ("(?..."), up to its closing parenthesis if it is near.
std::string group_excerpt(std::string_view pattern, std::size_t at) {
  std::size_t close = pattern.find(')', at);
  std::size_t length = close == std::string_view::npos ? 12 : std::min<std::size_t>(close - at + 1, 40);
  return excerpt(pattern, at, length);
}

class Translator {
 public:
  Translator(std::string_view pattern, bool drop_group_names) : in_(pattern), drop_group_names_(drop_group_names) {}

  std::string run() {
    while (pos_ < in_.size()) {
      char c = in_[pos_];
      if (c == '\\') {
        escape();
      } else if (in_class_) {
        if (c == ']' && !class_just_opened()) in_class_ = false;
        emit(1);
      } else if (c == '[') {
        in_class_ = true;
        class_start_ = pos_;
        emit(1);
      } else if (c == '(' && peek(1) == '?') {
        group_extension();
      } else if (c == '{') {
        brace_quantifier();
      } else if ((c == '*' || c == '+' || c == '?') && peek(1) == '+' && after_quantifiable()) {
        throw RegexError(excerpt(in_, pos_, 2), "possessive quantifiers are not supported by RE2");
      } else {
        emit(1);
      }
    }
    return out_;
  }

 private:
  char peek(std::size_t ahead) const { return pos_ + ahead < in_.size() ? in_[pos_ + ahead] : '\0'; }
  void emit(std::size_t count) {
    out_.append(in_.substr(pos_, count));
    pos_ += count;
  }
  // ']' right after '[' or '[^' is a literal in both dialects.
  bool class_just_opened() const {
    return pos_ == class_start_ + 1 || (pos_ == class_start_ + 2 && in_[class_start_ + 1] == '^');
  }
  bool after_quantifiable() const { return pos_ > 0; }

  void escape() {
    char next = peek(1);
    if (next == '\0') throw RegexError("\\", "a pattern cannot end with a backslash");
    if (!in_class_ && next >= '1' && next <= '9') {
      throw RegexError(excerpt(in_, pos_, 2), "backreferences are not supported by RE2 (they need backtracking)");
    }
    if (next == 'Z') {  // Python's end of text is RE2's \z
      out_ += "\\z";
      pos_ += 2;
      return;
    }
    if (next == 'u' || next == 'U') {  // \uXXXX, \UXXXXXXXX
      std::size_t digits = next == 'u' ? 4 : 8;
      std::string hex(in_.substr(pos_ + 2, digits));
      if (hex.size() != digits ||
          !std::all_of(hex.begin(), hex.end(), [](char h) { return std::isxdigit(static_cast<unsigned char>(h)); })) {
        throw RegexError(excerpt(in_, pos_, 2 + digits), "incomplete \\" + std::string(1, next) + " escape");
      }
      out_ += "\\x{" + hex + "}";
      pos_ += 2 + digits;
      return;
    }
    if (next == 'N' && peek(2) == '{')
      throw RegexError(group_excerpt(in_, pos_), "named Unicode escapes are not supported");
    emit(2);
  }

  void group_extension() {
    std::string_view rest = in_.substr(pos_ + 2);
    auto starts = [&](std::string_view prefix) { return rest.substr(0, prefix.size()) == prefix; };
    if (starts("P<")) {  // named group: RE2 reads (?P<name>...) as Python does
      std::size_t close = in_.find('>', pos_);
      if (!drop_group_names_ || close == std::string_view::npos) {
        emit(4);
      } else {
        out_ += '(';
        pos_ = close + 1;
      }
      return;
    }
    if (starts("P="))
      throw RegexError(group_excerpt(in_, pos_),
                       "named backreferences are not supported by RE2 (they need backtracking)");
    if (starts("=") || starts("!"))
      throw RegexError(group_excerpt(in_, pos_), "lookahead is not supported by RE2 (it needs backtracking)");
    if (starts("<=") || starts("<!"))
      throw RegexError(group_excerpt(in_, pos_), "lookbehind is not supported by RE2 (it needs backtracking)");
    if (starts(">")) throw RegexError(group_excerpt(in_, pos_), "atomic groups are not supported by RE2");
    if (starts("(")) throw RegexError(group_excerpt(in_, pos_), "conditional groups are not supported by RE2");
    if (starts("#")) {  // a comment: dropped
      std::size_t close = in_.find(')', pos_);
      if (close == std::string_view::npos) throw RegexError(excerpt(in_, pos_, 12), "unterminated comment");
      pos_ = close + 1;
      return;
    }
    if (starts(":")) {
      emit(3);
      return;
    }
    inline_flags();
  }

  // (?imsx-imsx) and (?imsx-imsx:...): i, m, s carry over; a and u change nothing RE2 does
  // differently enough to matter here and are dropped; L and x are refused.
  void inline_flags() {
    std::size_t at = pos_ + 2;
    std::string kept;
    while (at < in_.size() && in_[at] != ')' && in_[at] != ':') {
      char flag = in_[at];
      if (flag == 'i' || flag == 'm' || flag == 's' || flag == '-')
        kept += flag;
      else if (flag == 'a' || flag == 'u') {
      } else if (flag == 'x') {
        throw RegexError(group_excerpt(in_, pos_), "verbose mode (?x) is not supported by RE2");
      } else {
        throw RegexError(group_excerpt(in_, pos_), "unknown or unsupported group extension");
      }
      ++at;
    }
    if (at >= in_.size()) throw RegexError(excerpt(in_, pos_, 12), "unterminated group");
    bool scoped = in_[at] == ':';
    if (kept.empty() || kept == "-") {
      out_ += scoped ? "(?:" : "";
    } else {
      out_ += "(?" + kept + (scoped ? ":" : ")");
    }
    pos_ = at + 1;
  }

  // Python reads {,n} as {0,n}; RE2 would take it as literal text.
  void brace_quantifier() {
    if (peek(1) == ',') {
      std::size_t at = pos_ + 2;
      while (at < in_.size() && std::isdigit(static_cast<unsigned char>(in_[at]))) ++at;
      if (at > pos_ + 2 && at < in_.size() && in_[at] == '}') {
        out_ += "{0,";
        out_.append(in_.substr(pos_ + 2, at - pos_ - 1));
        pos_ = at + 1;
        if (peek(0) == '+')
          throw RegexError(excerpt(in_, pos_ - 1, 2), "possessive quantifiers are not supported by RE2");
        return;
      }
    }
    emit(1);
  }

  std::string_view in_;
  bool drop_group_names_ = false;
  std::size_t pos_ = 0;
  bool in_class_ = false;
  std::size_t class_start_ = 0;
  std::string out_;
};

bool is_quantifier(char c) {
  return c == '*' || c == '+' || c == '?' || c == '{';
}

// A '|' outside any group or class: the pattern has alternatives at its top level.
bool has_top_level_alternation(std::string_view pattern) {
  int depth = 0;
  bool in_class = false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\')
      ++i;
    else if (in_class)
      in_class = c != ']' || pattern[i - 1] == '[';
    else if (c == '[')
      in_class = true;
    else if (c == '(')
      ++depth;
    else if (c == ')')
      --depth;
    else if (c == '|' && depth == 0)
      return true;
  }
  return false;
}

bool has_case_insensitive_flag(std::string_view pattern) {
  for (std::size_t at = pattern.find("(?"); at != std::string_view::npos; at = pattern.find("(?", at + 2)) {
    std::size_t i = at + 2;
    bool insensitive = false;
    while (i < pattern.size() && std::string_view("aiLmsux-").find(pattern[i]) != std::string_view::npos) {
      insensitive = insensitive || pattern[i] == 'i';
      ++i;
    }
    if (insensitive) return true;
  }
  return false;
}

}  // namespace

std::string literal_prefix(std::string_view pattern, std::size_t* consumed) {
  if (consumed) *consumed = 0;
  if (has_top_level_alternation(pattern) || has_case_insensitive_flag(pattern)) return "";
  std::string prefix;
  std::size_t i = 0;
  for (; i < pattern.size();) {
    char c = pattern[i];
    std::size_t width = 1;
    char literal = c;
    if (c == '\\') {
      if (i + 1 >= pattern.size() || std::isalnum(static_cast<unsigned char>(pattern[i + 1]))) break;  // \d, \b, ...
      literal = pattern[i + 1];
      width = 2;
    } else if (std::string_view(".^$*+?{}[]()|").find(c) != std::string_view::npos) {
      break;
    }
    if (i + width < pattern.size() && is_quantifier(pattern[i + width])) break;  // this character may repeat or vanish
    prefix += literal;
    i += width;
  }
  if (consumed) *consumed = i;
  return prefix;
}

namespace {

// "[...]" of ASCII characters, not negated, with no escapes but of punctuation and \d.
bool is_simple_ascii_class(std::string_view cls) {
  if (cls == "\\d") return true;
  if (cls.size() < 3 || cls.front() != '[' || cls.back() != ']' || cls[1] == '^' || cls[1] == ']') return false;
  for (std::size_t i = 1; i + 1 < cls.size(); ++i) {
    auto c = static_cast<unsigned char>(cls[i]);
    if (c >= 0x80 || c == '[' || c == ']') return false;
    if (c == '\\') {
      auto next = static_cast<unsigned char>(cls[++i]);
      if (i + 1 >= cls.size() || next >= 0x80 || (std::isalnum(next) && next != 'd')) return false;
    }
  }
  return true;
}

}  // namespace

std::optional<LiteralThenRun> literal_then_run(std::string_view pattern) {
  std::size_t consumed = 0;
  LiteralThenRun shape;
  shape.literal = literal_prefix(pattern, &consumed);
  if (shape.literal.empty() || !pattern.ends_with("+)")) return std::nullopt;
  std::string_view group = pattern.substr(consumed, pattern.size() - consumed - 2);  // "(CLASS" or "(?P<name>CLASS"
  std::size_t open = 0;
  if (group.starts_with("(?P<"))
    open = group.find('>') + 1;  // npos + 1 == 0: refused below
  else if (group.starts_with("(") && !group.starts_with("(?"))
    open = 1;
  if (open == 0) return std::nullopt;
  std::string_view cls = group.substr(open);
  if (!is_simple_ascii_class(cls)) return std::nullopt;
  RE2 member("(?s)" + translate_python_regex(cls), RE2::Quiet);
  if (!member.ok()) return std::nullopt;
  for (int byte = 0; byte < 0x80; ++byte) {
    shape.in_run[static_cast<std::size_t>(byte)] = RE2::FullMatch(std::string(1, static_cast<char>(byte)), member);
  }
  if (shape.in_run['\n']) return std::nullopt;  // a run must end with its line
  for (unsigned char c : shape.literal) {
    if (c >= 0x80) return std::nullopt;  // bytes and characters agree only for ASCII
  }
  return shape;
}

std::string translate_python_regex(std::string_view pattern, bool drop_group_names) {
  return Translator(pattern, drop_group_names).run();
}

std::unique_ptr<RE2> compile_python_regex(std::string_view pattern, PythonFlags flags) {
  std::string translated = translate_python_regex(pattern);
  RE2::Options options;
  options.set_log_errors(false);
  options.set_dot_nl(flags.dotall);
  options.set_never_nl(false);
  options.set_max_mem(64 << 20);  // a bound per pattern; thousands of patterns stay bounded too
  if (flags.multiline) translated = "(?m)" + translated;
  auto compiled = std::make_unique<RE2>(translated, options);
  if (!compiled->ok()) {
    std::string part = compiled->error_arg().empty() ? std::string(pattern) : compiled->error_arg();
    throw RegexError(part, "does not compile: " + compiled->error());
  }
  return compiled;
}

}  // namespace mljob::metrics
