#include "core/package_stager.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <sstream>

#include "base/input_error.h"
#include "base/interruption.h"
#include "base/text.h"
#include "core/process.h"

namespace mljob {
namespace {

namespace fs = std::filesystem;

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

const std::vector<std::string> kArchiveSuffixes = {".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar", ".zip"};

std::string archive_suffix(const std::string& name) {
  for (const auto& suffix : kArchiveSuffixes) {
    if (ends_with(name, suffix)) return suffix;
  }
  return "";
}

bool is_url(const std::string& uri) {
  return uri.find("://") != std::string::npos;
}

// The file name a URL names: its path's last part, without query or fragment.
std::string url_file_name(const std::string& url) {
  std::string path = url.substr(url.find("://") + 3);
  path = path.substr(0, path.find_first_of("?#"));
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(slash + 1);
}

constexpr const char* kKinds =
    "must be a package folder, a wheel (.whl) or an sdist / tarball (.tar.gz, .tgz, .tar.bz2, .tar.xz, .tar, .zip)";

bool is_package_file_name(const std::string& name) {
  return ends_with(name, ".whl") || !archive_suffix(name).empty();
}

// The folder itself, without a trailing slash: "pkg/" is the package "pkg".
fs::path package_folder(const fs::path& source) {
  fs::path normalized = source.lexically_normal();
  if (normalized.filename().empty()) normalized = normalized.parent_path();
  return normalized;
}

void require_package_folder(const std::string& field, const fs::path& source) {
  if (!fs::exists(package_folder(source) / "__init__.py")) {
    throw InputError(field, source.string(), "must be a Python package folder (it has no __init__.py)");
  }
}

void require_fetchable_url(const std::string& field, const std::string& uri) {
  std::string scheme = uri.substr(0, uri.find("://"));
  if (scheme != "http" && scheme != "https") {
    throw InputError(field, uri,
                     "only http and https URLs can be fetched here (copy a " + scheme +
                         ":// package to a local path or a web server)");
  }
  if (!is_package_file_name(url_file_name(uri))) throw InputError(field, uri, kKinds);
}

// What can be told of a package without copying or fetching it.
void check_package(const std::string& field, const std::string& uri) {
  if (is_url(uri)) return require_fetchable_url(field, uri);
  if (fs::is_directory(uri)) return require_package_folder(field, fs::absolute(uri));
  if (!fs::is_regular_file(uri)) throw InputError(field, uri, "no such file or folder");
  if (!is_package_file_name(fs::path(uri).filename().string())) throw InputError(field, uri, kKinds);
}

void check_package_path(const std::string& package_path) {
  if (!fs::is_directory(package_path)) throw InputError("--package-path", package_path, "must be an existing folder");
  require_package_folder("--package-path", fs::absolute(package_path));
}

fs::path stage_folder(const std::string& field, const fs::path& source, const fs::path& package_root) {
  require_package_folder(field, source);
  fs::path normalized = package_folder(source);
  fs::path target = package_root / normalized.filename();
  if (fs::exists(target)) throw InputError(field, source.string(), "a package of the same name is already staged");
  fs::copy(normalized, target, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  return package_root;
}

bool has_importable_code(const fs::path& root) {
  for (const auto& entry : fs::directory_iterator(root)) {
    if (entry.is_directory() && fs::exists(entry.path() / "__init__.py")) return true;
    if (entry.is_regular_file() && entry.path().extension() == ".py" && entry.path().filename() != "setup.py")
      return true;
  }
  return false;
}

bool is_project_root(const fs::path& folder) {
  return fs::exists(folder / "setup.py") || fs::exists(folder / "pyproject.toml") || fs::exists(folder / "setup.cfg");
}

// Where Python finds the code of an unpacked archive: a project (sdist) root or its src/
// folder, or the folder that holds a tarred package.
fs::path import_root(const std::string& field, const std::string& uri, const fs::path& unpacked) {
  std::vector<fs::path> children;
  for (const auto& entry : fs::directory_iterator(unpacked)) children.push_back(entry.path());
  fs::path top = unpacked;
  if (children.size() == 1 && fs::is_directory(children.front())) top = children.front();
  if (is_project_root(top)) {
    if (fs::is_directory(top / "src") && has_importable_code(top / "src")) return top / "src";
    if (has_importable_code(top)) return top;
    throw InputError(field, uri, "is a Python project with no package or module at its top or in src/");
  }
  if (top != unpacked && fs::exists(top / "__init__.py")) return unpacked;  // a tarred package folder
  if (top == unpacked && has_importable_code(unpacked)) return unpacked;
  throw InputError(field, uri,
                   "holds no importable Python code (looked for an sdist's setup.py or pyproject.toml, and for a "
                   "package folder with __init__.py)");
}

// What an archive unpacks to: bytes of its files, and its entries (files, folders, links).
struct UnpackedSize {
  std::int64_t bytes = 0;
  std::int64_t entries = 0;
};

bool is_zip(const fs::path& archive) {
  return ends_with(archive.string(), ".zip");
}

// Sizes past any bound, added without overflowing: a listing may claim anything.
constexpr std::int64_t kTooMany = std::numeric_limits<std::int64_t>::max();
std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  return a > kTooMany - b ? kTooMany : a + b;
}

// Sizes from `tar -tv --numeric-owner` in the C locale: "MODE UID/GID SIZE DATE TIME NAME", one
// line an entry (tar escapes a newline in a name); a device's "MAJOR,MINOR" counts no bytes.
UnpackedSize tar_listing_size(const std::string& listing) {
  UnpackedSize size;
  std::istringstream lines(listing);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string mode, owner, bytes;
    if (!(fields >> mode >> owner >> bytes)) continue;
    ++size.entries;
    std::int64_t value = 0;
    auto [end, error] = std::from_chars(bytes.data(), bytes.data() + bytes.size(), value);
    if (error == std::errc::result_out_of_range)
      value = kTooMany;
    else if (error != std::errc() || end != bytes.data() + bytes.size())
      value = 0;  // a device's "MAJOR,MINOR"
    size.bytes = saturating_add(size.bytes, value);
  }
  return size;
}

// The archive's own listing, read by the program that unpacks it, before anything is written:
// zipfile stops each member at the size its directory gives, which is what is counted here.
UnpackedSize listed_size(const std::string& field, const std::string& uri, const fs::path& archive) {
  std::vector<std::string> argv;
  if (is_zip(archive)) {
    argv = {"python3", "-c",
            "import sys, zipfile\n"
            "with zipfile.ZipFile(sys.argv[1]) as z:\n"
            "    members = z.infolist()\n"
            "    print(sum(m.file_size for m in members), len(members))\n",
            archive.string()};
  } else {
    argv = {"tar", "-tvf", archive.string(), "--numeric-owner"};
  }
  ProcessResult result = run_process(argv, {{"LC_ALL", "C"}});
  if (result.exit_code != 0) {
    throw InputError(field, uri, "could not be unpacked: " + trim(result.err.empty() ? result.out : result.err));
  }
  if (!is_zip(archive)) return tar_listing_size(result.out);
  UnpackedSize size;
  if (!(std::istringstream(result.out) >> size.bytes >> size.entries))
    size = {kTooMany, kTooMany};  // unreadable: not unpacked
  return size;
}

// What was written: every entry under `folder`, the bytes of its regular files (links not followed).
UnpackedSize written_size(const fs::path& folder) {
  UnpackedSize size;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    ++size.entries;
    if (entry.is_regular_file() && !entry.is_symlink()) size.bytes += static_cast<std::int64_t>(entry.file_size());
  }
  return size;
}

// Unpacks with the system's tar (or Python's zipfile), argv only: no shell sees the names.
void unpack(const std::string& field, const std::string& uri, const fs::path& archive, const fs::path& into) {
  fs::create_directories(into);
  std::vector<std::string> argv;
  if (is_zip(archive))
    argv = {"python3", "-m", "zipfile", "-e", archive.string(), into.string()};
  else
    argv = {"tar", "-xf", archive.string(), "-C", into.string(), "--no-same-owner", "--no-same-permissions"};
  ProcessResult result = run_process(argv);
  if (result.exit_code != 0) {
    throw InputError(field, uri, "could not be unpacked: " + trim(result.err.empty() ? result.out : result.err));
  }
}

// Removes what staging an archive left, on the way out of a refusal.
void remove_all_of(const std::vector<fs::path>& leftovers) {
  std::error_code ignored;
  for (const auto& path : leftovers) fs::remove_all(path, ignored);
}

class Stager {
 public:
  Stager(const fs::path& root, const StagingOptions& options) : root_(root), options_(options) {}

  void add(const fs::path& entry) {
    if (std::find(python_path_.begin(), python_path_.end(), entry) == python_path_.end()) python_path_.push_back(entry);
  }

  void stage_uri(const std::string& field, const std::string& uri) {
    check_package(field, uri);
    if (is_url(uri)) return stage_url(field, uri);
    if (fs::is_directory(uri)) return add(stage_folder(field, fs::absolute(uri), root_));
    std::string name = fs::path(uri).filename().string();
    fs::path local = claim(field, uri, root_ / "downloads" / name);
    fs::copy_file(uri, local);
    place(field, uri, local);
  }

  std::vector<fs::path> result() const { return python_path_; }

 private:
  void stage_url(const std::string& field, const std::string& uri) {
    std::string name = url_file_name(uri);
    fs::path local = claim(field, uri, root_ / "downloads" / name);
    FetchProgress progress = options_.progress_for ? options_.progress_for(name) : FetchProgress{};
    try {
      fetch_url(uri, local, options_.limits, progress);
    } catch (const FetchError& e) {
      if (e.permanent()) throw InputError(field, uri, std::string("could not be fetched: ") + e.what());
      throw FetchError(field + ": " + uri + ": could not be fetched: " + e.what(), false);
    }
    place(field, uri, local);
  }

  // Puts a downloaded or copied file where Python finds it.
  void place(const std::string& field, const std::string& uri, const fs::path& local) {
    std::string name = local.filename().string();
    if (ends_with(name, ".whl")) {
      fs::path wheel = root_ / name;
      fs::rename(local, wheel);
      return add(wheel);
    }
    std::string suffix = archive_suffix(name);
    if (suffix.empty()) throw InputError(field, uri, kKinds);
    fs::path unpacked = root_ / "unpacked" / name.substr(0, name.size() - suffix.size());
    unpack_within_bounds(field, uri, local, unpacked);
    add(import_root(field, uri, unpacked));
  }

  // Refused on the archive's listing before anything is written, and checked again on what was
  // written; a refusal leaves neither the archive nor anything of it.
  void unpack_within_bounds(const std::string& field, const std::string& uri, const fs::path& local,
                            const fs::path& unpacked) {
    try {
      require_within_bounds(field, uri, listed_size(field, uri, local));
      unpack(field, uri, local, unpacked);
      UnpackedSize written = written_size(unpacked);
      require_within_bounds(field, uri, written);
      unpacked_ = {saturating_add(unpacked_.bytes, written.bytes), saturating_add(unpacked_.entries, written.entries)};
    } catch (...) {
      remove_all_of({local, unpacked});
      throw;
    }
  }

  void require_within_bounds(const std::string& field, const std::string& uri, const UnpackedSize& adding) const {
    std::int64_t bytes = saturating_add(unpacked_.bytes, adding.bytes);
    std::int64_t entries = saturating_add(unpacked_.entries, adding.entries);
    std::string so_far = unpacked_.entries ? ", with the packages before it," : "";
    if (bytes > options_.limits.max_bytes) {
      throw InputError(field, uri,
                       "unpacks" + so_far + " to " + std::to_string(bytes) + " bytes, more than the " +
                           std::to_string(options_.limits.max_bytes) +
                           " a job's packages may unpack to in all (MLJOB_PACKAGE_MAX_BYTES)");
    }
    if (entries > options_.max_unpacked_entries) {
      throw InputError(field, uri,
                       "unpacks" + so_far + " to " + std::to_string(entries) + " files and folders, more than the " +
                           std::to_string(options_.max_unpacked_entries) + " a job's packages may unpack to in all");
    }
  }

  fs::path claim(const std::string& field, const std::string& uri, const fs::path& target) {
    fs::create_directories(target.parent_path());
    if (fs::exists(target)) throw InputError(field, uri, "a package file of the same name is already staged");
    return target;
  }

  fs::path root_;
  const StagingOptions& options_;
  std::vector<fs::path> python_path_;
  UnpackedSize unpacked_;  // by the archives staged so far
};

}  // namespace

std::vector<fs::path> stage_packages(const std::string& package_path, const std::vector<std::string>& package_uris,
                                     const fs::path& package_root, const StagingOptions& options) {
  throw_if_interrupted();
  fs::create_directories(package_root);
  Stager stager(package_root, options);
  if (!package_path.empty()) {
    check_package_path(package_path);
    stager.add(stage_folder("--package-path", fs::absolute(package_path), package_root));
  }
  for (std::size_t i = 0; i < package_uris.size(); ++i) {
    throw_if_interrupted();  // between packages: a Ctrl-C stops staging here
    stager.stage_uri("trainingInput.packageUris[" + std::to_string(i) + "]", package_uris[i]);
  }
  return stager.result();
}

void unpack_archive(const std::string& field, const std::string& uri, const fs::path& archive, const fs::path& into,
                    const StagingOptions& options) {
  if (archive_suffix(archive.filename().string()).empty()) {
    throw InputError(field, uri, "must be an archive (.tar.gz, .tgz, .tar.bz2, .tar.xz, .tar or .zip)");
  }
  auto require_within_bounds = [&](const UnpackedSize& size) {
    if (size.bytes > options.limits.max_bytes) {
      throw InputError(field, uri,
                       "unpacks to " + std::to_string(size.bytes) + " bytes, more than the " +
                           std::to_string(options.limits.max_bytes) + " allowed (MLJOB_PACKAGE_MAX_BYTES)");
    }
    if (size.entries > options.max_unpacked_entries) {
      throw InputError(field, uri,
                       "unpacks to " + std::to_string(size.entries) + " files and folders, more than the " +
                           std::to_string(options.max_unpacked_entries) + " allowed");
    }
  };
  try {
    require_within_bounds(listed_size(field, uri, archive));
    unpack(field, uri, archive, into);
    require_within_bounds(written_size(into));
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(into, ignored);
    throw;
  }
}

void check_packages(const std::string& package_path, const std::vector<std::string>& package_uris) {
  if (!package_path.empty()) check_package_path(package_path);
  for (std::size_t i = 0; i < package_uris.size(); ++i) {
    check_package("trainingInput.packageUris[" + std::to_string(i) + "]", package_uris[i]);
  }
}

}  // namespace mljob
