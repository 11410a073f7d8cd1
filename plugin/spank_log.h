// The module's messages to Slurm: slurmd's log, and the user's terminal. Module only
// (spank_mljob.so): it calls slurm_error, slurm_info and slurm_spank_log, which slurmd,
// slurmstepd and the client commands provide when they load the plugin.
//
// Every function here is noexcept and takes a view, so that it can be called from a catch
// block without allocating at the call: a message that cannot be formatted (no memory) is
// replaced by a fixed one rather than let an exception out into Slurm's C code. Each
// message goes out as one bounded line (log_line, log_text.h); values that come from the
// job, its user or its environment must already be quoted (log_quoted, log_printable).
#pragma once

#include <string_view>

namespace mljob::plugin {

// An error: slurmd's log and, in a step or a submission, the user's output.
void log_error(std::string_view message) noexcept;

// slurmd's log, unless plugstack.conf says log=error.
void log_info(std::string_view message) noexcept;

// Only with log=debug, and then at info level: debug messages reach slurmd's log without
// raising slurmd's own debug level.
void log_debug(std::string_view message) noexcept;

// A message the user sees in the step's output (slurm_spank_log: error level, without
// "error:").
void tell_user(std::string_view message) noexcept;

// A warning the user sees in the step's output ("warning: ..."); it fails nothing.
void warn_user(std::string_view message) noexcept;

}  // namespace mljob::plugin
