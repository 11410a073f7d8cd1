#include "spank_log.h"

#include <string>

extern "C" {
#include <slurm/slurm.h>
#include <slurm/spank.h>
}

#include "log_text.h"
#include "plugin_context.h"

namespace mljob::plugin {
namespace {

void log_to(void (*log)(const char* format, ...), std::string_view message) noexcept {
  try {
    log("mljob: %s", log_line(message).c_str());
  } catch (...) {
    log("mljob: %s", "(a message could not be formatted: out of memory)");
  }
}

// The level plugstack.conf set (log=), read when a message is logged: the context holds
// it from slurm_spank_init on, and error until then.
LogLevel configured_level() noexcept {
  return plugin_context().config.log;
}

}  // namespace

void log_error(std::string_view message) noexcept {
  log_to(slurm_error, message);
}

void log_info(std::string_view message) noexcept {
  if (configured_level() != LogLevel::error) log_to(slurm_info, message);
}

void log_debug(std::string_view message) noexcept {
  if (configured_level() == LogLevel::debug) log_to(slurm_info, message);
}

void tell_user(std::string_view message) noexcept {
  log_to(slurm_spank_log, message);
}

void warn_user(std::string_view message) noexcept {
  try {
    tell_user("warning: " + std::string(message));
  } catch (...) {
    tell_user("warning: (a message could not be formatted: out of memory)");
  }
}

}  // namespace mljob::plugin
