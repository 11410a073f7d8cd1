#include "jobs/sibling_program.h"

#include <unistd.h>

#include <stdexcept>
#include <system_error>

namespace mljob::jobs {

namespace fs = std::filesystem;

fs::path own_program_folder() {
  std::error_code error;
  fs::path self = fs::read_symlink("/proc/self/exe", error);
  if (error) throw std::runtime_error("cannot tell where this program is (/proc/self/exe: " + error.message() + ")");
  return self.parent_path();
}

fs::path program_in(const fs::path& folder, const std::string& name) {
  fs::path program = folder / name;
  std::error_code error;
  if (fs::is_regular_file(program, error) && ::access(program.c_str(), X_OK) == 0) return program;
  throw std::runtime_error("the program " + name + " is not at " + program.string() +
                           " (or cannot be run): mljob, mljob-submit and mljob-collect must be installed together, "
                           "in one folder");
}

fs::path sibling_program(const std::string& name) {
  return program_in(own_program_folder(), name);
}

}  // namespace mljob::jobs
