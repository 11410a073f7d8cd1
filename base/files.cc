#include "base/files.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace mljob {

namespace fs = std::filesystem;

namespace {

// Closes the descriptor it holds when it goes; close() reports what a last write-back said.
class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  Descriptor(Descriptor&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  Descriptor& operator=(Descriptor&&) = delete;
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // 0, or the errno of a failed close (a full disk or an NFS write-back error may show only here).
  int close() {
    int error = ::close(fd_) == 0 ? 0 : errno;
    fd_ = -1;
    return error;
  }

 private:
  int fd_;
};

std::string reason(int error) {
  return std::strerror(error);
}

// Writes all of `text`; the errno of the write that failed, or 0.
int write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t written = ::write(fd, text.data() + done, text.size() - done);
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) return errno;
    done += static_cast<std::size_t>(written);
  }
  return 0;
}

// Writes a whole private file at `name` in the folder `folder_fd` (AT_FDCWD: the working
// folder). O_NOFOLLOW: a link planted there is not written through. fchmod after open: O_TRUNC
// keeps the mode of a temporary an earlier process left, and the umask takes bits off 0600.
void write_private(int folder_fd, const fs::path& name, const std::string& text, const fs::path& shown) {
  Descriptor file(
      ::openat(folder_fd, name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, kPrivateFileMode));
  if (!file.valid()) throw std::runtime_error("cannot create " + shown.string() + ": " + reason(errno));
  if (::fchmod(file.get(), kPrivateFileMode) != 0)
    throw std::runtime_error("cannot make " + shown.string() + " private: " + reason(errno));
  if (int error = write_all(file.get(), text))
    throw std::runtime_error("cannot write " + shown.string() + ": " + reason(error));
  if (int error = file.close()) throw std::runtime_error("cannot write " + shown.string() + ": " + reason(error));
}

std::string temporary_name(const fs::path& file) {
  return file.filename().string() + ".tmp." + std::to_string(::getpid());
}

std::string user_name(uid_t uid) {
  auto name = account_name(uid);
  return name ? "'" + *name + "'" : std::to_string(uid);
}

std::string group_name(gid_t gid) {
  std::vector<char> buffer(16384);
  group entry{};
  group* found = nullptr;
  if (::getgrgid_r(gid, &entry, buffer.data(), buffer.size(), &found) == 0 && found)
    return "'" + std::string(found->gr_name) + "'";
  return std::to_string(gid);
}

// Once per process: every command reads the cache folder at most twice (inventory, catalog).
void warn_untrusted(const fs::path& what, const std::string& why) {
  static std::atomic<bool> warned{false};
  if (warned.exchange(true)) return;
  std::cerr << "mljob: warning: not using the cache " << what.string() << ": it " << why
            << "; a cache must be yours and writable by you alone (remove it and mljob makes a new one)\n";
}

// The cache folder, opened, when it is trusted; an invalid descriptor otherwise.
Descriptor open_trusted_folder(const fs::path& folder) {
  Descriptor opened(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  struct stat status {};
  if (!opened.valid() || ::fstat(opened.get(), &status) != 0) return Descriptor(-1);
  if (auto why = why_not_own(status)) {
    warn_untrusted(folder, *why);
    return Descriptor(-1);
  }
  return opened;
}

std::string read_all(int fd) {
  std::string text;
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::system_error(errno, std::generic_category(), "read");
    if (n == 0) return text;
    text.append(buffer, static_cast<std::size_t>(n));
  }
}

std::chrono::system_clock::time_point time_of(const timespec& when) {
  auto since_epoch = std::chrono::seconds(when.tv_sec) + std::chrono::nanoseconds(when.tv_nsec);
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(since_epoch));
}

}  // namespace

void write_atomically(const fs::path& file, const std::string& text) {
  fs::path temporary = file.parent_path() / temporary_name(file);
  try {
    write_private(AT_FDCWD, temporary, text, temporary);
    fs::rename(temporary, file);
  } catch (...) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw;
  }
}

bool create_private_folders(const fs::path& folder) {
  fs::path built;
  bool created = false;
  for (const auto& part : folder) {
    built /= part;
    if (part.empty() || part == built.root_path() || part == "." || part == "..") continue;
    created = ::mkdir(built.c_str(), kPrivateFolderMode) == 0;
    if (!created && errno != EEXIST)
      throw std::system_error(errno, std::generic_category(), "cannot create " + built.string());
    if (created && ::chmod(built.c_str(), kPrivateFolderMode) != 0) {
      throw std::system_error(errno, std::generic_category(), "cannot make " + built.string() + " private");
    }
  }
  return created;
}

void make_private_folder(const fs::path& folder) {
  if (::mkdir(folder.c_str(), kPrivateFolderMode) != 0 && errno != EEXIST) {
    throw std::system_error(errno, std::generic_category(), "cannot create " + folder.string());
  }
  if (::chmod(folder.c_str(), kPrivateFolderMode) != 0) {
    throw std::system_error(errno, std::generic_category(), "cannot make " + folder.string() + " private");
  }
}

void create_private_file(const fs::path& file) {
  // O_EXCL: only a file made here is set to 0600 (fchmod, since the umask narrows open's mode);
  // it also refuses to follow a link planted where the file would be.
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kPrivateFileMode);
  if (fd < 0 && errno == EEXIST) return;
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "cannot create " + file.string());
  int failed = ::fchmod(fd, kPrivateFileMode) != 0 ? errno : 0;
  ::close(fd);
  if (failed) throw std::system_error(failed, std::generic_category(), "cannot make " + file.string() + " private");
}

std::optional<std::string> account_name(uid_t uid) {
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == 0 && found) return std::string(found->pw_name);
  return std::nullopt;
}

std::optional<std::string> why_not_own(const struct stat& status, uid_t user) {
  if (status.st_uid != user) return "belongs to user " + user_name(status.st_uid);
  if (status.st_mode & S_IWOTH) return std::string("is writable by every user");
  if (status.st_mode & S_IWGRP) return "is writable by group " + group_name(status.st_gid);
  return std::nullopt;
}

std::optional<CacheFile> read_cache_file(const fs::path& folder, const std::string& name) {
  Descriptor directory = open_trusted_folder(folder);
  if (!directory.valid()) return std::nullopt;
  Descriptor file(::openat(directory.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  struct stat status {};
  if (!file.valid() || ::fstat(file.get(), &status) != 0 || !S_ISREG(status.st_mode)) return std::nullopt;
  if (auto why = why_not_own(status)) {
    warn_untrusted(folder / name, *why);
    return std::nullopt;
  }
  try {
    return CacheFile{read_all(file.get()), time_of(status.st_mtim)};
  } catch (const std::system_error&) {
    return std::nullopt;
  }
}

void write_cache_file(const fs::path& folder, const std::string& name, const std::string& text) {
  try {
    create_private_folders(folder);
  } catch (const std::system_error&) {
    return;  // a cache: the next command tries again
  }
  Descriptor directory = open_trusted_folder(folder);
  if (!directory.valid()) return;
  std::string temporary = temporary_name(name);
  try {
    write_private(directory.get(), temporary, text, folder / temporary);
    if (::renameat(directory.get(), temporary.c_str(), directory.get(), name.c_str()) != 0)
      throw std::runtime_error("rename");
  } catch (const std::runtime_error&) {
    ::unlinkat(directory.get(), temporary.c_str(), 0);
  }
}

}  // namespace mljob
