#include "core/files.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace mljob {

namespace fs = std::filesystem;

namespace {

// The reason of a stream failure: errno, which the failed write, flush or close left.
std::string failure_reason(int error) { return error ? std::strerror(error) : "the write failed"; }

void write_whole(const fs::path& temporary, const std::string& text) {
  errno = 0;
  std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot create " + temporary.string() + ": " + failure_reason(errno));
  out << text;
  out.flush();
  out.close();  // a full disk or an NFS write-back error may show only here
  if (!out) throw std::runtime_error("cannot write " + temporary.string() + ": " + failure_reason(errno));
}

}  // namespace

void write_atomically(const fs::path& file, const std::string& text) {
  fs::path temporary = file;
  temporary += ".tmp." + std::to_string(::getpid());
  try {
    write_whole(temporary, text);
    fs::rename(temporary, file);
  } catch (...) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw;
  }
}

}  // namespace mljob
