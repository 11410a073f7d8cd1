// SlurmAccess by Slurm's commands: sbatch, squeue (or libslurm in-process), sacct, sinfo,
// scontrol and scancel, run with argv (no shell). The only code that runs them.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <sys/types.h>

#include "core/slurm_access.h"

namespace mljob {

// The base IDs ("123" of "123+1") of the jobs in `squeue --format=%i|%k` output whose comment is
// exactly `comment`, lowest first.
std::vector<std::string> job_ids_with_comment(const std::string& squeue_output, const std::string& comment);

// Whether a failed sbatch may have lost slurmctld's answer rather than been refused: it timed
// out or lost the connection after sending, was killed, or printed no job ID. Such a job may
// exist.
bool answer_may_be_lost(int exit_code, const std::string& stderr_text);

// The commands behind live_jobs and accounted_jobs_named, for `user`. squeue's --all is about
// partitions (hidden ones included), not users; --states=all keeps ended jobs slurmctld holds.
// sacct cannot select by comment, so it selects by name and prints the comment.
std::vector<std::string> live_jobs_query(uid_t user);
std::vector<std::string> accounting_by_name_query(uid_t user, const std::vector<std::string>& names,
                                                  const std::string& since);
// "ID|COMMENT" lines, as both print them, read back; the comment may hold '|' itself.
std::vector<ListedJob> parse_listed_jobs(const std::string& listing);

class SlurmCommands final : public SlurmAccess {
 public:
  std::string submit(const BatchSubmission& submission) const override;
  std::string submit_marked(const BatchSubmission& submission) const override;

  // Runs `sbatch` with these arguments (argv[0] included) and returns the job ID. `environment`
  // is added to sbatch's own environment only, which sbatch passes on to the job. sbatch runs
  // in a process group of its own, so a Ctrl-C at the terminal does not kill it halfway: the
  // caller (under an InterruptionGuard) finishes the submission, then honours the signal.
  std::string submit(const std::vector<std::string>& sbatch_argv,
                     const std::map<std::string, std::string>& environment = {}) const;

  // As submit, for an argv whose --comment is this submission's alone (unique_comment). When
  // sbatch fails in a way that may have lost slurmctld's answer (answer_may_be_lost: "Socket
  // timed out" after the job was accepted, sbatch killed), the user's jobs are looked up by
  // that comment (squeue --me), looking again for a few seconds: the job found is returned
  // (several: the lowest is kept, the others cancelled), as if sbatch had said so. When none
  // is found, or squeue cannot answer, throws SubmissionUnknown, naming the comment: the
  // caller must keep the job's folder. A plain refusal throws SlurmError.
  std::string submit_marked(const std::vector<std::string>& sbatch_argv,
                            const std::map<std::string, std::string>& environment = {}) const;
  // The pauses before submit_marked's lookups (tests shorten them).
  void set_lookup_pauses(std::vector<std::chrono::milliseconds> pauses) { lookup_pauses_ = std::move(pauses); }

  // One sacct call for any number of jobs: each component's allocation and its steps, the
  // user's own jobs only (sacct shows every user's jobs when asked by ID, unless told --user).
  std::vector<AccountingRecord> accounting(const std::vector<std::string>& job_ids) const override;
  std::vector<AccountingRecord> accounting_every_run(const std::vector<std::string>& job_ids) const override;

  // slurmctld's view of the jobs it still holds: live jobs, and finished ones for MinJobAge
  // seconds, the user's own only (another user's job ID in a record reads as unknown). Unknown
  // IDs are simply absent. One libslurm call in-process (core/slurm_library.h),
  // or one squeue call where libslurm cannot answer.
  std::vector<AccountingRecord> queue(const std::vector<std::string>& job_ids) const override;
  // Readies queue()'s libslurm before other threads start: it sets SLURM_CONF as it starts.
  void prepare_queue() const override;

  // The nodes, partitions and GPUs the cluster has (one sinfo call), as sinfo printed them
  // (parse_sinfo_nodes reads it) or parsed.
  std::string inventory_text() const override;

  // A value of slurmctld's configuration (`scontrol show config`), e.g. "MaxArraySize".
  std::optional<std::string> config_value(const std::string& name) const override;

  // Asks Slurm to cancel the job (all its components). Cancelling a finished job is fine.
  std::vector<ListedJob> live_jobs() const override;
  std::vector<ListedJob> accounted_jobs_named(const std::vector<std::string>& names, std::time_t since) const override;
  void signal(const std::string& job_id, const std::string& signal_name) const override;
  void cancel(const std::string& job_id) const override;
  // Puts a running batch job back in the queue (`scontrol requeue`): Slurm ends this run, and
  // starts the job again, same ID, after its requeue delay. Throws when Slurm refuses.
  void requeue(const std::string& job_id) const override;

 private:
  // The user's jobs carrying `comment`; nullopt when squeue failed (its message in `error`).
  std::optional<std::vector<std::string>> jobs_with_comment(const std::string& comment, std::string& error) const;
  std::string keep_one(const std::vector<std::string>& found, const std::string& sbatch_error) const;

  std::vector<std::chrono::milliseconds> lookup_pauses_ = {std::chrono::milliseconds(0), std::chrono::seconds(1),
                                                           std::chrono::seconds(2), std::chrono::seconds(4)};
};

}  // namespace mljob
