#include "core/slurm_client.h"
#include "core/slurm_config.h"
#include "core/text.h"

#include <ctime>
#include <system_error>

#include "core/process.h"
#include "core/slurm_library.h"

namespace mljob {
namespace {

ProcessResult run_slurm(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {}) {
  try {
    return run_process(argv, env);
  } catch (const std::system_error& e) {
    throw SlurmError(std::string(e.what()) + " (is Slurm installed and on PATH?)");
  }
}

std::string join(const std::vector<std::string>& items, char separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : std::string(1, separator)) + item;
  return out;
}

}  // namespace

std::string SlurmClient::submit(const std::vector<std::string>& sbatch_argv,
                                const std::map<std::string, std::string>& environment) const {
  ProcessResult result = run_slurm(sbatch_argv, environment);
  if (result.exit_code != 0) throw SlurmError("sbatch refused the job: " + trim(result.err));
  // --parsable prints "ID" or "ID;CLUSTER".
  std::string id = trim(result.out);
  id = id.substr(0, id.find(';'));
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
    throw SlurmError("sbatch printed no job ID (output: '" + trim(result.out) + "')");
  }
  return id;
}

std::vector<AccountingRecord> SlurmClient::accounting(const std::vector<std::string>& job_ids) const {
  if (job_ids.empty()) return {};
  // Epoch times need no time-zone guessing. Steps are asked for too: in a het job the batch
  // script's exit status is given to every component, and only the steps say which failed.
  std::vector<std::string> argv = {"sacct", "--noheader", "--parsable2",
                                   "--starttime=1970-01-01", "--format", kAccountingFormat,
                                   "--jobs", join(job_ids, ',')};
  ProcessResult result = run_slurm(argv, {{"SLURM_TIME_FORMAT", "%s"}});
  if (result.exit_code != 0) throw SlurmError("sacct failed: " + trim(result.err));
  return parse_accounting(result.out);
}

std::vector<AccountingRecord> SlurmClient::queue(const std::vector<std::string>& job_ids) const {
  if (job_ids.empty()) return {};
  // In-process through libslurm when it can answer (a describe then costs one RPC, not a
  // squeue process); squeue otherwise, with the same fields (see QueuedJob).
  QueueSelection selection(job_ids);
  if (auto jobs = load_queued_jobs(selection)) return queued_records(*jobs, selection, std::time(nullptr));
  ProcessResult result = run_slurm({"squeue", "--noheader", "--states=all", "--Format", kQueueFormat, "--jobs",
                                    join(job_ids, ',')},
                                   {{"SLURM_TIME_FORMAT", "%s"}});
  // squeue fails when it knows none of the IDs: that is an empty answer, not an error.
  if (result.exit_code != 0 && result.err.find("Invalid job id") != std::string::npos) return {};
  if (result.exit_code != 0) throw SlurmError("squeue failed: " + trim(result.err));
  return parse_queue(result.out);
}

void SlurmClient::prepare_queue() const { prepare_slurm_library(); }

std::string SlurmClient::inventory_text() const {
  ProcessResult result = run_slurm({"sinfo", "--noheader", "--Node", "--format", kSinfoNodeFormat});
  if (result.exit_code != 0) throw SlurmError("sinfo failed: " + trim(result.err));
  return result.out;
}

ClusterInventory SlurmClient::inventory() const { return parse_sinfo_nodes(inventory_text()); }

std::optional<std::string> SlurmClient::config_value(const std::string& name) const {
  ProcessResult result = run_slurm({"scontrol", "show", "config"});
  if (result.exit_code != 0) throw SlurmError("scontrol show config failed: " + trim(result.err));
  return slurm_config_value(result.out, name);
}

void SlurmClient::cancel(const std::string& job_id) const {
  ProcessResult result = run_slurm({"scancel", job_id});
  if (result.exit_code != 0) {
    std::string message = trim(result.err);
    // A job that already ended cannot be cancelled again; that is not an error for us.
    if (message.find("already completed") != std::string::npos || message.find("Invalid job id") != std::string::npos) return;
    throw SlurmError("scancel failed: " + message);
  }
}

void SlurmClient::requeue(const std::string& job_id) const {
  ProcessResult result = run_slurm({"scontrol", "requeue", job_id});
  if (result.exit_code != 0) throw SlurmError("scontrol requeue " + job_id + " failed: " + trim(result.err));
}

}  // namespace mljob
