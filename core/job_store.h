// The user's job records: one folder per job under $MLJOB_HOME/jobs (default ~/.mljob),
// holding the spec as submitted, the batch script, the staged packages and the output.
// Slurm accounting stays the source of truth for state and times; the record keeps what
// Slurm cannot (the Job resource as the user wrote it, the Slurm job ID, a cancel request).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mljob {

struct JobRecord {
  nlohmann::json job;                 // the Job resource as submitted (jobId, labels, trainingInput)
  std::string slurm_job_id;
  std::vector<std::string> component_roles;  // readable role names per het component
  std::vector<std::string> task_roles;       // "master-0", "worker-3", ... by global task rank
  bool cancel_requested = false;
  std::filesystem::path folder;
};

class JobStore {
 public:
  explicit JobStore(std::filesystem::path root);
  // $MLJOB_HOME, else $HOME/.mljob, made absolute.
  static JobStore from_environment();

  const std::filesystem::path& root() const { return root_; }
  // root/jobs/JOB_ID. Every method that takes a job ID goes through it, so a job ID that is
  // not one ("/tmp/x", "../y") is a SpecError at JOB_ID, never a path outside the store.
  std::filesystem::path folder_of(const std::string& job_id) const;

  // Creates the job's folder; fails with SpecError if the job ID is already used.
  std::filesystem::path reserve(const std::string& job_id) const;
  // Removes a reserved folder after a failed submission: nothing half-done is left.
  void release(const std::string& job_id) const;

  // Atomically (write, then rename); throws, the record as it was, when it cannot be written.
  void save(const JobRecord& record) const;

  // An exclusive lock on one job's record, for read-modify-write (flock; released on scope exit).
  class Lock {
   public:
    explicit Lock(int fd) : fd_(fd) {}
    Lock(Lock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;
    Lock& operator=(Lock&&) = delete;
    ~Lock();

   private:
    int fd_;
  };
  Lock lock(const std::string& job_id) const;
  std::optional<JobRecord> load(const std::string& job_id) const;
  std::vector<JobRecord> load_all() const;

 private:
  std::filesystem::path root_;
};

}  // namespace mljob
