#include "base/durations.h"

#include <cctype>

#include "base/input_error.h"

namespace mljob {
namespace {

bool all_digits(const std::string& text) {
  if (text.empty() || text.size() > 12) return false;  // 12 digits: no overflow below
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

std::int64_t parse_api_duration(const std::string& text, const std::string& field) {
  const std::string rule = "must be a positive duration in seconds, as the API writes it: \"7200s\" or \"1.5s\"";
  if (text.size() < 2 || text.back() != 's') throw InputError(field, text, rule);
  std::string body = text.substr(0, text.size() - 1);
  std::string whole = body, fraction;
  if (auto dot = body.find('.'); dot != std::string::npos) {
    whole = body.substr(0, dot);
    fraction = body.substr(dot + 1);
    if (fraction.empty() || fraction.size() > 9 || !all_digits(fraction)) throw InputError(field, text, rule);
  }
  if (!all_digits(whole)) throw InputError(field, text, rule);
  std::int64_t seconds = std::stoll(whole);
  if (fraction.find_first_not_of('0') != std::string::npos) ++seconds;
  if (seconds <= 0) throw InputError(field, text, rule);
  return seconds;
}

}  // namespace mljob
