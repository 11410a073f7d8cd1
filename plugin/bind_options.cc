#include "bind_options.h"

#include <stdexcept>
#include <string>

#include "log_text.h"

namespace mljob::plugin {
namespace {

[[noreturn]] void fail(std::string_view source, std::string_view text, const std::string& what) {
  throw std::invalid_argument(std::string(source) + "=" + log_quoted(text) + ": " + what);
}

std::optional<BindPolicy> policy_named(std::string_view word) {
  if (word == "closest") return BindPolicy::closest;
  if (word == "numa") return BindPolicy::numa;
  if (word == "socket") return BindPolicy::socket;
  if (word == "none") return BindPolicy::none;
  return std::nullopt;
}

}  // namespace

BindRequest parse_bind_request(std::string_view text, std::string_view source) {
  constexpr const char* kAllowed = "(allowed: closest, numa, socket, none, verbose)";
  if (text.empty()) fail(source, text, std::string("empty ") + kAllowed);
  BindRequest request;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    const std::string_view word = text.substr(start, comma - start);
    if (word == "verbose") {
      request.verbose = true;
    } else if (const auto policy = policy_named(word)) {
      if (request.policy) fail(source, text, "more than one binding policy");
      request.policy = policy;
    } else {
      fail(source, text, "unknown word " + log_quoted(word) + " " + kAllowed);
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return request;
}

BindSettings resolve_bind(const std::optional<BindRequest>& job, const BindSettings& site) {
  if (!job) return site;
  return BindSettings{.policy = job->policy.value_or(site.policy), .verbose = job->verbose || site.verbose};
}

std::string_view bind_policy_name(BindPolicy policy) {
  switch (policy) {
    case BindPolicy::closest:
      return "closest";
    case BindPolicy::numa:
      return "numa";
    case BindPolicy::socket:
      return "socket";
    case BindPolicy::none:
      return "none";
  }
  return "?";
}

}  // namespace mljob::plugin
