#include "core/job_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <system_error>

#include "base/files.h"
#include "base/input_error.h"
#include "core/validation.h"

namespace mljob {
namespace {

namespace fs = std::filesystem;
constexpr const char* kRecordFile = "job.json";

nlohmann::json to_json(const JobRecord& record) {
  return {{"job", record.job},
          {"slurmJobId", record.slurm_job_id},
          {"componentRoles", record.component_roles},
          {"taskRoles", record.task_roles},
          {"cancelRequested", record.cancel_requested},
          {"frontDoor", record.front_door},
          {"shardJobs", record.shard_jobs},
          {"slurmComment", record.slurm_comment},
          {"submittedAt", record.submitted_at}};
}

JobRecord from_json(const nlohmann::json& in, const fs::path& folder) {
  JobRecord record;
  record.job = in.at("job");
  record.slurm_job_id = in.value("slurmJobId", "");
  record.component_roles = in.value("componentRoles", std::vector<std::string>{});
  record.task_roles = in.value("taskRoles", std::vector<std::string>{});
  record.cancel_requested = in.value("cancelRequested", false);
  record.folder = folder;
  record.front_door = in.value("frontDoor", nlohmann::json());
  record.shard_jobs = in.value("shardJobs", std::vector<std::string>{});
  record.slurm_comment = in.value("slurmComment", "");
  record.submitted_at = in.value("submittedAt", std::int64_t{0});
  return record;
}

// $MLJOB_HOME, else $HOME/.mljob.
fs::path store_path_from_environment() {
  if (const char* home = std::getenv("MLJOB_HOME"); home && *home) return home;
  if (const char* user_home = std::getenv("HOME"); user_home && *user_home) return fs::path(user_home) / ".mljob";
  throw InputError("MLJOB_HOME", "",
                   "is not set, and neither is HOME: set MLJOB_HOME to a folder of your own for your job records");
}

bool is_job_id(const std::string& name) {
  try {
    check_stored_job_name(name, "JOB_ID");
    return true;
  } catch (const InputError&) {
    return false;
  }
}

}  // namespace

void record_submission(JobRecord& record, std::string slurm_job_id, std::string comment) {
  record.slurm_job_id = std::move(slurm_job_id);
  record.slurm_comment = std::move(comment);
  record.submitted_at = std::time(nullptr);
}

JobStore::JobStore(fs::path root) : root_(std::move(root)) {}

// Absolute, so that no path made from it (a script given to sbatch, a folder given to tar)
// can start with '-' and be read as an option.
// No fallback to a folder every user shares (/tmp/.mljob): there, another user could create
// the store first and own it.
JobStore JobStore::from_environment() {
  JobStore store(fs::absolute(store_path_from_environment()));
  store.require_private();
  return store;
}

void JobStore::require_private() const {
  struct stat status {};
  if (::stat(root_.c_str(), &status) != 0) {
    if (errno == ENOENT) return;
    throw InputError("MLJOB_HOME", root_.string(), std::string("cannot be read: ") + std::strerror(errno));
  }
  if (!S_ISDIR(status.st_mode)) throw InputError("MLJOB_HOME", root_.string(), "is not a folder");
  if (auto why = why_not_own(status)) {
    throw InputError("MLJOB_HOME", root_.string(),
                     *why +
                         ": a store shared by several users would let each rewrite the others' job scripts; "
                         "use a store of your own (each user's MLJOB_HOME, e.g. the default ~/.mljob)");
  }
}

// A job ID becomes a path only once it is known to be one: "/tmp/x" or "../../y" would
// otherwise name a folder outside the store.
fs::path JobStore::folder_of(const std::string& job_id) const {
  check_stored_job_name(job_id, "JOB_ID");
  return root_ / "jobs" / job_id;
}

fs::path JobStore::reserve(const std::string& job_id) const {
  fs::path folder = folder_of(job_id);
  create_private_folders(root_);
  require_private();
  make_private_folder(root_ / "jobs");  // narrowed if an older mljob made it wider: it guards every job's folder
  // mkdir is atomic: of two submissions with one ID, exactly one wins. Its mode is chmod's,
  // not what the umask leaves of 0700.
  if (::mkdir(folder.c_str(), kPrivateFolderMode) != 0) {
    if (errno == EEXIST) {
      throw InputError("jobId", job_id,
                       "is already used by one of your jobs (" + folder.string() + "); job IDs must be unique");
    }
    throw std::system_error(errno, std::generic_category(), "cannot create " + folder.string());
  }
  if (::chmod(folder.c_str(), kPrivateFolderMode) != 0) {
    int error = errno;
    ::rmdir(folder.c_str());
    throw std::system_error(error, std::generic_category(), "cannot make " + folder.string() + " private");
  }
  return folder;
}

void JobStore::release(const std::string& job_id) const {
  std::error_code ignored;
  fs::remove_all(folder_of(job_id), ignored);
}

void JobStore::save(const JobRecord& record) const {
  write_atomically(record.folder / kRecordFile, to_json(record).dump(2) + "\n");
}

JobStore::Lock::~Lock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

JobStore::Lock JobStore::lock(const std::string& job_id) const {
  fs::path folder = folder_of(job_id);
  if (!fs::is_directory(folder))
    throw InputError("JOB_ID", job_id, "no such job among yours (in " + root_.string() + ")");
  fs::path file = folder / "job.lock";
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, kPrivateFileMode);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "cannot open " + file.string());
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno != EINTR) {
      int error = errno;
      ::close(fd);
      throw std::system_error(error, std::generic_category(), "cannot lock " + file.string());
    }
  }
  return Lock(fd);
}

std::optional<JobRecord> JobStore::load(const std::string& job_id) const {
  fs::path folder = folder_of(job_id);
  std::ifstream in(folder / kRecordFile);
  if (!in) return std::nullopt;
  try {
    return from_json(nlohmann::json::parse(in), folder);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("job record " + (folder / kRecordFile).string() + " is damaged: " + e.what());
  }
}

std::vector<JobRecord> JobStore::load_all() const {
  std::vector<JobRecord> records;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(root_ / "jobs", error)) {
    std::string name = entry.path().filename().string();
    if (!entry.is_directory() || !is_job_id(name)) continue;  // not a job's folder (lost+found, ...)
    if (auto record = load(name)) records.push_back(std::move(*record));
  }
  return records;
}

}  // namespace mljob
