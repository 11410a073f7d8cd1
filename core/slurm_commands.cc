#include "core/slurm_commands.h"
#include "base/text.h"
#include "core/slurm_config.h"

#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <iomanip>
#include <iostream>
#include <random>
#include <sstream>
#include <system_error>
#include <thread>

#include "core/process.h"
#include "core/slurm_library.h"

namespace mljob {
namespace {

// Commands that must not die halfway (sbatch; a lookup or a cancel that decides what is kept)
// run shielded from the terminal's signals (core/process.h).
constexpr ProcessOptions kShielded{.own_process_group = true};

ProcessResult run_slurm(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                        const ProcessOptions& options = {}) {
  try {
    return run_process(argv, env, options);
  } catch (const std::system_error& e) {
    throw SlurmError(std::string(e.what()) + " (is Slurm installed and on PATH?)");
  }
}

// sbatch --parsable prints "ID" or "ID;CLUSTER"; nullopt when it printed no job ID.
std::optional<std::string> printed_job_id(const std::string& out) {
  std::string id = trim(out);
  id = id.substr(0, id.find(';'));
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return id;
}

// What a failed sbatch said, for messages: a refusal, or a failure that may have lost the answer.
std::string sbatch_failure(const ProcessResult& result) {
  if (result.exit_code > 128) return "sbatch was killed by signal " + std::to_string(result.exit_code - 128);
  if (result.exit_code == 0) return "sbatch printed no job ID (output: '" + trim(result.out) + "')";
  if (answer_may_be_lost(result.exit_code, result.err)) return "sbatch failed: " + trim(result.err);
  return "sbatch refused the job: " + trim(result.err);
}

// The value of "--NAME=VALUE" in an argv, or "".
std::string option_value(const std::vector<std::string>& argv, const std::string& name) {
  std::string prefix = "--" + name + "=";
  for (const auto& argument : argv) {
    if (argument.starts_with(prefix)) return argument.substr(prefix.size());
  }
  return "";
}

// The user's own jobs only, whoever's job IDs a record holds: the uid Slurm's --me means.
std::string own_user() {
  return "--user=" + std::to_string(::getuid());
}

std::string join(const std::vector<std::string>& items, char separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : std::string(1, separator)) + item;
  return out;
}

}  // namespace

std::string unique_comment(const std::string& base) {
  std::random_device entropy;  // getrandom: no two submissions share a token
  std::ostringstream token;
  token << std::hex << std::setfill('0') << std::setw(8) << entropy() << std::setw(8) << entropy();
  return base + ":" + token.str();
}

std::vector<std::string> job_ids_with_comment(const std::string& squeue_output, const std::string& comment) {
  std::vector<std::string> ids;
  for (const auto& listed : parse_listed_jobs(squeue_output)) {
    if (trim(listed.comment) != comment) continue;
    std::string id = trim(listed.job_id);
    id = id.substr(0, id.find('+'));  // "123+1": a component of the het job 123
    if (!id.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;  // numerically: no leading zeros
  });
  return ids;
}

bool slurmctld_unreachable(const std::string& error_text) {
  return error_text.find("Unable to contact slurm controller") != std::string::npos;
}

bool answer_may_be_lost(int exit_code, const std::string& stderr_text) {
  if (exit_code == 0 || exit_code > 128) return true;  // no ID printed, or killed
  // Slurm's words for a request sent whose answer never came (slurm_errno.c); a connect
  // failure ("Unable to contact slurm controller (connect failure)") never reached slurmctld.
  for (const char* lost : {"timed out", "Zero Bytes were transmitted or received", "receive failure",
                           "Unable to receive", "Connection reset", "Communication shutdown failure"}) {
    if (stderr_text.find(lost) != std::string::npos) return true;
  }
  return false;
}

std::string SlurmCommands::submit(const BatchSubmission& submission) const {
  return submit(sbatch_arguments(submission.options, submission.script.string()), submission.environment);
}

std::string SlurmCommands::submit_marked(const BatchSubmission& submission) const {
  return submit_marked(sbatch_arguments(submission.options, submission.script.string()), submission.environment);
}

std::string SlurmCommands::submit(const std::vector<std::string>& sbatch_argv,
                                  const std::map<std::string, std::string>& environment) const {
  ProcessResult result = run_slurm(sbatch_argv, environment, kShielded);
  if (auto id = printed_job_id(result.out); id && result.exit_code == 0) return *id;
  throw SlurmError(sbatch_failure(result));
}

std::string SlurmCommands::submit_marked(const std::vector<std::string>& sbatch_argv,
                                         const std::map<std::string, std::string>& environment) const {
  std::string comment = option_value(sbatch_argv, "comment");
  if (comment.empty()) throw std::invalid_argument("submit_marked: the sbatch arguments have no --comment");
  ProcessResult result = run_slurm(sbatch_argv, environment, kShielded);
  if (auto id = printed_job_id(result.out); id && result.exit_code == 0) return *id;
  std::string failure = sbatch_failure(result);
  if (!answer_may_be_lost(result.exit_code, result.err)) throw SlurmError(failure);

  // slurmctld may have accepted the job and its answer been lost, or may still be working on
  // the request: look for the job a few times before giving up on it.
  std::string lookup_error;
  for (auto pause : lookup_pauses_) {
    std::this_thread::sleep_for(pause);
    if (auto found = jobs_with_comment(comment, lookup_error); found && !found->empty())
      return keep_one(*found, failure);
  }
  std::string folder = option_value(sbatch_argv, "chdir");
  std::string where = folder.empty() ? "" : "; its folder " + folder + " is kept in case Slurm runs it";
  std::string seen = lookup_error.empty() ? "no job of yours has its comment '" + comment + "' yet"
                                          : "your jobs could not be listed (" + lookup_error + ")";
  throw SubmissionUnknown(failure + ", and whether Slurm accepted the job cannot be told: " + seen + where +
                          ". Look with `squeue --me --format=%i,%k`: cancel a job with that comment, or remove the "
                          "folder if there is none");
}

std::optional<std::vector<std::string>> SlurmCommands::jobs_with_comment(const std::string& comment,
                                                                         std::string& error) const {
  ProcessResult result = run_slurm({"squeue", "--me", "--noheader", "--states=all", "--format=%i|%k"}, {}, kShielded);
  if (result.exit_code != 0) {
    error = "squeue failed: " + trim(result.err);
    return std::nullopt;
  }
  return job_ids_with_comment(result.out, comment);
}

// The job Slurm accepted though sbatch failed. Two with one comment (sbatch's own retry was
// accepted twice): the first is kept, the others cancelled, so that one job writes the folder.
std::string SlurmCommands::keep_one(const std::vector<std::string>& found, const std::string& sbatch_error) const {
  std::cerr << "mljob: " << sbatch_error << "; but Slurm had accepted the job, as " << found.front()
            << ": it is kept\n";
  for (std::size_t i = 1; i < found.size(); ++i) {
    try {
      cancel(found[i]);
      std::cerr << "mljob: Slurm job " << found[i] << " was the same submission accepted twice: cancelled\n";
    } catch (const SlurmError& error) {
      std::cerr << "mljob: Slurm job " << found[i]
                << " is the same submission accepted twice and could not be cancelled (" << error.what()
                << "): cancel it with `scancel " << found[i] << "`\n";
    }
  }
  return found.front();
}

namespace {

std::vector<AccountingRecord> sacct_records(const std::vector<std::string>& job_ids, bool every_run) {
  if (job_ids.empty()) return {};
  // Epoch times need no time-zone guessing. Steps are asked for too: in a het job the batch
  // script's exit status is given to every component, and only the steps say which failed.
  std::vector<std::string> argv = {
      "sacct",    "--noheader",      "--parsable2", own_user(),        "--starttime=1970-01-01",
      "--format", kAccountingFormat, "--jobs",      join(job_ids, ',')};
  if (every_run) argv.push_back("--duplicates");
  ProcessResult result = run_slurm(argv, {{"SLURM_TIME_FORMAT", "%s"}});
  if (result.exit_code != 0) throw SlurmError("sacct failed: " + trim(result.err));
  return parse_accounting(result.out);
}

}  // namespace

std::vector<AccountingRecord> SlurmCommands::accounting(const std::vector<std::string>& job_ids) const {
  return sacct_records(job_ids, false);
}

std::vector<AccountingRecord> SlurmCommands::accounting_every_run(const std::vector<std::string>& job_ids) const {
  return sacct_records(job_ids, true);
}

std::vector<AccountingRecord> SlurmCommands::queue(const std::vector<std::string>& job_ids) const {
  if (job_ids.empty()) return {};
  // In-process through libslurm when it can answer (a describe then costs one RPC, not a
  // squeue process); squeue otherwise, with the same fields (see QueuedJob).
  QueueSelection selection(job_ids, ::getuid());
  if (auto jobs = load_queued_jobs(selection)) return queued_records(*jobs, selection, std::time(nullptr));
  ProcessResult result = run_slurm(
      {"squeue", "--me", "--noheader", "--states=all", "--Format", kQueueFormat, "--jobs", join(job_ids, ',')},
      {{"SLURM_TIME_FORMAT", "%s"}});
  // squeue fails when it knows none of the IDs: that is an empty answer, not an error.
  if (result.exit_code != 0 && result.err.find("Invalid job id") != std::string::npos) return {};
  if (result.exit_code != 0) throw SlurmError("squeue failed: " + trim(result.err));
  return parse_queue(result.out);
}

void SlurmCommands::prepare_queue() const {
  prepare_slurm_library();
}

std::string SlurmCommands::inventory_text() const {
  ProcessResult result = run_slurm({"sinfo", "--noheader", "--Node", "--format", kSinfoNodeFormat});
  if (result.exit_code != 0) throw SlurmError("sinfo failed: " + trim(result.err));
  return result.out;
}

std::optional<std::string> SlurmCommands::config_value(const std::string& name) const {
  ProcessResult result = run_slurm({"scontrol", "show", "config"});
  if (result.exit_code != 0) throw SlurmError("scontrol show config failed: " + trim(result.err));
  return slurm_config_value(result.out, name);
}

void SlurmCommands::cancel(const std::string& job_id) const {
  ProcessResult result = run_slurm({"scancel", job_id}, {}, kShielded);
  if (result.exit_code != 0) {
    std::string message = trim(result.err);
    // A job that already ended cannot be cancelled again; that is not an error for us.
    if (message.find("already completed") != std::string::npos || message.find("Invalid job id") != std::string::npos)
      return;
    throw SlurmError("scancel failed: " + message);
  }
}

void SlurmCommands::requeue(const std::string& job_id) const {
  ProcessResult result = run_slurm({"scontrol", "requeue", job_id});
  if (result.exit_code != 0) throw SlurmError("scontrol requeue " + job_id + " failed: " + trim(result.err));
}

std::vector<std::string> live_jobs_query(uid_t user) {
  return {"squeue", "--noheader", "--all", "--states=all", "--user=" + std::to_string(user), "--format=%i|%k"};
}

std::vector<std::string> accounting_by_name_query(uid_t user, const std::vector<std::string>& names,
                                                  const std::string& since) {
  std::string joined;
  for (const auto& name : names) joined += (joined.empty() ? "" : ",") + name;
  return {"sacct",
          "--noheader",
          "--parsable2",
          "--allocations",
          "--user=" + std::to_string(user),
          "--starttime=" + since,
          "--name=" + joined,
          "--format=JobID,Comment"};
}

std::vector<ListedJob> parse_listed_jobs(const std::string& listing) {
  std::vector<ListedJob> jobs;
  std::istringstream lines(listing);
  for (std::string line; std::getline(lines, line);) {
    auto bar = line.find('|');
    if (bar == std::string::npos || bar == 0) continue;
    jobs.push_back({line.substr(0, bar), line.substr(bar + 1)});
  }
  return jobs;
}

std::vector<ListedJob> SlurmCommands::live_jobs() const {
  ProcessResult result = run_slurm(live_jobs_query(::getuid()));
  if (result.exit_code != 0) throw SlurmError("squeue failed: " + trim(result.err));
  return parse_listed_jobs(result.out);
}

std::vector<ListedJob> SlurmCommands::accounted_jobs_named(const std::vector<std::string>& names,
                                                           std::time_t since) const {
  std::tm local{};
  ::localtime_r(&since, &local);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &local);  // sacct reads local time
  ProcessResult result = run_slurm(accounting_by_name_query(::getuid(), names, text));
  if (result.exit_code != 0) throw SlurmError("sacct failed: " + trim(result.err));
  return parse_listed_jobs(result.out);
}

void SlurmCommands::signal(const std::string& job_id, const std::string& signal_name) const {
  ProcessResult result = run_slurm({"scancel", "--signal=" + signal_name, job_id}, {}, kShielded);
  if (result.exit_code != 0)
    throw SlurmError("scancel --signal=" + signal_name + " " + job_id + " failed: " + trim(result.err));
}

}  // namespace mljob
