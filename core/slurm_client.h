// The one place that runs Slurm's commands. Everything else gets values from here.
#pragma once

#include <stdexcept>
#include <optional>
#include <map>
#include <string>
#include <vector>

#include "core/accounting.h"
#include "core/cluster_inventory.h"

namespace mljob {

class SlurmError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class SlurmClient {
 public:
  // Runs `sbatch` with these arguments (argv[0] included) and returns the job ID. `environment`
  // is added to sbatch's own environment only, which sbatch passes on to the job.
  std::string submit(const std::vector<std::string>& sbatch_argv,
                     const std::map<std::string, std::string>& environment = {}) const;

  // One sacct call for any number of jobs: each component's allocation and its steps.
  std::vector<AccountingRecord> accounting(const std::vector<std::string>& job_ids) const;

  // slurmctld's view of the jobs it still holds: live jobs, and finished ones for MinJobAge
  // seconds. Unknown IDs are simply absent. One libslurm call in-process (core/slurm_library.h),
  // or one squeue call where libslurm cannot answer.
  std::vector<AccountingRecord> queue(const std::vector<std::string>& job_ids) const;
  // Readies queue()'s libslurm before other threads start: it sets SLURM_CONF as it starts.
  void prepare_queue() const;

  // The nodes, partitions and GPUs the cluster has (one sinfo call), as sinfo printed them
  // (parse_sinfo_nodes reads it) or parsed.
  std::string inventory_text() const;
  ClusterInventory inventory() const;

  // A value of slurmctld's configuration (`scontrol show config`), e.g. "MaxArraySize".
  std::optional<std::string> config_value(const std::string& name) const;

  // Asks Slurm to cancel the job (all its components). Cancelling a finished job is fine.
  void cancel(const std::string& job_id) const;
  // Puts a running batch job back in the queue (`scontrol requeue`): Slurm ends this run, and
  // starts the job again, same ID, after its requeue delay. Throws when Slurm refuses.
  void requeue(const std::string& job_id) const;
};

}  // namespace mljob
