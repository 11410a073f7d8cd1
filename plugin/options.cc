#include "options.h"

#include <charconv>
#include <stdexcept>

#include "log_text.h"

namespace mljob::plugin {
namespace {

[[noreturn]] void fail(std::string_view source, std::string_view text, const std::string& what) {
  throw std::invalid_argument(std::string(source) + "=" + log_quoted(text) + ": " + what);
}

// The value of an option if given, else of its environment variable, with the name of
// whichever was used.
struct Sourced {
  std::string text;
  std::string source;
};

std::optional<Sourced> option_or_environment(const std::optional<std::string>& option, std::string_view option_name,
                                             const EnvLookup& environment, const std::string& variable) {
  if (option) return Sourced{*option, std::string(option_name)};
  if (auto value = environment(variable)) return Sourced{*value, variable};
  return std::nullopt;
}

}  // namespace

EnvFamilies parse_env_families(std::string_view text, std::string_view source) {
  if (text.empty()) {
    fail(source, text, "empty; expected a comma list of tf, torch, sagemaker, all");
  }
  EnvFamilies families{.tf = false, .torch = false, .sagemaker = false};
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    const std::string_view family = text.substr(start, comma - start);
    if (family == "tf") {
      families.tf = true;
    } else if (family == "torch") {
      families.torch = true;
    } else if (family == "sagemaker") {
      families.sagemaker = true;
    } else if (family == "all") {
      families = EnvFamilies{};
    } else {
      fail(source, text, "unknown family " + log_quoted(family) + " (allowed: tf, torch, sagemaker, all)");
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return families;
}

unsigned parse_port_base(std::string_view text, std::string_view source) {
  unsigned port = 0;
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, port);
  if (text.empty() || error != std::errc{} || stop != end || port < kLowestJobPortBase || port > kHighestJobPortBase) {
    fail(source, text,
         "expected a port number from " + std::to_string(kLowestJobPortBase) + " to " +
             std::to_string(kHighestJobPortBase));
  }
  return port;
}

bool parse_use_chief(std::string_view text, std::string_view source) {
  if (text == "1" || text == "true" || text == "yes" || text == "on") return true;
  if (text.empty() || text == "0" || text == "false" || text == "no" || text == "off") {
    return false;
  }
  fail(source, text, "expected 1/true/yes/on or 0/false/no/off");
}

std::optional<JobSettings> resolve_job_settings(const OptionValues& options, const EnvLookup& environment) {
  const auto roles = option_or_environment(options.roles, "--ml-roles", environment, "MLJOB_ROLES");
  if (!roles) return std::nullopt;

  JobSettings settings;
  settings.roles_text = roles->text;
  try {
    settings.roles = parse_role_map(roles->text);
  } catch (const std::invalid_argument& error) {
    throw std::invalid_argument(roles->source + ": " + error.what());
  }
  if (auto port = option_or_environment(options.port, "--ml-port", environment, "MLJOB_PORT")) {
    settings.port_base = parse_port_base(port->text, port->source);
  }
  if (auto env = option_or_environment(options.env, "--ml-env", environment, "MLJOB_ENV")) {
    settings.families = parse_env_families(env->text, env->source);
  }
  if (options.chief) {
    settings.use_chief = true;
  } else if (auto chief = environment("MLJOB_USE_CHIEF")) {
    settings.use_chief = parse_use_chief(*chief, "MLJOB_USE_CHIEF");
  }
  if (auto bind = option_or_environment(options.bind, "--ml-bind", environment, "MLJOB_BIND")) {
    settings.bind = parse_bind_request(bind->text, bind->source);
  }
  return settings;
}

}  // namespace mljob::plugin
