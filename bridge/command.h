// What every mljob command shares: its arguments, its exit codes, and how its errors reach the
// user.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace mljob::bridge {

// Exit codes: 0 success, 1 failure talking to Slurm or the system, 2 bad input (nothing done).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadInput = 2;

using Arguments = std::vector<std::string>;  // a command's arguments, without "mljob CMD"

// Runs `command`, turning errors into a message on stderr prefixed by `program` and the exit
// code of their kind: bad input 2, Slurm or system failure 1, interrupted 128 + the signal.
int run_reporting_errors(const std::string& program, const std::function<int()>& command);

}  // namespace mljob::bridge
