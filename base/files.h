// Writing files so that a failure is reported, never silent, a crash never leaves half a file
// where a whole one was, and what mljob keeps for one user is that user's alone: records hold
// trainer arguments, environment values and package URLs, and a job's scripts run as the user,
// so whoever could read or rewrite them could read the user's secrets or run code as the user.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

namespace mljob {

// Modes of what mljob creates for a user, set explicitly (never left to the umask, which a
// user or a batch system may have set to 0 or 002).
inline constexpr mode_t kPrivateFolderMode = 0700;
inline constexpr mode_t kPrivateFileMode = 0600;

// Writes `text` to a temporary file beside `file` and renames it over `file`; the file has mode
// 0600 whatever the umask. Every failure (open, write, close: a full disk, a quota, an NFS
// write-back error) throws std::runtime_error naming the file and the reason, and leaves `file`
// as it was and no temporary behind. The temporary's name is this process's own, so concurrent
// writers of one file never write into each other's temporary.
void write_atomically(const std::filesystem::path& file, const std::string& text);

// Creates `folder` and any missing folders above it with mode 0700 whatever the umask (mkdir,
// then chmod); folders that exist are left as they are. Returns whether `folder` was created.
// Throws std::system_error naming the folder on failure.
bool create_private_folders(const std::filesystem::path& folder);

// Creates `folder` (its parent must exist) with mode 0700, or narrows it to 0700 if it exists:
// for folders that are mljob's own (jobs/ of a store). Throws std::system_error naming it.
void make_private_folder(const std::filesystem::path& folder);

// Creates `file` empty with mode 0600 if it does not exist (an existing file is left as it is),
// so that a file another library then opens and fills (SQLite's study.db and metrics.db, whose
// journals take the database's mode) is its owner's alone whatever the umask. Throws
// std::system_error naming the file on failure.
void create_private_file(const std::filesystem::path& file);

// The name of the account with this UID, or nullopt where this machine cannot name it.
std::optional<std::string> account_name(uid_t uid);

// Why a file or folder with this status is not `user`'s alone: "belongs to user 'bob'", "is
// writable by group 'lab'", "is writable by every user"; nullopt when `user` owns it and no one
// else may write it. Only writing matters here: what may be trusted is what no one else could
// have changed.
std::optional<std::string> why_not_own(const struct stat& status, uid_t user = ::geteuid());

// Caches ($MLJOB_HOME/cache: cluster inventory, parsed tier catalog) are kept outside the
// job records and read without the checks a record gets. One is trusted only when its folder
// and its file belong to this user (geteuid) and are writable by no one else, checked with
// fstat on what was opened (not stat, then open, which another user could race). An untrusted
// cache is never read or written, and said once per process on stderr.
struct CacheFile {
  std::string text;
  std::chrono::system_clock::time_point modified;
};
// The file `name` in `folder`, or nullopt when it is absent, unreadable or untrusted.
std::optional<CacheFile> read_cache_file(const std::filesystem::path& folder, const std::string& name);
// Writes `name` in `folder` (created 0700 with missing parents) whole, then renamed, mode 0600.
// A cache: failures are ignored, and an untrusted folder is not written.
void write_cache_file(const std::filesystem::path& folder, const std::string& name, const std::string& text);

}  // namespace mljob
