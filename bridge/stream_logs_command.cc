// mljob stream-logs JOB_ID: the job's output as gcloud shows it: the master's by default, or
// every replica's with its role as a prefix; --tail N lines; --follow until the job ends.
// The lines come from output.log, where srun labels each line with its task's global rank.
#include <boost/program_options.hpp>

#include <chrono>
#include <deque>
#include <fstream>
#include <iostream>
#include <thread>

#include "base/input_error.h"
#include "bridge/command_line.h"
#include "bridge/logs_command.h"
#include "bridge/stream_logs_command.h"
#include "core/job_state.h"
#include "jobs/job_waiting.h"

namespace mljob::bridge {
namespace {

namespace po = boost::program_options;

struct LogFlags {
  std::string job_id;
  bool all_replicas = false;
  bool follow = false;
  int tail = -1;  // -1: everything
  std::string since;
};

// "3: text" (srun --label; leading spaces pad the rank) -> rank 3 and "text".
bool split_label(const std::string& line, int& rank, std::string& text) {
  std::size_t start = line.find_first_not_of(' ');
  std::size_t colon = line.find(": ", start);
  if (start == std::string::npos || colon == std::string::npos || colon == start) return false;
  for (std::size_t i = start; i < colon; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(line[i]))) return false;
  }
  rank = std::stoi(line.substr(start, colon - start));
  text = line.substr(colon + 2);
  return true;
}

// The line as shown, or nothing when it is not wanted.
std::optional<std::string> shown(const std::string& line, const JobRecord& record, bool all_replicas) {
  int rank = 0;
  std::string text;
  if (!split_label(line, rank, text)) return all_replicas ? std::optional(line) : std::nullopt;  // Slurm's own lines
  if (!all_replicas) return rank == 0 ? std::optional(text) : std::nullopt;                      // the master is rank 0
  std::string role = static_cast<std::size_t>(rank) < record.task_roles.size() ? record.task_roles[rank]
                                                                               : "task-" + std::to_string(rank);
  return role + "| " + text;
}

LogFlags parse(const Arguments& args) {
  LogFlags flags;
  po::options_description options("mljob stream-logs JOB_ID [--all-replicas] [--tail N] [--since TIME] [--follow]");
  options.add_options()("help,h", "show this help")("all-replicas", po::bool_switch(&flags.all_replicas),
                                                    "every replica's output, each line prefixed with its role")(
      "tail", po::value(&flags.tail), "only the last N lines")("follow,f", po::bool_switch(&flags.follow),
                                                               "keep printing new lines until the job ends")(
      "since", po::value(&flags.since), "only lines written at or after TIME (RFC 3339 or epoch seconds)");
  po::variables_map vm = parse_command_line(args, options, &flags.job_id);
  if (vm.count("help")) {
    std::cout << options << "\n";
    std::exit(kExitOk);
  }
  if (flags.job_id.empty()) throw InputError("JOB_ID", "", "is required");
  if (vm.count("tail") && flags.tail < 0)
    throw InputError("--tail", std::to_string(flags.tail), "must not be negative");
  return flags;
}

}  // namespace

int stream_logs(const Arguments& args, const SlurmAccess& slurm) {
  LogFlags flags = parse(args);
  if (!flags.since.empty()) {
    // output.log has no times; the collector's log store (metrics.db) has each line's time,
    // so `mljob logs` answers with the same selection.
    Arguments delegated = {flags.job_id, "--since", flags.since};
    if (!flags.all_replicas) delegated.insert(delegated.end(), {"--replica", "0"});
    if (flags.tail >= 0) delegated.insert(delegated.end(), {"--pos", "-" + std::to_string(flags.tail)});
    if (flags.follow) delegated.push_back("--follow");
    return logs_command(delegated, slurm);
  }
  JobStore store = JobStore::from_environment();
  auto record = store.load(flags.job_id);
  if (!record) throw InputError("JOB_ID", flags.job_id, "no such job among yours (in " + store.root().string() + ")");
  std::ifstream log(record->folder / "output.log");

  // What is there now: kept to the last --tail lines (memory bounded by N, not by the log).
  std::deque<std::string> backlog;
  std::string line;
  while (log && std::getline(log, line)) {
    auto text = shown(line, *record, flags.all_replicas);
    if (!text) continue;
    backlog.push_back(std::move(*text));
    if (flags.tail >= 0 && backlog.size() > static_cast<std::size_t>(flags.tail)) backlog.pop_front();
  }
  for (const auto& text : backlog) std::cout << text << "\n";
  std::cout << std::flush;
  if (!flags.follow) return kExitOk;

  // Follow: read what is appended, a whole line at a time, until the job has ended.
  std::string partial;
  jobs::follow_until_ended(*record, slurm, [&] {
    if (!log.is_open()) log.open(record->folder / "output.log");
    log.clear();
    char c;
    while (log.get(c)) {
      if (c != '\n') {
        partial += c;
        continue;
      }
      if (auto text = shown(partial, *record, flags.all_replicas)) std::cout << *text << "\n";
      partial.clear();
    }
    std::cout << std::flush;
  });
  return kExitOk;
}

}  // namespace mljob::bridge
