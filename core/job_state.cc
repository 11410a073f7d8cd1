#include "core/job_state.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "base/files.h"

namespace mljob {
namespace {

bool failed_state(const std::string& s) {
  return s == "FAILED" || s == "TIMEOUT" || s == "NODE_FAIL" || s == "OUT_OF_MEMORY" || s == "BOOT_FAIL" ||
         s == "DEADLINE" || s == "PREEMPTED";
}

std::string cloud_state(const std::string& slurm_state) {
  if (slurm_state == "PENDING" || slurm_state == "REQUEUED" || slurm_state == "REQUEUE_HOLD" ||
      slurm_state == "REQUEUE_FED")
    return "QUEUED";
  if (slurm_state == "CONFIGURING") return "PREPARING";
  if (slurm_state == "RUNNING" || slurm_state == "COMPLETING" || slurm_state == "SUSPENDED" ||
      slurm_state == "RESIZING" || slurm_state == "SIGNALING" || slurm_state == "STAGE_OUT")
    return "RUNNING";
  if (slurm_state == "COMPLETED") return "SUCCEEDED";
  if (slurm_state == "CANCELLED" || slurm_state == "REVOKED") return "CANCELLED";
  if (failed_state(slurm_state)) return "FAILED";
  return "STATE_UNSPECIFIED";
}

// "was" for "The master", "were" for "The 4 workers" (a role of several replicas).
std::string was(const std::string& who) {
  std::size_t digits = who.find_first_of("0123456789");
  bool several = digits == 4 && who.compare(4, 2, "1 ") != 0;  // "The N ...", N not 1
  return several ? " were " : " was ";
}

// The node of a NODE_FAIL, as accounting names it. Accounting keeps the nodes of the allocation
// but not which of them failed: a component on several nodes names them all.
std::string failed_node(const AccountingRecord& r) {
  if (r.node_list.empty()) return "a node it ran on";
  bool several = r.node_list.find_first_of("[,") != std::string::npos;
  return several ? "one of its nodes (" + r.node_list + ")" : "its node " + r.node_list;
}

// Slurm's reasons, said plainly.
std::string explain(const AccountingRecord& r, const std::string& who) {
  const std::string& s = r.state;
  if (s == "TIMEOUT") return who + " reached its time limit and" + was(who) + "stopped";
  if (s == "NODE_FAIL") return who + " failed because " + failed_node(r) + " failed";
  if (s == "OUT_OF_MEMORY") return who + " ran out of memory (it used more than its machine type allows)";
  if (s == "PREEMPTED") return who + was(who) + "preempted by a higher-priority job";
  if (s == "BOOT_FAIL") return who + " could not start: a node failed to boot";
  if (s == "DEADLINE" && !r.start_time) {
    return "The job was removed before it started: it could not start within its maximum wait time "
           "(scheduling.maxWaitTime)";
  }
  if (s == "DEADLINE") return who + " did not finish before its deadline (scheduling.maxWaitTime + maxRunningTime)";
  if (r.exit_signal != 0) return who + was(who) + "killed by signal " + std::to_string(r.exit_signal);
  // slurmctld's records (used while accounting catches up) carry no exit code.
  if (r.exit_code == 0) return who + " failed";
  return who + " exited with status " + std::to_string(r.exit_code);
}

std::string role_of(const std::vector<std::string>& roles, int component) {
  if (component >= 0 && static_cast<std::size_t>(component) < roles.size()) return roles[component];
  if (component < 0 && !roles.empty()) return roles.front();
  return "component " + std::to_string(component);
}

bool is_training_step(const AccountingRecord& r) {
  return !r.step.empty() && std::isdigit(static_cast<unsigned char>(r.step[0]));
}

// A job slurmctld holds: it will not start by itself. Slurm's hold reasons: a user's or an
// administrator's hold (JobHeldUser, JobHeldAdmin), or its own after a launch that failed
// ("launch failed requeued held", e.g. slurmctld restarted while it launched the job).
bool held(const AccountingRecord& r) {
  return r.reason.rfind("JobHeld", 0) == 0 || r.reason.find("held") != std::string::npos;
}

std::string hold_message(const AccountingRecord& r) {
  return "Slurm holds this job (" + r.reason + "): it will not start until it is released (`scontrol release " +
         r.base_job_id + "`; only an administrator can release an administrator's hold) or cancelled (`mljob cancel`)";
}

// "The master, the 4 workers and the 3 ps".
std::string role_list(const std::vector<const AccountingRecord*>& allocations,
                      const std::vector<std::string>& component_roles) {
  std::string out;
  for (std::size_t i = 0; i < allocations.size(); ++i) {
    if (i > 0) out += i + 1 == allocations.size() ? " and " : ", ";
    out += (i == 0 ? "The " : "the ") + role_of(component_roles, allocations[i]->het_component);
  }
  return out;
}

}  // namespace

bool stopped_by_node_failure(const std::vector<AccountingRecord>& records) {
  return std::any_of(records.begin(), records.end(),
                     [](const AccountingRecord& record) { return record.step.empty() && record.state == "NODE_FAIL"; });
}

namespace {

// Slurm ends every component of a het job NODE_FAIL when a node of any one fails, and
// accounting keeps no record of which node it was: one message names the components and all
// their nodes, rather than blaming each component's own. nullopt when fewer than two failed so.
std::optional<std::string> node_failure_of_several(const std::vector<AccountingRecord>& allocations,
                                                   const std::vector<std::string>& component_roles) {
  std::vector<const AccountingRecord*> node_failed;
  std::string nodes;
  for (const auto& allocation : allocations) {
    if (allocation.state != "NODE_FAIL") continue;
    node_failed.push_back(&allocation);
    if (!allocation.node_list.empty()) nodes += (nodes.empty() ? "" : ", ") + allocation.node_list;
  }
  if (node_failed.size() < 2) return std::nullopt;
  return role_list(node_failed, component_roles) + " were stopped because a node of the job failed" +
         (nodes.empty() ? "" : " (one of " + nodes + "; `sinfo -R` names a node that is down, and why)");
}

// Which replicas failed, and how. In a het job the batch script's exit status is recorded on
// every component's allocation, so a component's own steps are asked first: they say whether
// its replicas failed; the allocation speaks only for a component that ran no step.
std::vector<std::string> failures(const std::vector<AccountingRecord>& allocations,
                                  const std::vector<AccountingRecord>& steps,
                                  const std::vector<std::string>& component_roles) {
  if (auto node_failure = node_failure_of_several(allocations, component_roles)) return {*node_failure};
  std::vector<std::string> problems;
  for (const auto& allocation : allocations) {
    std::string who = "The " + role_of(component_roles, allocation.het_component);
    bool ran_steps = false;
    const AccountingRecord* failed_step = nullptr;
    for (const auto& step : steps) {
      if (step.het_component != allocation.het_component) continue;
      ran_steps = true;
      if (!failed_step && failed_state(step.state)) failed_step = &step;
    }
    if (failed_step)
      problems.push_back(explain(*failed_step, who));
    else if (!ran_steps && failed_state(allocation.state))
      problems.push_back(explain(allocation, who));
    else if (failed_state(allocation.state) && allocation.state != "FAILED")
      problems.push_back(explain(allocation, who));
  }
  return problems;
}

// The replicas whose steps Slurm cancelled in a job that failed. srun's --kill-on-bad-exit
// cancels a step as soon as one of its tasks fails; when the step's other tasks were still
// running, accounting keeps the step as CANCELLED by the signal and the failing task's exit
// status is lost. Such a step is then the only trace of where the job failed, better than the
// batch script's status, which every component's allocation repeats.
std::vector<std::string> cancelled_replicas(const std::vector<AccountingRecord>& steps,
                                            const std::vector<std::string>& component_roles) {
  std::vector<std::string> problems;
  std::set<int> named;
  for (const auto& step : steps) {
    if (step.state != "CANCELLED" || !named.insert(step.het_component).second) continue;
    problems.push_back(explain(step, "The " + role_of(component_roles, step.het_component)));
  }
  return problems;
}

// "alice (uid 1001)", or "uid 1001" for a UID this machine cannot name. Remembered: a list of
// many cancelled jobs asks for the same few users, and a directory service can be slow.
std::string user_called(std::uint32_t uid) {
  static std::mutex guard;
  static std::map<std::uint32_t, std::string> known;
  std::lock_guard lock(guard);
  if (auto found = known.find(uid); found != known.end()) return found->second;
  std::string name = "uid " + std::to_string(uid);
  if (auto account = account_name(static_cast<uid_t>(uid))) name = *account + " (" + name + ")";
  return known[uid] = name;
}

// Who cancelled the job and when, as far as Slurm knows: accounting names the UID that
// cancelled it; the record knows whether its owner asked mljob to.
std::string cancellation(const AccountingRecord& master, bool cancel_requested) {
  std::string message = "Job cancelled";
  if (master.cancelled_by)
    message += " by user " + user_called(*master.cancelled_by);
  else if (cancel_requested)
    message += " by the user";
  if (master.end_time) message += " at " + rfc3339_utc(*master.end_time);
  return message;
}

}  // namespace

std::string cancel_requested_message() {
  return "Job cancellation requested by the user; Slurm is ending the job";
}

bool every_component_accounted(const std::vector<AccountingRecord>& records, std::size_t components) {
  std::set<int> with_allocation, with_step;
  for (const auto& record : records) {
    if (record.step.empty()) {
      with_allocation.insert(record.het_component);
    } else if (is_training_step(record)) {
      // A step accounting still shows running has not had its end (and exit status) written yet.
      if (!is_final_state(cloud_state(record.state))) return false;
      with_step.insert(record.het_component);
    }
  }
  if (components <= 1) return !with_allocation.empty() && !with_step.empty();
  for (int component = 0; component < static_cast<int>(components); ++component) {
    if (!with_allocation.contains(component) || !with_step.contains(component)) return false;
  }
  return true;
}

bool is_final_state(const std::string& state) {
  return state == "SUCCEEDED" || state == "FAILED" || state == "CANCELLED";
}

std::optional<double> consumed_ml_units(const std::vector<AccountingRecord>& allocations, std::int64_t now) {
  std::optional<double> units;
  for (const auto& allocation : allocations) {
    if (!allocation.billing || !allocation.start_time) continue;
    std::int64_t elapsed = 0;
    if (allocation.elapsed_seconds)
      elapsed = *allocation.elapsed_seconds;
    else if (allocation.end_time && *allocation.end_time <= now)
      elapsed = *allocation.end_time - *allocation.start_time;
    else
      elapsed = now - *allocation.start_time;  // running: slurmctld's end time is the limit
    units = units.value_or(0) + *allocation.billing * static_cast<double>(std::max<std::int64_t>(elapsed, 0)) / 3600.0;
  }
  return units;
}

JobStatus derive_status(std::vector<AccountingRecord> records, const std::vector<std::string>& component_roles,
                        bool cancel_requested, std::optional<std::int64_t> now) {
  JobStatus status;
  std::vector<AccountingRecord> allocations, steps;
  for (auto& record : records) {
    if (record.step.empty())
      allocations.push_back(std::move(record));
    else if (is_training_step(record))
      steps.push_back(std::move(record));
  }
  if (allocations.empty()) return status;
  std::sort(allocations.begin(), allocations.end(),
            [](const auto& a, const auto& b) { return a.het_component < b.het_component; });
  const AccountingRecord& master = allocations.front();
  status.state = cloud_state(master.state);
  status.create_time = master.submit_time;
  status.start_time = master.start_time;
  if (is_final_state(status.state)) status.end_time = master.end_time;
  if (cancel_requested && !is_final_state(status.state)) status.state = "CANCELLING";
  if (status.state != "QUEUED") {
    status.consumed_ml_units = consumed_ml_units(allocations, now.value_or(std::time(nullptr)));
  }

  std::vector<std::string> problems;
  if (status.state == "QUEUED" && held(master)) problems.push_back(hold_message(master));
  if (status.state == "CANCELLED") problems.push_back(cancellation(master, cancel_requested));
  if (status.state == "CANCELLING") problems.push_back(cancel_requested_message());
  for (auto& failure : failures(allocations, steps, component_roles)) problems.push_back(std::move(failure));
  if (status.state == "FAILED" && problems.empty()) problems = cancelled_replicas(steps, component_roles);
  // A failed job always says why, even when no replica's own record explains it.
  if (status.state == "FAILED" && problems.empty())
    problems.push_back(explain(master, "The " + role_of(component_roles, master.het_component)));
  for (const auto& problem : problems) {
    status.error_message += (status.error_message.empty() ? "" : "; ") + problem;
  }
  if (!status.error_message.empty()) status.error_message += ".";
  return status;
}

namespace {

void take_earliest(std::optional<std::int64_t>& into, const std::optional<std::int64_t>& time) {
  if (time && (!into || *time < *into)) into = time;
}

// "shard 2 of 4 failed: The shard exited with status 1": each unfinished shard and why.
std::string unsucceeded_shards(const std::vector<JobStatus>& shards) {
  std::string out;
  for (std::size_t i = 0; i < shards.size(); ++i) {
    if (shards[i].state == "SUCCEEDED") continue;
    std::string word = shards[i].state == "CANCELLED" ? "was cancelled" : "failed";
    std::string reason = shards[i].error_message;
    if (!reason.empty() && reason.back() == '.') reason.pop_back();
    out += (out.empty() ? "" : "; ") + std::string("shard ") + std::to_string(i) + " of " +
           std::to_string(shards.size()) + " " + word + (reason.empty() ? "" : " (" + reason + ")");
  }
  return out;
}

}  // namespace

JobStatus combine_shard_statuses(const std::vector<JobStatus>& shards, bool cancel_requested) {
  JobStatus status;
  if (shards.empty()) return status;
  bool all_final = true, all_succeeded = true, any_started = false, any_preparing = false;
  std::optional<std::int64_t> latest_end;
  for (const auto& shard : shards) {
    take_earliest(status.create_time, shard.create_time);
    take_earliest(status.start_time, shard.start_time);
    if (shard.end_time && (!latest_end || *shard.end_time > *latest_end)) latest_end = shard.end_time;
    bool final = is_final_state(shard.state);
    all_final = all_final && final;
    all_succeeded = all_succeeded && shard.state == "SUCCEEDED";
    any_started = any_started || final || shard.state == "RUNNING" || shard.state == "CANCELLING";
    any_preparing = any_preparing || shard.state == "PREPARING";
    if (shard.consumed_ml_units)
      status.consumed_ml_units = status.consumed_ml_units.value_or(0) + *shard.consumed_ml_units;
  }
  if (!all_final) {
    status.state = cancel_requested ? "CANCELLING" : any_started ? "RUNNING" : any_preparing ? "PREPARING" : "QUEUED";
    if (cancel_requested) status.error_message = cancel_requested_message() + ".";
    return status;
  }
  status.end_time = latest_end;
  if (all_succeeded) {
    status.state = "SUCCEEDED";
    return status;
  }
  status.state = cancel_requested ? "CANCELLED" : "FAILED";
  status.error_message = cancel_requested ? "The job was cancelled at the user's request: " : "";
  std::string which = unsucceeded_shards(shards);
  if (!cancel_requested && !which.empty()) which[0] = static_cast<char>(std::toupper(which[0]));
  status.error_message += which + ". `mljob resume` runs the unfinished shards again.";
  return status;
}

std::string rfc3339_utc(std::int64_t epoch_seconds) {
  std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

}  // namespace mljob
