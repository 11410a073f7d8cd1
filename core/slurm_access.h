// The one way mljob talks to Slurm: submit, cancel, requeue, ask about live jobs, ask
// accounting, and read the cluster's inventory and configuration. Everything above core takes
// this interface, never an implementation, so that a test can give it a recording fake and a
// service can route it through slurmrestd. Today's implementation runs Slurm's commands
// (core/slurm_commands.h).
#pragma once

#include <ctime>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/accounting.h"
#include "core/batch_script.h"
#include "core/cluster_inventory.h"

namespace mljob {

// Slurm refused, or could not be asked.
class SlurmError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Slurm's answer to a submission was lost (a timeout, a killed sbatch) and whether slurmctld
// accepted the job could not be told: the caller keeps the job's folder, which such a job
// would write into.
class SubmissionUnknown : public SlurmError {
 public:
  using SlurmError::SlurmError;
};

// A batch script to give Slurm, as sbatch takes it.
struct BatchSubmission {
  std::filesystem::path script;
  SubmitOptions options;                           // output file, working folder, comment
  std::map<std::string, std::string> environment;  // added to what the job inherits
};

// `base` ("mljob:JOB_ID") with a token of this submission's own appended ("mljob:JOB_ID:3f0c..."),
// so that a lookup by comment finds this submission's job and no earlier one of the same ID
// (a job whose folder was removed while it still ran, or one from another store).
std::string unique_comment(const std::string& base);

// Whether a SlurmError's text says that the request never reached slurmctld ("Unable to
// contact slurm controller (connect failure)", Slurm's words for it): nothing was done, so
// asking again once slurmctld is back cannot do anything twice.
bool slurmctld_unreachable(const std::string& error_text);

// A job as Slurm lists it with its comment: "123+1" (a het component), "456_3" or "456_[4-5%2]"
// (array elements, split off or still pending in the array's record).
struct ListedJob {
  std::string job_id;
  std::string comment;
};

class SlurmAccess {
 public:
  virtual ~SlurmAccess() = default;

  // Submits the script and returns the job ID. Throws SlurmError when Slurm refuses.
  virtual std::string submit(const BatchSubmission& submission) const = 0;
  // As submit, for a submission whose comment is its own alone (unique_comment): when Slurm's
  // answer may have been lost, the job is looked up by that comment and returned as if Slurm
  // had answered; when it cannot be told, throws SubmissionUnknown.
  virtual std::string submit_marked(const BatchSubmission& submission) const = 0;

  // Accounting's records (allocations and steps) of these jobs, the user's own only.
  virtual std::vector<AccountingRecord> accounting(const std::vector<std::string>& job_ids) const = 0;
  // As accounting, with every job that ever had one of these IDs (sacct --duplicates): a job
  // slurmctld forgot and whose ID it gave again, and each earlier run of a requeued job.
  virtual std::vector<AccountingRecord> accounting_every_run(const std::vector<std::string>& job_ids) const {
    return accounting(job_ids);
  }
  // slurmctld's view of the jobs it still holds, the user's own only; unknown IDs are absent.
  virtual std::vector<AccountingRecord> queue(const std::vector<std::string>& job_ids) const = 0;
  // Readies queue() before other threads start (an implementation may set up process state).
  virtual void prepare_queue() const {}

  // The nodes, partitions and GPUs the cluster has: as Slurm printed them (parse_sinfo_nodes
  // reads it, and the inventory cache keeps it), or parsed.
  virtual std::string inventory_text() const = 0;
  ClusterInventory inventory() const { return parse_sinfo_nodes(inventory_text()); }

  // A value of slurmctld's configuration, e.g. "MaxArraySize"; nullopt when it has none.
  virtual std::optional<std::string> config_value(const std::string& name) const = 0;

  // Every job of the user's that slurmctld still holds (ended ones for MinJobAge too).
  virtual std::vector<ListedJob> live_jobs() const = 0;
  // The user's jobs in accounting with one of these names, submitted since `since`, allocations only.
  virtual std::vector<ListedJob> accounted_jobs_named(const std::vector<std::string>& names,
                                                      std::time_t since) const = 0;

  // Sends a signal ("TERM") to the job's processes, leaving the job to end on its own.
  virtual void signal(const std::string& job_id, const std::string& signal_name) const = 0;
  // Cancels the job, every component. Cancelling a finished job is fine.
  virtual void cancel(const std::string& job_id) const = 0;
  // Puts a running batch job back in the queue: same ID, started again after the requeue delay.
  virtual void requeue(const std::string& job_id) const = 0;
};

}  // namespace mljob
