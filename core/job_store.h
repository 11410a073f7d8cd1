// The user's job records: one folder per job under $MLJOB_HOME/jobs (default ~/.mljob),
// holding the spec as submitted, the batch script, the staged packages and the output.
// Slurm accounting stays the source of truth for state and times; the record keeps what
// Slurm cannot (the Job resource as the user wrote it, the Slurm job ID, a cancel request).
//
// A store is one user's: records hold trainer arguments, environment values and package URLs,
// and job.sbatch runs as the user, so a store another user could write would let them run code
// as this user. A store that belongs to someone else or that a group or everyone may write is
// refused; jobs/ and every job folder are 0700, every record 0600, whatever the umask.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mljob {

struct JobRecord {
  nlohmann::json job;  // the Job resource as submitted (jobId, labels, trainingInput)
  std::string slurm_job_id;
  std::vector<std::string> component_roles;  // readable role names per het component
  std::vector<std::string> task_roles;       // "master-0", "worker-3", ... by global task rank
  bool cancel_requested = false;
  std::filesystem::path folder;
  // A job from the SageMaker or FfDL front door: {"api": "sagemaker" | "ffdl", "request": the
  // request or manifest as given}, for describe and list in that API's terms. Null otherwise.
  nlohmann::json front_door;
  // A batch prediction job's shards: the Slurm job of each shard's latest run ("123_4", and
  // after `mljob resume`, "456_4" for a shard run again). Empty for other jobs.
  std::vector<std::string> shard_jobs;
  // The comment its Slurm job was submitted with (mljob's mark, e.g. "mljob:JOB:TOKEN", or a
  // trial array's "mljob:STUDY_trials:1,2"): the Slurm records of its ID that carry another
  // comment are another job's (jobs/job_view.cc). Empty in records made before mljob kept it,
  // and for a prediction job, whose shards' arrays each have their own ("mljob:JOB:TOKEN").
  std::string slurm_comment;
  // When sbatch took its Slurm job (epoch seconds; 0 in records made before mljob kept it):
  // a job that neither slurmctld nor accounting has long after it was submitted was lost.
  std::int64_t submitted_at = 0;
};

// Notes in `record` that sbatch took its job now, as `slurm_job_id`, marked with `comment`.
void record_submission(JobRecord& record, std::string slurm_job_id, std::string comment);

class JobStore {
 public:
  explicit JobStore(std::filesystem::path root);
  // $MLJOB_HOME, else $HOME/.mljob, made absolute. An InputError at MLJOB_HOME when neither
  // variable is set (there is no shared fallback such as /tmp), or when the store exists and
  // is not the user's own (see require_private).
  static JobStore from_environment();

  // Throws an InputError at MLJOB_HOME when the store's folder belongs to another user or a
  // group or everyone may write it: a store shared by several users would let each rewrite
  // the others' job scripts. A store that does not exist yet passes (reserve creates it).
  void require_private() const;

  const std::filesystem::path& root() const { return root_; }
  // root/jobs/JOB_ID. Every method that takes a job ID goes through it, so a job ID that is
  // not one ("/tmp/x", "../y") is an InputError at JOB_ID, never a path outside the store.
  std::filesystem::path folder_of(const std::string& job_id) const;

  // Creates the job's folder (mode 0700; the store and jobs/ too, 0700, if missing, and jobs/
  // narrowed to 0700 if it is wider); fails with InputError if the job ID is already used or
  // the store is not the user's own.
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
