#include "base/document_limits.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "base/input_error.h"

namespace mljob {

namespace {
std::string size_rule(std::size_t max_bytes = kMaxDocumentBytes) {
  return "is over " + std::to_string(max_bytes >> 20) + " MiB, the limit for a document";
}
}  // namespace

std::string nesting_rule() {
  return "nests arrays and objects deeper than " + std::to_string(kMaxNestingDepth) + " levels, the limit";
}

void check_document_size(std::string_view text, const std::string& field) {
  if (text.size() > kMaxDocumentBytes) throw InputError(field, std::to_string(text.size()) + " bytes", size_rule());
}

std::string read_document_file(const std::filesystem::path& file, const std::string& field, std::size_t max_bytes) {
  auto cannot_read = [&] {
    return InputError(field, file.string(), "cannot be read: " + std::string(std::strerror(errno)));
  };
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw cannot_read();
  std::unique_ptr<int, void (*)(int*)> closer(&fd, [](int* open_fd) { ::close(*open_fd); });
  // Asked of what was opened (O_NONBLOCK: opening a FIFO does not wait for a writer): a FIFO or
  // a device such as /dev/zero would block or never end.
  struct stat status {};
  if (::fstat(fd, &status) != 0) throw cannot_read();
  if (!S_ISREG(status.st_mode)) throw InputError(field, file.string(), "is not a regular file");
  std::string text;
  char buffer[1 << 16];
  for (;;) {
    ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw cannot_read();
    if (got == 0) return text;
    text.append(buffer, static_cast<std::size_t>(got));
    if (text.size() > max_bytes) throw InputError(field, file.string(), size_rule(max_bytes));
  }
}

std::string read_request_document(const std::string& file_or_dash, const std::string& field, std::size_t max_bytes,
                                  std::istream& standard_input) {
  if (file_or_dash != "-") return read_document_file(file_or_dash, field, max_bytes);
  std::string text(max_bytes + 1, '\0');
  standard_input.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(standard_input.gcount()));
  if (text.size() > max_bytes) throw InputError(field, "-", size_rule(max_bytes));
  return text;
}

std::optional<std::string> read_bounded_line(std::istream& in, const std::string& field) {
  std::streambuf* buffer = in.rdbuf();
  std::string line;
  for (int c = buffer->sbumpc(); c != std::char_traits<char>::eof(); c = buffer->sbumpc()) {
    if (c == '\n') return line;
    line.push_back(static_cast<char>(c));
    if (line.size() > kMaxDocumentBytes)
      throw InputError(field, "over " + std::to_string(line.size()) + " bytes", size_rule());
  }
  in.setstate(std::ios::eofbit);
  if (line.empty()) return std::nullopt;
  return line;
}

namespace detail {
bool could_nest_too_deep(std::string_view text) {
  auto opening = std::count_if(text.begin(), text.end(), [](char c) { return c == '[' || c == '{'; });
  return opening >= kMaxNestingDepth;
}
}  // namespace detail

}  // namespace mljob
