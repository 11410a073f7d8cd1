// Runs a program with an argv vector (never through a shell) and collects its output.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace mljob {

struct ProcessResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;
  std::string err;
};

// `extra_env` is added to (or replaces in) this process's environment for the child only.
// Throws std::system_error if the program cannot be started at all.
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& extra_env = {});

}  // namespace mljob
