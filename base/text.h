// Small text helpers for reading the output of Slurm's commands.
#pragma once

#include <string>
#include <vector>

namespace mljob {

// "a|b||c" -> {"a", "b", "", "c"}; a trailing separator gives a trailing empty field.
std::vector<std::string> split(const std::string& text, char separator);

// Without leading and trailing white space.
std::string trim(const std::string& text);

}  // namespace mljob
