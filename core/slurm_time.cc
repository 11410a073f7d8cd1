#include "core/slurm_time.h"

#include <cctype>
#include <cstdio>
#include <stdexcept>
#include <vector>

#include "base/text.h"

namespace mljob {
namespace {

std::int64_t number(const std::string& text, const std::string& whole) {
  bool digits = !text.empty() && text.size() <= 12;  // 12 digits: no overflow below
  for (char c : text) digits = digits && std::isdigit(static_cast<unsigned char>(c));
  if (!digits) throw std::invalid_argument("'" + whole + "' is not a Slurm time");
  return std::stoll(text);
}

}  // namespace

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
