#include "core/job_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <system_error>

#include "core/files.h"
#include "core/spec_error.h"
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
          {"cancelRequested", record.cancel_requested}};
}

JobRecord from_json(const nlohmann::json& in, const fs::path& folder) {
  JobRecord record;
  record.job = in.at("job");
  record.slurm_job_id = in.value("slurmJobId", "");
  record.component_roles = in.value("componentRoles", std::vector<std::string>{});
  record.task_roles = in.value("taskRoles", std::vector<std::string>{});
  record.cancel_requested = in.value("cancelRequested", false);
  record.folder = folder;
  return record;
}

bool is_job_id(const std::string& name) {
  try {
    check_job_id(name);
    return true;
  } catch (const SpecError&) {
    return false;
  }
}

}  // namespace

JobStore::JobStore(fs::path root) : root_(std::move(root)) {}

// Absolute, so that no path made from it (a script given to sbatch, a folder given to tar)
// can start with '-' and be read as an option.
JobStore JobStore::from_environment() {
  if (const char* home = std::getenv("MLJOB_HOME"); home && *home) return JobStore(fs::absolute(home));
  const char* user_home = std::getenv("HOME");
  return JobStore(fs::absolute(fs::path(user_home && *user_home ? user_home : "/tmp") / ".mljob"));
}

// A job ID becomes a path only once it is known to be one: "/tmp/x" or "../../y" would
// otherwise name a folder outside the store.
fs::path JobStore::folder_of(const std::string& job_id) const {
  check_job_id(job_id, "JOB_ID");
  return root_ / "jobs" / job_id;
}

fs::path JobStore::reserve(const std::string& job_id) const {
  fs::create_directories(root_ / "jobs");
  fs::path folder = folder_of(job_id);
  // create_directory is atomic: of two submissions with one ID, exactly one wins.
  if (!fs::create_directory(folder)) {
    throw SpecError("jobId", job_id, "is already used by one of your jobs (" + folder.string() + "); job IDs must be unique");
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
  if (!fs::is_directory(folder)) throw SpecError("JOB_ID", job_id, "no such job among yours (in " + root_.string() + ")");
  fs::path file = folder / "job.lock";
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
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
