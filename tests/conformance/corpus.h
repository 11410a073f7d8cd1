// Where the conformance corpus is: the folder given to CMake as MLJOB_CONFORMANCE_DIR.
#pragma once

#include <filesystem>
#include <string>

namespace mljob::testing {

inline std::filesystem::path corpus_path(const std::string& relative) {
  return std::filesystem::path(MLJOB_CONFORMANCE_DIR) / relative;
}

}  // namespace mljob::testing
