// Writing files so that a failure is reported, never silent, and a crash never leaves half a
// file where a whole one was.
#pragma once

#include <filesystem>
#include <string>

namespace mljob {

// Writes `text` to a temporary file beside `file` and renames it over `file`. Every failure
// (open, write, flush, close: a full disk, a quota, an NFS write-back error) throws
// std::runtime_error naming the file and the reason, and leaves `file` as it was and no
// temporary behind. The temporary's name is this process's own, so concurrent writers of one
// file never write into each other's temporary.
void write_atomically(const std::filesystem::path& file, const std::string& text);

}  // namespace mljob
