// mljob's programs find each other beside themselves. mljob, mljob-submit and mljob-collect are
// built into one folder (build/bridge) and installed into one (bin/); a program that writes
// another's path into a batch script (the study controller runs `mljob`, a job's step runs
// under `mljob-collect`) names it there, whichever of them is running.
#pragma once

#include <filesystem>
#include <string>

namespace mljob::jobs {

// The folder of the running program (/proc/self/exe's).
std::filesystem::path own_program_folder();

// FOLDER/NAME, which must be an executable file; else a std::runtime_error naming the path
// looked at and what to do about it.
std::filesystem::path program_in(const std::filesystem::path& folder, const std::string& name);

// The program NAME ("mljob", "mljob-collect") beside the running one.
std::filesystem::path sibling_program(const std::string& name);

}  // namespace mljob::jobs
