#include "core/job_filter.h"

#include <functional>
#include <regex>

#include "base/input_error.h"

namespace mljob {
namespace {

std::vector<std::string> split_on_and(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t at = text.find(" AND ", start);
    parts.push_back(text.substr(start, at - start));
    if (at == std::string::npos) return parts;
    start = at + 5;
  }
}

std::string unquote(std::string value) {
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front()) {
    return value.substr(1, value.size() - 2);
  }
  return value;
}

std::string field_value(const nlohmann::json& job, const std::string& field) {
  if (field.rfind("labels.", 0) == 0) {
    const auto& labels = job.value("labels", nlohmann::json::object());
    auto key = field.substr(7);
    return labels.contains(key) ? labels[key].get<std::string>() : std::string();
  }
  return job.value(field, std::string());
}

}  // namespace

JobFilter JobFilter::parse(const std::string& text) {
  JobFilter filter;
  if (text.empty()) return filter;
  // The expression is small and written by the user at the command line: std::regex is fine
  // here, and keeps the grammar readable in one line.
  static const std::regex term_pattern(R"(^\s*(state|jobId|labels\.[a-z][a-z0-9_-]*)\s*(!=|=|:)\s*(\S.*?)\s*$)");
  for (const auto& part : split_on_and(text)) {
    std::smatch match;
    if (!std::regex_match(part, match, term_pattern)) {
      throw InputError("--filter", part,
                       "each term is FIELD=VALUE, FIELD!=VALUE or FIELD:VALUE over state, jobId or labels.KEY, "
                       "joined by AND");
    }
    filter.terms_.push_back({match[1], match[2], unquote(match[3])});
  }
  return filter;
}

bool JobFilter::matches(const nlohmann::json& job) const {
  for (const auto& term : terms_) {
    std::string actual = field_value(job, term.field);
    bool equal = actual == term.value;
    if ((term.op == "!=" && equal) || (term.op != "!=" && !equal)) return false;
  }
  return true;
}

std::string job_etag(const nlohmann::json& job) {
  // Not a security token: a version stamp of the job's labels (the only field update changes),
  // for optimistic concurrency. The job ID is hashed too, so that two jobs never share one.
  std::string stamped = job.value("jobId", "") + "\n" + job.value("labels", nlohmann::json::object()).dump();
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016zx", std::hash<std::string>{}(stamped));
  return hex;
}

}  // namespace mljob
