#include "jobs/ffdl_staging.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <stdexcept>
#include <system_error>

#include "base/input_error.h"
#include "base/text.h"

namespace mljob::jobs {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kTooMuch = std::numeric_limits<std::int64_t>::max();

std::int64_t saturating_add(std::int64_t a, std::uint64_t b) {
  if (b > static_cast<std::uint64_t>(kTooMuch - a)) return kTooMuch;
  return a + static_cast<std::int64_t>(b);
}

struct ZipDiscard {
  void operator()(zip_t* archive) const {
    if (archive) zip_discard(archive);
  }
};
using ZipArchive = std::unique_ptr<zip_t, ZipDiscard>;

struct ZipFileClose {
  void operator()(zip_file_t* file) const {
    if (file) zip_fclose(file);
  }
};

std::string zip_error_text(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string text = zip_error_strerror(&error);
  zip_error_fini(&error);
  return text;
}

// Closes a file descriptor when it goes out of scope.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// What the source may unpack to, counted before anything is written.
class Budget {
 public:
  Budget(const ModelDefinitionLimits& limits, std::string field, std::string source)
      : limits_(limits), field_(std::move(field)), source_(std::move(source)) {}

  void add_entry(std::uint64_t bytes) {
    ++entries_;
    bytes_ = saturating_add(bytes_, bytes);
    if (entries_ > limits_.max_entries)
      refuse("holds more than " + std::to_string(limits_.max_entries) +
             " files and folders, the most a model "
             "definition may have");
    if (bytes_ > limits_.max_bytes)
      refuse("unpacks to more than " + std::to_string(limits_.max_bytes) +
             " bytes, the most a model definition "
             "may take (MLJOB_PACKAGE_MAX_BYTES)");
  }

  [[noreturn]] void refuse(const std::string& rule) const { throw InputError(field_, source_, rule); }

 private:
  ModelDefinitionLimits limits_;
  std::string field_, source_;
  std::int64_t entries_ = 0, bytes_ = 0;
};

// ---- the folder's parts ------------------------------------------------------------------

// Paths relative to a folder are lexical: fs::relative would resolve a link to where it leads.
// A name inside the model definition, checked: relative, no "..", no NUL or control characters.
// Returns its parts without "." and empty ones ("./a//b/" is a/b).
std::vector<std::string> safe_parts(const std::string& name, const Budget& budget) {
  if (name.empty()) budget.refuse("has an entry without a name");
  if (name.front() == '/') budget.refuse("has an entry with an absolute path: " + name);
  if (name.find('\\') != std::string::npos) budget.refuse("has an entry with a '\\' in its name: " + name);
  for (char c : name)
    if (std::iscntrl(static_cast<unsigned char>(c))) budget.refuse("has an entry whose name holds a control character");
  std::vector<std::string> parts;
  for (const auto& part : split(name, '/')) {
    if (part == "..") budget.refuse("has an entry that leads out of its folder: " + name);
    if (!part.empty() && part != ".") parts.push_back(part);
  }
  return parts;
}

// Makes `folder` (a new one, the owner's alone) or finds it made, never following a link.
void make_folder(const fs::path& folder, const Budget& budget) {
  if (::mkdir(folder.c_str(), 0700) == 0) return;
  struct stat status {};
  if (errno == EEXIST && ::lstat(folder.c_str(), &status) == 0 && S_ISDIR(status.st_mode)) return;
  budget.refuse("could not be unpacked: " + folder.string() + ": " + std::strerror(errno));
}

fs::path make_parents(const fs::path& root, const std::vector<std::string>& parts, std::size_t count,
                      const Budget& budget) {
  fs::path at = root;
  for (std::size_t i = 0; i < count; ++i) {
    at /= parts[i];
    make_folder(at, budget);
  }
  return at;
}

// A new file, never an existing one nor through a link: a name listed twice is refused.
int create_new_file(const fs::path& path, bool executable, const Budget& budget) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, executable ? 0700 : 0600);
  if (fd < 0 && errno == EEXIST) budget.refuse("lists " + path.filename().string() + " twice");
  if (fd < 0) budget.refuse("could not be unpacked: " + path.string() + ": " + std::strerror(errno));
  return fd;
}

void write_all(int fd, const char* data, std::size_t size, const fs::path& path, const Budget& budget) {
  while (size > 0) {
    ssize_t written = ::write(fd, data, size);
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) budget.refuse("could not be unpacked: " + path.string() + ": " + std::strerror(errno));
    data += written;
    size -= static_cast<std::size_t>(written);
  }
}

// ---- zip ---------------------------------------------------------------------------------

struct ZipEntry {
  zip_uint64_t index = 0;
  std::vector<std::string> parts;
  bool folder = false;
  bool executable = false;
  std::uint64_t size = 0;
};

// The Unix file type and mode bits an entry carries, 0 when the archive was made elsewhere.
mode_t unix_mode(zip_t* archive, zip_uint64_t index) {
  zip_uint8_t system = 0;
  zip_uint32_t attributes = 0;
  if (zip_file_get_external_attributes(archive, index, 0, &system, &attributes) != 0) return 0;
  return system == ZIP_OPSYS_UNIX ? static_cast<mode_t>(attributes >> 16) : 0;
}

ZipEntry read_entry(zip_t* archive, zip_uint64_t index, Budget& budget) {
  zip_stat_t status;
  zip_stat_init(&status);
  if (zip_stat_index(archive, index, 0, &status) != 0 || !(status.valid & ZIP_STAT_NAME) ||
      !(status.valid & ZIP_STAT_SIZE))
    budget.refuse("has an entry that cannot be read: " + std::string(zip_strerror(archive)));
  std::string name = status.name;
  if ((status.valid & ZIP_STAT_ENCRYPTION_METHOD) && status.encryption_method != ZIP_EM_NONE)
    budget.refuse("has an encrypted entry: " + name);
  mode_t mode = unix_mode(archive, index);
  mode_t type = mode & S_IFMT;
  if (type != 0 && type != S_IFREG && type != S_IFDIR)
    budget.refuse("has an entry that is a link or a special file, which is not unpacked: " + name);
  ZipEntry entry{index, safe_parts(name, budget), name.back() == '/' || type == S_IFDIR, (mode & S_IXUSR) != 0,
                 status.size};
  budget.add_entry(entry.folder ? 0 : entry.size);
  return entry;
}

std::vector<ZipEntry> list_zip(zip_t* archive, Budget& budget) {
  zip_int64_t count = zip_get_num_entries(archive, 0);
  std::vector<ZipEntry> entries;
  for (zip_int64_t i = 0; i < count; ++i) entries.push_back(read_entry(archive, static_cast<zip_uint64_t>(i), budget));
  return entries;
}

// Copies one entry's bytes, at most its listed size: a member that says 1 KiB and inflates to
// 1 TiB stops at 1 KiB and is refused.
void unpack_file(zip_t* archive, const ZipEntry& entry, const fs::path& path, const Budget& budget) {
  FileDescriptor out(create_new_file(path, entry.executable, budget));
  std::unique_ptr<zip_file_t, ZipFileClose> in(zip_fopen_index(archive, entry.index, 0));
  if (!in) budget.refuse("could not be unpacked: " + std::string(zip_strerror(archive)));
  char buffer[1 << 16];
  std::uint64_t total = 0;
  for (;;) {
    zip_int64_t got = zip_fread(in.get(), buffer, sizeof buffer);
    if (got < 0) budget.refuse("is damaged: " + path.filename().string() + ": " + zip_file_strerror(in.get()));
    if (got == 0) break;
    total += static_cast<std::uint64_t>(got);
    if (total > entry.size) budget.refuse("holds more in " + path.filename().string() + " than its listing says");
    write_all(out.get(), buffer, static_cast<std::size_t>(got), path, budget);
  }
  if (total != entry.size) budget.refuse("holds less in " + path.filename().string() + " than its listing says");
}

void unpack_zip(const fs::path& zip, const fs::path& model_dir, Budget& budget) {
  int code = 0;
  ZipArchive archive(zip_open(zip.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code));
  if (!archive) budget.refuse("is not a zip file that can be read: " + zip_error_text(code));
  std::vector<ZipEntry> entries = list_zip(archive.get(), budget);  // all checked before any is written
  make_folder(model_dir, budget);
  for (const auto& entry : entries) {
    if (entry.parts.empty()) continue;  // "./"
    if (entry.folder) {
      make_parents(model_dir, entry.parts, entry.parts.size(), budget);
      continue;
    }
    fs::path parent = make_parents(model_dir, entry.parts, entry.parts.size() - 1, budget);
    unpack_file(archive.get(), entry, parent / entry.parts.back(), budget);
  }
}

// ---- folder ------------------------------------------------------------------------------

void copy_folder(const fs::path& source, const fs::path& model_dir, Budget& budget) {
  std::vector<fs::directory_entry> entries;
  for (const auto& entry : fs::recursive_directory_iterator(source)) {
    fs::file_status status = entry.symlink_status();
    std::string relative = entry.path().lexically_relative(source).string();
    if (fs::is_symlink(status))
      budget.refuse("has a link, " + relative + ", which is not copied (it could lead outside the model definition)");
    if (!fs::is_regular_file(status) && !fs::is_directory(status))
      budget.refuse("has a special file, " + relative + ", which is not copied");
    budget.add_entry(fs::is_regular_file(status) ? entry.file_size() : 0);
    entries.push_back(entry);
  }
  make_folder(model_dir, budget);
  for (const auto& entry : entries) {  // a folder comes before what it holds
    fs::path target = model_dir / entry.path().lexically_relative(source);
    if (entry.is_directory()) {
      make_folder(target, budget);
      continue;
    }
    bool executable = (entry.status().permissions() & fs::perms::owner_exec) != fs::perms::none;
    FileDescriptor out(create_new_file(target, executable, budget));
    std::ifstream in(entry.path(), std::ios::binary);
    if (!in) budget.refuse("could not be read: " + entry.path().string());
    char buffer[1 << 16];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0)
      write_all(out.get(), buffer, static_cast<std::size_t>(in.gcount()), target, budget);
  }
}

bool is_zip_name(const fs::path& path) {
  std::string extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return extension == ".zip";
}

void make_result_folder(const fs::path& folder, const std::string& field) {
  std::error_code error;
  fs::create_directories(folder, error);
  if (error) throw InputError(field, folder.string(), "cannot be made: " + error.message());
}

// ---- writing zips ------------------------------------------------------------------------

void add_to_zip(zip_t* archive, const fs::directory_entry& entry, const std::string& name, ZipSummary& summary) {
  fs::file_status status = entry.symlink_status();
  auto mode = static_cast<zip_uint32_t>(status.permissions() & fs::perms::mask);
  zip_int64_t index = -1;
  if (fs::is_directory(status)) {
    index = zip_dir_add(archive, name.c_str(), ZIP_FL_ENC_UTF_8);
    mode |= S_IFDIR;
  } else {
    zip_source_t* source = zip_source_file_create(entry.path().c_str(), 0, -1, nullptr);
    if (source) index = zip_file_add(archive, name.c_str(), source, ZIP_FL_ENC_UTF_8);
    if (source && index < 0) zip_source_free(source);
    mode |= S_IFREG;
    summary.files += 1;
    summary.bytes = saturating_add(summary.bytes, entry.file_size());
  }
  if (index < 0 ||
      zip_file_set_external_attributes(archive, static_cast<zip_uint64_t>(index), 0, ZIP_OPSYS_UNIX, mode << 16) != 0)
    throw std::runtime_error(entry.path().string() + ": cannot be added to a zip: " + zip_strerror(archive));
}

// libzip writes no file for an archive without entries; an empty folder is still a zip: the
// end-of-central-directory record alone.
ZipSummary write_empty_zip(const fs::path& zip_path, ZipArchive archive) {
  archive.reset();
  static constexpr char kEmptyZip[22] = {'P', 'K', 5, 6};
  std::ofstream out(zip_path, std::ios::binary | std::ios::trunc);
  if (!out.write(kEmptyZip, sizeof kEmptyZip) || !out.flush())
    throw std::runtime_error(zip_path.string() + ": cannot be written");
  return {};
}

}  // namespace

void stage_model_definition(const fs::path& source, const fs::path& model_dir, const std::string& field,
                            const ModelDefinitionLimits& limits) {
  Budget budget(limits, field, source.string());
  std::error_code error;
  if (fs::exists(fs::symlink_status(model_dir, error)))
    throw std::runtime_error(model_dir.string() + " already exists: a model definition is staged only once");
  fs::file_status status = fs::status(source, error);
  try {
    if (fs::is_directory(status))
      copy_folder(source, model_dir, budget);
    else if (fs::is_regular_file(status) && is_zip_name(source))
      unpack_zip(source, model_dir, budget);
    else
      budget.refuse(fs::exists(status) ? "must be a .zip file or a folder" : "no such file or folder");
  } catch (...) {
    fs::remove_all(model_dir, error);
    throw;
  }
}

void prepare_ffdl_folders(const FfdlFolders& folders) {
  const std::string data_field = "data_stores[0].training_data.container";
  if (!fs::is_directory(folders.data_dir) || ::access(folders.data_dir.c_str(), R_OK | X_OK) != 0)
    throw InputError(data_field, folders.data_dir, "is not a folder you can read here (FfDL's DATA_DIR)");
  std::error_code error;
  fs::create_directories(folders.log_dir, error);
  if (error) throw std::runtime_error(folders.log_dir + ": cannot be made: " + error.message());
  const std::string results_field = "data_stores[0].training_results.container";
  if (fs::exists(fs::symlink_status(folders.result_dir, error)))
    throw InputError(results_field, folders.result_dir, "already exists: RESULT_DIR is this training's own");
  make_result_folder(folders.result_dir, results_field);
  make_result_folder(folders.checkpoint_dir, results_field);
}

ZipSummary write_zip(const fs::path& folder, const fs::path& zip_path) {
  if (!fs::is_directory(folder)) throw std::runtime_error(folder.string() + ": not a folder to zip");
  int code = 0;
  ZipArchive archive(zip_open(zip_path.c_str(), ZIP_CREATE | ZIP_EXCL, &code));
  if (!archive) throw std::runtime_error(zip_path.string() + ": cannot be created: " + zip_error_text(code));
  std::vector<fs::directory_entry> entries(fs::recursive_directory_iterator(folder), {});
  std::sort(entries.begin(), entries.end());  // the same folder gives the same listing
  ZipSummary summary;
  for (const auto& entry : entries) {
    fs::path relative = entry.path().lexically_relative(folder);
    fs::file_status status = entry.symlink_status();
    if (!fs::is_directory(status) && !fs::is_regular_file(status)) {
      summary.skipped.push_back(relative);
      continue;
    }
    add_to_zip(archive.get(), entry, relative.string() + (fs::is_directory(status) ? "/" : ""), summary);
  }
  if (entries.empty()) return write_empty_zip(zip_path, std::move(archive));
  if (zip_close(archive.get()) != 0)
    throw std::runtime_error(zip_path.string() + ": cannot be written: " + zip_strerror(archive.get()));
  archive.release();  // zip_close freed it
  return summary;
}

}  // namespace mljob::jobs
