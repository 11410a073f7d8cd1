#include "jobs/job_view.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <functional>
#include <future>
#include <iostream>
#include <map>
#include <optional>
#include <set>

#include "core/job_filter.h"
#include "core/job_state.h"
#include "jobs/prediction_view.h"

namespace mljob::jobs {

namespace {

using RecordsByJob = std::map<std::string, std::vector<AccountingRecord>>;

RecordsByJob group(std::vector<AccountingRecord> records) {
  RecordsByJob by_job;
  for (auto& record : records) by_job[record.base_job_id].push_back(std::move(record));
  return by_job;
}

bool still_running(const std::vector<AccountingRecord>& queued) {
  return !queued.empty() && !is_final_state(derive_status(queued, {}, false).state);
}

bool accounted_as_ended(const std::vector<AccountingRecord>& records) {
  for (const auto& record : records) {
    if (record.step.empty() && record.end_time && is_final_state(derive_status({record}, {}, false).state)) return true;
  }
  return false;
}

// The IDs to ask accounting for: each job's, and for an element of a job array also the
// array's own, because an element cancelled (or still held) before Slurm split it off the
// array's record is accounted only in that record, as "<array>".
std::vector<std::string> accounting_ids(const std::vector<std::string>& ids) {
  std::vector<std::string> out = ids;
  for (const auto& id : ids) {
    if (std::string array = array_of_element(id);
        !array.empty() && std::find(out.begin(), out.end(), array) == out.end())
      out.push_back(array);
  }
  return out;
}

// An element accounting does not know by its own ID never left the array's record (it was
// cancelled, say, while still pending): that record's state is the element's.
std::vector<AccountingRecord> unsplit_element(const std::string& id, const RecordsByJob& accounted) {
  if (array_of_element(id).empty()) return {};
  std::vector<AccountingRecord> out;
  for (const auto& [key, records] : accounted) {
    if (!array_record_holds(key, id)) continue;
    for (AccountingRecord record : records) {
      if (!record.step.empty()) continue;
      record.job_id = record.base_job_id = id;
      out.push_back(std::move(record));
    }
  }
  return out;
}

// slurmctld answers for live jobs (a cheap call); accounting for finished ones, whose step
// records say which replica failed. Accounting lags slurmctld by a moment, so a job that
// slurmctld has seen end but accounting has not yet is answered with slurmctld's allocations
// and the steps accounting already has. If accounting is down, slurmctld's memory is the answer.
// `from_slurmctld` receives slurmctld's own answer, or nullopt when slurmctld did not answer.
RecordsByJob job_records(const std::vector<std::string>& ids, const SlurmAccess& slurm, bool& accounting_down,
                         std::optional<RecordsByJob>& from_slurmctld) {
  // Many jobs (a list): both queries at once, accounting for every job, since most of a
  // list has ended and the accounting query is the long one. One job (describe, a wait):
  // slurmctld first, and accounting only if the job has ended there.
  std::future<std::vector<AccountingRecord>> all_accounted;
  if (ids.size() > 1) {
    slurm.prepare_queue();  // before the thread: libslurm's start sets SLURM_CONF (setenv)
    all_accounted = std::async(std::launch::async, [&] { return slurm.accounting(accounting_ids(ids)); });
  }
  RecordsByJob queued;
  std::string slurmctld_away;
  try {
    queued = group(slurm.queue(ids));
  } catch (const SlurmError& e) {
    slurmctld_away = e.what();
    // Accounting has every job that started, ended or was submitted while slurmdbd was up; it
    // answers alone (if it too is away, the answer is both errors).
    std::cerr << "mljob: warning: slurmctld is not answering (" << e.what()
              << "); answering from Slurm accounting, which hears of changes a moment after slurmctld\n";
  }
  std::vector<std::string> finished;
  for (const auto& id : ids) {
    if (!still_running(queued[id])) finished.push_back(id);
  }
  RecordsByJob accounted;
  try {
    accounted = group(all_accounted.valid() ? all_accounted.get() : slurm.accounting(accounting_ids(finished)));
  } catch (const SlurmError& e) {
    if (!slurmctld_away.empty()) {
      throw SlurmError("neither slurmctld (" + slurmctld_away + ") nor accounting (" + e.what() +
                       ") answers; ask again once either is back");
    }
    accounting_down = true;
    std::cerr << "mljob: warning: Slurm accounting is unavailable (" << e.what()
              << "); answering from slurmctld, which forgets jobs a few minutes after they end\n";
  }
  if (slurmctld_away.empty()) from_slurmctld = queued;
  RecordsByJob answer;
  for (const auto& id : ids) {
    std::vector<AccountingRecord>& from_ctld = queued[id];
    std::vector<AccountingRecord>& from_dbd = accounted[id];
    if (from_dbd.empty()) from_dbd = unsplit_element(id, accounted);
    if (still_running(from_ctld) || (!from_ctld.empty() && !accounted_as_ended(from_dbd))) {
      answer[id] = from_ctld;
      for (auto& record : from_dbd) {
        if (!record.step.empty()) answer[id].push_back(record);
      }
    } else {
      answer[id] = from_dbd;
    }
  }
  return answer;
}

void add_once(const std::string& id, std::vector<std::string>& ids) {
  if (!id.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
}

// Each Slurm job ID once, in the order first seen: a job's, or a prediction job's shards'.
void add_slurm_ids(const std::vector<JobRecord>& records, std::vector<std::string>& ids) {
  for (const auto& record : records) {
    if (record.shard_jobs.empty()) add_once(record.slurm_job_id, ids);
    for (const auto& shard : record.shard_jobs) add_once(shard, ids);
  }
}

// The Slurm jobs a record names: its job's, or a prediction job's shards'.
std::vector<std::string> own_slurm_ids(const JobRecord& record) {
  return record.shard_jobs.empty() ? std::vector<std::string>{record.slurm_job_id} : record.shard_jobs;
}

// How Slurm lost a job: slurmctld forgot it, or no side has any record of it
// (unknown_long_after_submission).
enum class Loss { kForgotten, kUnknown };
using LostJobs = std::map<std::string, Loss>;  // by Slurm job ID

const std::vector<AccountingRecord>& records_of(const RecordsByJob& by_job, const std::string& id) {
  static const std::vector<AccountingRecord> none;
  auto found = by_job.find(id);
  return found == by_job.end() ? none : found->second;
}

// Whether slurmctld answered for an element's array as a whole ("123_[4-6%2]", as squeue may
// print an element still pending unsplit in the array's own record): the element is held.
bool array_record_held(const RecordsByJob& from_slurmctld, const std::string& id) {
  std::string array = array_of_element(id);
  if (array.empty()) return false;
  for (const auto& [key, records] : from_slurmctld) {
    if (!records.empty() && array_record_holds(key, id)) return true;
  }
  return false;
}

// Accounting has the job started or waiting and never heard that it ended, but slurmctld,
// answering, does not hold it: slurmctld holds every job that has not ended, and an ended one
// for MinJobAge after, longer than accounting takes to hear of the end. So slurmctld lost it
// (restarted from a state saved before the job was submitted, or before it started, and killed
// what ran of it as an orphan).
bool forgotten_by_slurmctld(const std::vector<AccountingRecord>& own, const std::vector<AccountingRecord>& held) {
  if (own.empty() || !held.empty()) return false;
  for (const auto& record : own) {
    if (record.step.empty() && (record.end_time || is_final_state(derive_status({record}, {}, false).state)))
      return false;
  }
  return true;
}

// The Slurm records of a record's own jobs (records_of_job: those its comment marks), by
// Slurm job ID. `lost` gets each ID that Slurm now holds for other jobs only, or that
// slurmctld lost (forgotten_by_slurmctld; known only when slurmctld answered).
RecordsByJob own_records(const JobRecord& record, const RecordsByJob& by_job,
                         const std::optional<RecordsByJob>& from_slurmctld, LostJobs& lost) {
  RecordsByJob own;
  const auto ours = marks_of(record);
  for (const auto& id : own_slurm_ids(record)) {
    bool others_seen = false;
    own[id] = records_of_job(records_of(by_job, id), ours, others_seen);
    if (others_seen && own[id].empty()) lost[id] = Loss::kForgotten;
    bool ignored = false;
    if (from_slurmctld && !array_record_held(*from_slurmctld, id) &&
        forgotten_by_slurmctld(own[id], records_of_job(records_of(*from_slurmctld, id), ours, ignored)))
      lost[id] = Loss::kForgotten;
  }
  return own;
}

// How long after sbatch took a job it may still be unknown to both slurmctld and accounting
// without having been lost. sbatch answers once slurmctld holds the job, and slurmctld keeps it
// until MinJobAge after its end, so this is a margin for what cannot be seen from here (a
// clock a little off, accounting handed its backlog a moment after slurmdbd came back), not a
// time the job needs.
constexpr std::int64_t kUnknownAfterSubmissionSeconds = 120;

// Neither slurmctld, answering, nor any run accounting has of the ID knows the job, long after
// sbatch took it: slurmctld forgot it (restarted from a state saved before the submission). Seen
// in the fault suite: accounting then keeps the job, from its steps' messages, as a placeholder
// under UID 0, which `sacct --user` leaves out, and the job read QUEUED for ever.
bool unknown_long_after_submission(const JobRecord& record, const std::string& id,
                                   const std::optional<RecordsByJob>& from_slurmctld) {
  return from_slurmctld && !array_record_held(*from_slurmctld, id) && record.submitted_at > 0 &&
         std::time(nullptr) - record.submitted_at > kUnknownAfterSubmissionSeconds;
}

// IDs of which neither slurmctld nor accounting's latest answer has the job's own records: its
// ID was given to another job (lost), or accounting's latest job of that ID is another's and
// slurmctld, answering, does not hold it. Every run of such an ID, from accounting, may hold
// the job's own: one that accounting saw end is the answer; one it never saw end was lost
// (slurmctld does not hold it); none at all: submitted a moment ago, or, long after, lost
// (unknown_long_after_submission).
// `own` and `lost` are by record, as own_records made them: two records may name one Slurm ID.
void look_for_lost_runs(const std::vector<JobRecord>& records, std::vector<RecordsByJob>& own,
                        std::vector<LostJobs>& lost, const std::optional<RecordsByJob>& from_slurmctld,
                        const SlurmAccess& slurm) {
  const bool slurm_answered = from_slurmctld.has_value();
  std::vector<std::string> unknown;
  for (std::size_t i = 0; i < records.size(); ++i) {
    for (const auto& [id, records_of_id] : own[i]) {
      if (records_of_id.empty() && (lost[i].contains(id) || slurm_answered)) add_once(id, unknown);
    }
  }
  if (unknown.empty()) return;
  RecordsByJob every_run;
  try {
    every_run = group(slurm.accounting_every_run(unknown));
  } catch (const SlurmError&) {
    return;  // as far as can be told now
  }
  for (std::size_t i = 0; i < records.size(); ++i) {
    for (auto& [id, records_of_id] : own[i]) {
      if (!records_of_id.empty() || std::find(unknown.begin(), unknown.end(), id) == unknown.end()) continue;
      bool others_seen = false;
      records_of_id = records_of_job(every_run[id], marks_of(records[i]), others_seen);
      if (accounted_as_ended(records_of_id))
        lost[i].erase(id);
      else if (!records_of_id.empty() && slurm_answered)
        lost[i][id] = Loss::kForgotten;
      else if (records_of_id.empty() && unknown_long_after_submission(records[i], id, from_slurmctld))
        lost[i][id] = Loss::kUnknown;
    }
  }
}

constexpr const char* kLostBySlurm = "Slurm lost ";

// What describe says of a Slurm job that Slurm lost (see records_of_job).
JobStatus lost_job(const std::string& slurm_job_id, const std::string& whose, Loss loss, std::int64_t submitted_at) {
  JobStatus status;
  status.state = "FAILED";
  if (loss == Loss::kForgotten) {
    status.error_message = kLostBySlurm + whose + ": slurmctld no longer holds its Slurm job " + slurm_job_id +
                           " (slurmctld restarted from a state saved before it, and ended what ran of it), and "
                           "accounting never heard that it ended";
  } else {
    status.error_message = kLostBySlurm + whose + ": neither slurmctld nor accounting has a record of its Slurm job " +
                           slurm_job_id + ", submitted at " + rfc3339_utc(submitted_at) +
                           " (slurmctld restarted from a state saved before the submission; or, for an old job, "
                           "accounting's records of it were purged)";
  }
  return status;
}

// A batch prediction job's state is its shards' together; its output, their counters. A shard
// Slurm knows nothing of counts as just submitted (queued), unless accounting is down: then the
// job's state cannot be told (STATE_UNSPECIFIED, said below), not guessed. A shard Slurm lost
// succeeded if its results file was committed, and failed otherwise.
JobStatus prediction_status(const JobRecord& record, RecordsByJob& by_job, nlohmann::json& job, bool accounting_down,
                            const LostJobs& lost) {
  std::vector<JobStatus> shards;
  bool unknown_shard = false;
  std::vector<ShardProgress> progress = read_shard_progress(record);
  for (std::size_t i = 0; i < record.shard_jobs.size(); ++i) {
    const std::string& id = record.shard_jobs[i];
    if (auto found = lost.find(id); found != lost.end()) {
      JobStatus shard = lost_job(id, "it", found->second, record.submitted_at);
      if (i < progress.size() && progress[i].complete) shard = JobStatus{"SUCCEEDED", "", {}, {}, {}, {}};
      shards.push_back(shard);
      continue;
    }
    unknown_shard = unknown_shard || by_job[id].empty();
    shards.push_back(derive_status(by_job[id], {"shard"}, record.cancel_requested));
  }
  explain_failed_shards(shards, progress);
  add_prediction_output(job, record, shards, progress, std::time(nullptr));
  if (unknown_shard && accounting_down) return JobStatus{};
  return combine_shard_statuses(shards, record.cancel_requested);
}

// A job's consumedMLUnits with those of the jobs that count toward it (a study's trials).
std::optional<double> with_related_units(std::optional<double> units, const std::vector<JobRecord>& related,
                                         RecordsByJob& by_job) {
  for (const auto& job : related) {
    auto job_units =
        derive_status(by_job[job.slurm_job_id], job.component_roles, job.cancel_requested).consumed_ml_units;
    if (job_units) units = units.value_or(0) + *job_units;
  }
  return units;
}

}  // namespace

// Which Slurm comments mark a record's jobs: the one it was submitted with; for a prediction
// job, any of its own ("mljob:JOB:TOKEN", one per array it ran); for a record made before mljob
// kept the comment, any.
std::function<bool(const std::string&)> marks_of(const JobRecord& record) {
  if (!record.slurm_comment.empty())
    return [comment = record.slurm_comment](const std::string& seen) { return seen == comment; };
  if (!record.shard_jobs.empty())
    return
        [job_id = record.job.value("jobId", "")](const std::string& seen) { return comment_marks_job(seen, job_id); };
  return [](const std::string&) { return true; };
}

std::vector<nlohmann::json> job_resources(const std::vector<JobRecord>& records, const SlurmAccess& slurm,
                                          RecordsByJob* records_used, const RelatedJobs& counted_with) {
  std::vector<std::vector<JobRecord>> related;  // of each record: the jobs whose units count toward it
  std::vector<std::string> ids;
  add_slurm_ids(records, ids);
  for (const auto& record : records)
    add_slurm_ids(related.emplace_back(counted_with ? counted_with(record) : std::vector<JobRecord>{}), ids);
  bool accounting_down = false;
  std::optional<RecordsByJob> from_slurmctld;
  RecordsByJob by_job = job_records(ids, slurm, accounting_down, from_slurmctld);  // one query for all
  std::vector<LostJobs> lost(records.size());                                      // by record: the Slurm IDs it lost
  std::vector<RecordsByJob> own;
  for (std::size_t i = 0; i < records.size(); ++i)
    own.push_back(own_records(records[i], by_job, from_slurmctld, lost[i]));
  if (!accounting_down) look_for_lost_runs(records, own, lost, from_slurmctld, slurm);

  std::vector<nlohmann::json> resources;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const JobRecord& record = records[i];
    RecordsByJob& own_jobs = own[i];
    nlohmann::json job = record.job;
    bool prediction = !record.shard_jobs.empty();
    JobStatus status =
        prediction ? prediction_status(record, own_jobs, job, accounting_down, lost[i])
        : lost[i].contains(record.slurm_job_id)
            ? lost_job(record.slurm_job_id, "this job", lost[i].at(record.slurm_job_id), record.submitted_at)
            : derive_status(own_jobs[record.slurm_job_id], record.component_roles, record.cancel_requested);
    if (status.state == "STATE_UNSPECIFIED" && (prediction || own_jobs[record.slurm_job_id].empty())) {
      if (accounting_down) {
        status.state = "STATE_UNSPECIFIED";
        status.error_message = "Slurm accounting is unavailable and slurmctld no longer holds this job";
      } else {
        // Submitted moments ago: accounting has not heard of it yet.
        status.state = record.cancel_requested ? "CANCELLING" : "QUEUED";
        if (record.cancel_requested) status.error_message = cancel_requested_message() + ".";
      }
    }
    status.consumed_ml_units = with_related_units(status.consumed_ml_units, related[i], by_job);
    if (status.create_time) job["createTime"] = rfc3339_utc(*status.create_time);
    if (status.start_time) job["startTime"] = rfc3339_utc(*status.start_time);
    if (status.end_time) job["endTime"] = rfc3339_utc(*status.end_time);
    job["state"] = status.state;
    if (status.consumed_ml_units && !prediction) {
      // Two decimals, as the API shows it: a hundredth of a billing-unit-hour is noise.
      job["trainingOutput"]["consumedMLUnits"] = std::round(*status.consumed_ml_units * 100.0) / 100.0;
    }
    if (!status.error_message.empty()) job["errorMessage"] = status.error_message;
    job["slurmJobId"] = record.slurm_job_id;
    job["etag"] = job_etag(job);
    resources.push_back(std::move(job));
  }
  if (records_used) *records_used = std::move(by_job);
  return resources;
}

bool lost_by_slurm(const nlohmann::json& resource) {
  return resource.value("state", "") == "FAILED" && resource.value("errorMessage", "").starts_with(kLostBySlurm);
}

}  // namespace mljob::jobs
