// A recording stand-in for Slurm (SlurmAccess) for the study runtime's tests: it keeps every
// submission, cancel, signal and requeue, hands out job IDs, runs each job for one poll of
// slurmctld and then ends it as the test said, and answers slurmctld's and accounting's
// questions from that. Accounting can be made late or down, and a submission can "crash the
// controller" right after Slurm accepted it.
#pragma once

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "base/text.h"
#include "core/slurm_access.h"

namespace mljob::testing {

// Thrown by FakeSlurm::submit to stop the controller as a crash would: not a std::exception,
// so no handler of the controller's takes it for a refused submission.
struct SimulatedCrash {};

class FakeSlurm final : public SlurmAccess {
 public:
  struct Submission {
    BatchSubmission batch;
    std::string job_id;
  };

  // The state a job ends in after it ran ("COMPLETED", "FAILED", ...), by the job's ID ("100",
  // or "100_3" for element 3 of array 100). Called once per job when it ends. "FORGOTTEN": as
  // a job slurmctld forgot on a restart, gone from slurmctld and RUNNING in accounting for ever.
  std::function<std::string(const std::string& job_id)> on_end = [](const std::string&) { return "COMPLETED"; };
  // Crash (throw SimulatedCrash) right after accepting submission number `n` (1, 2, ...); 0: never.
  int crash_after_submission = 0;
  // The next this many submissions never reach slurmctld (it is away), as sbatch says then.
  mutable int unreachable_submissions = 0;
  // The next this many inventories (sinfo) find slurmctld away, as sinfo says then.
  mutable int unreachable_inventories = 0;
  // Accounting answers nothing for this many more calls (it lags), or fails (slurmdbd down).
  mutable int accounting_silent_calls = 0;
  mutable std::atomic<bool> accounting_down = false;
  mutable int accounting_failures = 0;  // how often accounting was asked while down
  // When > 0, accounting comes back by itself after failing this many calls in one outage, so
  // that a test need not guess, with a timer, when the controller has met the outage.
  int accounting_back_after_failures = 0;
  // slurmctld's memory: ended jobs stay in its answers this many polls, then only accounting has them.
  int ended_polls_in_slurmctld = 0;

  mutable std::vector<Submission> submissions;
  mutable std::vector<std::string> cancels, signals, requeues;

  std::string submit(const BatchSubmission& batch) const override {
    std::lock_guard lock(guard_);
    if (unreachable_submissions > 0) {
      --unreachable_submissions;
      throw SlurmError(
          "sbatch refused the job: sbatch: error: Batch job submission failed: Unable to contact slurm "
          "controller (connect failure)");
    }
    std::string id = std::to_string(next_id_++);
    submissions.push_back({batch, id});
    jobs_of(batch, id);
    if (crash_after_submission == static_cast<int>(submissions.size())) throw SimulatedCrash{};
    return id;
  }
  std::string submit_marked(const BatchSubmission& batch) const override { return submit(batch); }

  std::vector<AccountingRecord> queue(const std::vector<std::string>& ids) const override {
    std::lock_guard lock(guard_);
    std::vector<AccountingRecord> out;
    for (const auto& id : ids) {
      auto found = jobs_.find(id);
      if (found == jobs_.end()) continue;
      Job& job = found->second;
      if (job.state.empty()) {  // running for this one poll; it ends before the next
        out.push_back(allocation(id, "RUNNING"));
        job.state = on_end(id);
        continue;
      }
      if (job.polls_since_end++ < ended_polls_in_slurmctld) out.push_back(allocation(id, job.state));
    }
    return out;
  }

  std::vector<AccountingRecord> accounting(const std::vector<std::string>& ids) const override {
    std::lock_guard lock(guard_);
    if (accounting_down) {
      ++accounting_failures;
      if (accounting_back_after_failures > 0 && ++failures_this_outage_ >= accounting_back_after_failures) {
        accounting_down = false;
        failures_this_outage_ = 0;
      }
      throw SlurmError("sacct failed: slurmdbd is down (the test's)");
    }
    if (accounting_silent_calls > 0) {
      --accounting_silent_calls;
      return {};
    }
    std::vector<AccountingRecord> out;
    for (const auto& id : ids) {
      auto found = jobs_.find(id);
      if (found == jobs_.end() || found->second.state.empty()) continue;
      std::string state = found->second.state == "FORGOTTEN" ? "RUNNING" : found->second.state;
      out.push_back(allocation(id, state));
      AccountingRecord step = allocation(id, state);
      step.job_id += ".0";
      step.step = "0";
      out.push_back(step);
    }
    return out;
  }

  std::vector<ListedJob> live_jobs() const override {
    std::lock_guard lock(guard_);
    std::vector<ListedJob> out;
    for (const auto& [id, job] : jobs_) {
      if (job.state.empty() || job.polls_since_end < ended_polls_in_slurmctld) out.push_back({id, job.comment});
    }
    return out;
  }
  std::vector<ListedJob> accounted_jobs_named(const std::vector<std::string>&, std::time_t) const override {
    std::lock_guard lock(guard_);
    if (accounting_down) throw SlurmError("sacct failed: slurmdbd is down (the test's)");
    std::vector<ListedJob> out;
    for (const auto& [id, job] : jobs_) {
      if (!job.state.empty()) out.push_back({id, job.comment});
    }
    return out;
  }

  std::string inventory_text() const override {
    if (unreachable_inventories > 0) {
      --unreachable_inventories;
      throw SlurmError("sinfo failed: slurm_load_partitions: Unable to contact slurm controller (connect failure)");
    }
    // As sinfo -N prints the local cluster's nodes (core/testdata/sinfo_nodes.txt's format).
    return "n1|batch*|96|655360|(null)|(null)\nn2|batch*|96|655360|(null)|(null)\n";
  }
  std::optional<std::string> config_value(const std::string& name) const override {
    if (name == "MaxArraySize") return "1001";
    return std::nullopt;
  }
  void signal(const std::string& job_id, const std::string& signal_name) const override {
    std::lock_guard lock(guard_);
    signals.push_back(job_id + ":" + signal_name);
  }
  void cancel(const std::string& job_id) const override {
    std::lock_guard lock(guard_);
    cancels.push_back(job_id);
    if (auto found = jobs_.find(job_id); found != jobs_.end() && found->second.state.empty())
      found->second.state = "CANCELLED";
  }
  void requeue(const std::string& job_id) const override { requeues.push_back(job_id); }

  // As if Slurm had refused the last submission after all: no trace of it anywhere.
  void refuse_last_submission() {
    std::lock_guard lock(guard_);
    const std::string id = submissions.back().job_id;
    std::erase_if(jobs_, [&](const auto& job) { return job.first == id || job.first.rfind(id + "_", 0) == 0; });
    submissions.pop_back();
  }

  // Every job the fake has run or runs, by ID.
  std::set<std::string> job_ids() const {
    std::lock_guard lock(guard_);
    std::set<std::string> ids;
    for (const auto& [id, job] : jobs_) ids.insert(id);
    return ids;
  }

 private:
  struct Job {
    std::string state;  // empty while it runs
    std::string comment;
    int polls_since_end = 0;
  };

  // Records the jobs a submission makes, running: one, or one per element of its --array (read
  // from the script's #SBATCH line, as sbatch does).
  std::vector<std::string> jobs_of(const BatchSubmission& batch, const std::string& id) const {
    std::ifstream script(batch.script);
    std::string line, indices;
    while (std::getline(script, line)) {
      if (line.rfind("#SBATCH --array=", 0) == 0) indices = line.substr(16, line.find('%') - 16);
    }
    if (indices.empty()) {
      jobs_[id].comment = batch.options.comment;
      return {id};
    }
    std::vector<std::string> out;
    for (const auto& index : split(indices, ',')) {
      out.push_back(id + "_" + index);
      jobs_[out.back()].comment = batch.options.comment;
    }
    return out;
  }

  static AccountingRecord allocation(const std::string& id, const std::string& state) {
    AccountingRecord r;
    r.job_id = r.base_job_id = id;
    r.state = state;
    r.exit_code = state == "FAILED" ? 1 : 0;
    r.submit_time = 1000;
    r.start_time = 1001;
    if (state != "RUNNING") r.end_time = 1002;
    return r;
  }

  // The controller asks slurmctld and accounting at once, from two threads.
  mutable std::mutex guard_;
  mutable int next_id_ = 100;
  mutable int failures_this_outage_ = 0;
  mutable std::map<std::string, Job> jobs_;
};

}  // namespace mljob::testing
