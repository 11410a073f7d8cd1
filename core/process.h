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

struct ProcessOptions {
  // The child runs in a process group of its own, so that a Ctrl-C at the terminal (SIGINT to
  // the foreground process group) or a signal to this command's whole group does not reach
  // it: for a program that must not die halfway (sbatch, killed once slurmctld has accepted
  // the job, would leave a job no one knows of). This process still waits for it.
  bool own_process_group = false;
};

// `extra_env` is added to (or replaces in) this process's environment for the child only.
// Throws std::system_error if the program cannot be started at all.
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& extra_env = {}, const ProcessOptions& options = {});

}  // namespace mljob
