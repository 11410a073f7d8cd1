// For the bridge's unit tests: programs that stand in for Slurm's on PATH, and the process's
// environment and working folder changed for one test and put back after it.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "base/test_support.h"

namespace mljob::testing {

// Runs the test in `folder` while alive, as a user who ran mljob there.
class ScopedWorkingFolder {
 public:
  explicit ScopedWorkingFolder(const std::filesystem::path& folder) : saved_(std::filesystem::current_path()) {
    std::filesystem::current_path(folder);
  }
  ~ScopedWorkingFolder() {
    std::error_code ignored;
    std::filesystem::current_path(saved_, ignored);
  }
  ScopedWorkingFolder(const ScopedWorkingFolder&) = delete;
  ScopedWorkingFolder& operator=(const ScopedWorkingFolder&) = delete;

 private:
  std::filesystem::path saved_;
};

// A folder of bash scripts first on PATH while alive, standing in for sbatch, squeue, scancel...
// SLURM_CONF names no file meanwhile, so that no query goes to a real slurmctld through
// libslurm: every one runs a program from PATH.
class FakePrograms {
 public:
  explicit FakePrograms(const std::filesystem::path& folder)
      : folder_(folder),
        path_("PATH", folder.string() + ":" + (std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin")),
        slurm_conf_("SLURM_CONF", (folder / "no-slurm.conf").string()) {
    std::filesystem::create_directories(folder);
  }

  // A program `name` running `body` (bash); "$@" are its arguments.
  void add(const std::string& name, const std::string& body) const {
    std::filesystem::path program = folder_ / name;
    std::ofstream(program) << "#!/bin/bash\n" << body << "\n";
    ::chmod(program.c_str(), 0755);
  }

  const std::filesystem::path& folder() const { return folder_; }

 private:
  std::filesystem::path folder_;
  ScopedVariable path_;
  ScopedVariable slurm_conf_;
};

}  // namespace mljob::testing
