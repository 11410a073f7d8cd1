#include "core/durations.h"

#include <cctype>
#include <cstdio>
#include <stdexcept>
#include <vector>

#include "core/spec_error.h"
#include "core/text.h"

namespace mljob {
namespace {

bool all_digits(const std::string& text) {
  if (text.empty() || text.size() > 12) return false;  // 12 digits: no overflow below
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::int64_t number(const std::string& text, const std::string& whole) {
  if (!all_digits(text)) throw std::invalid_argument("'" + whole + "' is not a Slurm time");
  return std::stoll(text);
}

}  // namespace

std::int64_t parse_api_duration(const std::string& text, const std::string& field) {
  const std::string rule = "must be a positive duration in seconds, as the API writes it: \"7200s\" or \"1.5s\"";
  if (text.size() < 2 || text.back() != 's') throw SpecError(field, text, rule);
  std::string body = text.substr(0, text.size() - 1);
  std::string whole = body, fraction;
  if (auto dot = body.find('.'); dot != std::string::npos) {
    whole = body.substr(0, dot);
    fraction = body.substr(dot + 1);
    if (fraction.empty() || fraction.size() > 9 || !all_digits(fraction)) throw SpecError(field, text, rule);
  }
  if (!all_digits(whole)) throw SpecError(field, text, rule);
  std::int64_t seconds = std::stoll(whole);
  if (fraction.find_first_not_of('0') != std::string::npos) ++seconds;
  if (seconds <= 0) throw SpecError(field, text, rule);
  return seconds;
}

std::optional<std::int64_t> parse_slurm_time(const std::string& text) {
  if (text == "UNLIMITED" || text == "INFINITE" || text == "Unlimited" || text == "infinite") return std::nullopt;
  std::int64_t days = 0;
  std::string clock = text;
  bool has_days = false;
  if (auto dash = text.find('-'); dash != std::string::npos) {
    days = number(text.substr(0, dash), text);
    clock = text.substr(dash + 1);
    has_days = true;
  }
  std::vector<std::string> parts = split(clock, ':');
  std::vector<std::int64_t> values;
  for (const auto& part : parts) values.push_back(number(part, text));
  std::int64_t seconds = 0;
  if (has_days) {
    // days-hours[:minutes[:seconds]]
    if (values.empty() || values.size() > 3) throw std::invalid_argument("'" + text + "' is not a Slurm time");
    const std::int64_t unit[] = {3600, 60, 1};
    for (std::size_t i = 0; i < values.size(); ++i) seconds += values[i] * unit[i];
  } else if (values.size() == 1) {
    seconds = values[0] * 60;  // minutes
  } else if (values.size() == 2) {
    seconds = values[0] * 60 + values[1];  // minutes:seconds
  } else if (values.size() == 3) {
    seconds = values[0] * 3600 + values[1] * 60 + values[2];
  } else {
    throw std::invalid_argument("'" + text + "' is not a Slurm time");
  }
  return days * 86400 + seconds;
}

std::string slurm_time_limit(std::int64_t seconds) {
  std::int64_t minutes = (seconds + 59) / 60;
  char out[48];
  std::snprintf(out, sizeof out, "%lld-%02lld:%02lld:00", static_cast<long long>(minutes / 1440),
                static_cast<long long>(minutes / 60 % 24), static_cast<long long>(minutes % 60));
  return out;
}

}  // namespace mljob
