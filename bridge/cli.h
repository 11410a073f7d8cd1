// What every mljob command shares: exit codes, error reporting, output formats.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/batch_script.h"
#include "core/job_store.h"
#include "core/plan.h"
#include "core/slurm_access.h"

namespace mljob::cli {

// Exit codes: 0 success, 1 failure talking to Slurm or the system, 2 bad input (nothing done).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadInput = 2;

using Arguments = std::vector<std::string>;  // a command's arguments, without "mljob CMD"

// How submit reports: mljob's human form, or mljob-submit's job ID alone / one JSON line.
// kSilent prints nothing (the caller reports); `submitted_job_id`, if given, receives the ID.
enum class SubmitOutput { kHuman, kJobIdOnly, kJson, kSilent };
int submit_training(const Arguments& args, const SlurmAccess& slurm, SubmitOutput output = SubmitOutput::kHuman,
                    std::string* submitted_job_id = nullptr);

// A training job made ready to submit but not yet given to Slurm: the spec checked (as
// submit_training checks it, fit included), its folder reserved and filled (packages staged,
// metric declarations, job.sbatch). The record's slurm_job_id is empty; the caller submits the
// script (alone or as an element of a job array) and saves the record, or releases the folder.
struct PreparedJob {
  JobRecord record;
  SlurmPlan plan;
  std::filesystem::path script;
  SubmitOptions submit;
};
PreparedJob prepare_training(const Arguments& args, const SlurmAccess& slurm);
// The plan `mljob submit training ARGS` would make, without preparing or submitting anything.
SlurmPlan plan_training(const Arguments& args);

// Saves the record of a job Slurm has just accepted. When it cannot be written (a full disk, a
// quota), the job is cancelled, since no mljob command could find it without its record, and
// the error says so (or, where Slurm refuses the cancel too, which job to cancel by hand).
void save_or_cancel(const JobStore& store, const JobRecord& record, const SlurmAccess& slurm);
// Thrown by save_or_cancel when the cancel failed too: the job may still run and write into
// its folder, so the caller keeps the folder.
class UncancelledJobWithoutRecord : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Runs `command`, turning errors into a message on stderr prefixed by `program` and the exit
// code of their kind: bad input 2, Slurm or system failure 1, interrupted 128 + the signal.
int run_reporting_errors(const std::string& program, const std::function<int()>& command);

// Polls the job once a second until it has ended and Slurm has accounted every component;
// `on_poll` sees each Job resource read on the way. Returns the final Job resource.
nlohmann::json wait_for_end(const std::string& job_id, const SlurmAccess& slurm,
                            const std::function<void(const nlohmann::json&)>& on_poll);
int describe(const Arguments& args, const SlurmAccess& slurm);
int list(const Arguments& args, const SlurmAccess& slurm);
int cancel(const Arguments& args, const SlurmAccess& slurm);
int update(const Arguments& args);
int stream_logs(const Arguments& args, const SlurmAccess& slurm);
int metrics_command(const Arguments& args);  // mljob metrics (bridge/metrics_command.cc)
int logs_command(const Arguments& args, const SlurmAccess& slurm);     // mljob logs
int tiers(const Arguments& args, const SlurmAccess& slurm);
int check_tiers(const std::string& catalog_file, const SlurmAccess& slurm);

// Prints `value` as YAML (default) or JSON.
void print_formatted(const nlohmann::json& value, const std::string& format);
// Throws InputError on --format unless `format` is one of `allowed`.
void require_format(const std::string& format, const std::vector<std::string>& allowed);
// One row per job: id, state, times, ML units and error, in aligned columns.
void print_job_table(const std::vector<nlohmann::json>& jobs);
std::string to_yaml(const nlohmann::json& value);

}  // namespace mljob::cli
