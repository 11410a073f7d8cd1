#include "client_side.h"

#include <cstdlib>
#include <exception>
#include <optional>
#include <string>

#include "bind_options.h"
#include "plugin_context.h"
#include "roles.h"
#include "spank_log.h"
#include "spank_options.h"

namespace mljob::plugin {
namespace {

constexpr int kAccepted = 0;
constexpr int kRefused = -1;

// Checks one option's value; throws std::invalid_argument with the reason.
void check_option(int option_id, const std::string& value) {
  switch (option_id) {
    case kRolesOption:
      parse_role_map(value);
      return;
    case kPortOption:
      parse_port_base(value, "--ml-port");
      return;
    case kEnvOption:
      parse_env_families(value, "--ml-env");
      return;
    case kBindOption:
      parse_bind_request(value, "--ml-bind");
      return;
    default:
      return;
  }
}

// Kept so that check_submission reads MLJOB_* variables only for the options not given.
void remember_option(OptionValues& command_line, int option_id, const std::string& value) {
  switch (option_id) {
    case kRolesOption:
      command_line.roles = value;
      return;
    case kPortOption:
      command_line.port = value;
      return;
    case kEnvOption:
      command_line.env = value;
      return;
    case kChiefOption:
      command_line.chief = true;
      return;
    case kBindOption:
      command_line.bind = value;
      return;
    default:
      return;
  }
}

// The submitting shell's environment: the client commands run as the user, in the user's
// own process, so getenv is the job's environment as it will be submitted.
std::optional<std::string> process_environment(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (!value) return std::nullopt;
  return std::string(value);
}

}  // namespace

int on_client_option(int option_id, const char* argument, int remote) noexcept {
  try {
    if (remote) return kAccepted;
    const std::string value = argument ? argument : "";
    check_option(option_id, value);
    remember_option(plugin_context().command_line, option_id, value);
    return kAccepted;
  } catch (const std::exception& error) {
    log_error(error.what());
  } catch (...) {
    log_error("unexpected error while checking an option");
  }
  return kRefused;
}

void check_submission(const OptionValues& command_line) {
  resolve_job_settings(command_line, process_environment);
}

}  // namespace mljob::plugin
