// The tail of a growing file, printed as it grows: what `--stream-logs` shows of a job's
// output.log while it runs, in `mljob submit training` (on stdout) and in mljob-submit (on
// stderr, since a lab script's stdout carries the job ID only).
#pragma once

#include <filesystem>
#include <ostream>

namespace mljob::bridge {

class OutputTail {
 public:
  explicit OutputTail(std::filesystem::path file) : file_(std::move(file)) {}

  // Writes what was added to the file since the last call (nothing if it does not exist yet).
  void print_new(std::ostream& out);

 private:
  std::filesystem::path file_;
  std::streamoff printed_ = 0;
};

}  // namespace mljob::bridge
