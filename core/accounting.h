// Slurm accounting records as sacct prints them (--parsable2, epoch times), parsed into
// values. Pure: tests feed it output recorded from the real cluster.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace mljob {

// The fields asked of sacct, in this order.
inline constexpr const char* kAccountingFormat =
    "JobID,JobName,State,ExitCode,Submit,Start,End,ElapsedRaw,AllocTRES,NodeList,Comment";

struct AccountingRecord {
  std::string job_id;       // "123+1" for het component 1 of job 123, or "123"
  std::string base_job_id;  // "123"
  int het_component = -1;   // -1 for a job that is not heterogeneous
  std::string step;         // "" for the allocation; "batch", "extern" or a step number
  std::string name;
  std::string state;                          // first word only: "CANCELLED by 0" -> "CANCELLED"
  std::optional<std::uint32_t> cancelled_by;  // "CANCELLED by 1001": the UID that cancelled it (sacct only)
  int exit_code = 0;
  int exit_signal = 0;
  std::optional<std::int64_t> submit_time, start_time, end_time;  // seconds since the epoch
  std::optional<std::int64_t> elapsed_seconds;                    // sacct's ElapsedRaw; slurmctld does not give it
  std::optional<double> billing;  // the allocation's billing TRES (AllocTRES / tres-alloc)
  // The nodes it ran on, in Slurm's host-list form ("n[2-3]"); "None assigned" or empty before
  // it started. From sacct only: it names the node of a NODE_FAIL.
  std::string node_list;
  // Why slurmctld keeps the job waiting, or why it ended ("Priority", "JobHeldUser", "launch
  // failed requeued held"; "None"), as squeue's Reason. From slurmctld only.
  std::string reason;
  std::string comment;
};

// Lines of `sacct --noheader --parsable2 --format=<kAccountingFormat>` with
// SLURM_TIME_FORMAT=%s: allocations and their steps.
std::vector<AccountingRecord> parse_accounting(const std::string& sacct_output);

// slurmctld's view of the same (`squeue --noheader --Format=<kQueueFormat>` with
// SLURM_TIME_FORMAT=%s): jobs it still holds, no steps, no exit codes. --Format (not --format)
// because only it can print the allocated TRES; ":|" ends each field with '|' and no padding.
// --Format prints a het component's own job ID (362, not 361+1): HetJobID and HetJobOffset
// give back the 361+1 form that sacct uses.
// The comment is last: it may itself hold '|'.
inline constexpr const char* kQueueFormat =
    "JobID:|,HetJobID:|,HetJobOffset:|,Name:|,State:|,SubmitTime:|,StartTime:|,EndTime:|,tres-alloc:|,JobArrayID:|,"
    "Reason:|,NodeList:|,Comment:|";
std::vector<AccountingRecord> parse_queue(const std::string& squeue_output);

// Whether a Slurm job's comment marks it as submitted for mljob job `job_id`: "mljob:JOB_ID",
// or "mljob:JOB_ID:TOKEN" for a submission marked as its own (unique_comment).
bool comment_marks_job(const std::string& comment, const std::string& job_id);

// The records (sacct's or slurmctld's, in their order) of one Slurm job ID that belong to an
// mljob job. slurmctld saves its state periodically; killed before it saved a job, it
// forgets the job and hands its ID to the next submission, which may be another user's job of
// mljob's or not. An allocation whose comment marks another job is dropped, with the steps
// that follow it (steps carry no comment); one with no comment is kept. `others_seen` is set
// when a record was dropped.
// `ours` says whether a comment is the job's mark.
std::vector<AccountingRecord> records_of_job(std::vector<AccountingRecord> records,
                                             const std::function<bool(const std::string& comment)>& ours,
                                             bool& others_seen);

// Whether the job array record that sacct calls `record_id` ("<array>_[3-5,7%2]": the tasks
// still in the array's own record, or plain "<array>" once none is listed) accounts for the
// element `element_id` ("<array>_<index>").
bool array_record_holds(const std::string& record_id, const std::string& element_id);
// "<array>" of an element ID "<array>_<index>"; empty for any other job ID.
std::string array_of_element(const std::string& element_id);

// Slurm's "no value" and "unlimited" markers (slurm.h's NO_VAL and INFINITE), here so that this
// file stays free of slurm.h; core/slurm_library.cc checks that they agree.
inline constexpr std::uint32_t kSlurmNoValue = 0xfffffffe;
inline constexpr std::uint32_t kSlurmInfinite = 0xffffffff;

// One job as slurmctld holds it, read in-process through libslurm (core/slurm_library.h): the
// fields of libslurm's job_info_t that squeue prints for kQueueFormat, as plain values.
struct QueuedJob {
  std::uint32_t job_id = 0;
  std::uint32_t user_id = 0;     // the submitter's uid
  std::uint32_t het_job_id = 0;  // 0: not a het job component
  std::uint32_t het_job_offset = 0;
  std::uint32_t array_job_id = 0;  // 0: not an array task
  std::uint32_t array_task_id = kSlurmNoValue;
  // The array's own record, while tasks still pend in it unsplit: their IDs ("3-5%2").
  std::string array_task_list;
  std::string name;
  std::string state;  // Slurm's job_state_string, the word squeue prints ("RUNNING", "COMPLETING")
  // time_t values as slurmctld keeps them; 0, kSlurmNoValue and kSlurmInfinite mean "none".
  std::int64_t submit_time = 0, start_time = 0, end_time = 0;
  bool unlimited_time = false;  // time limit INFINITE: squeue prints a future end as "NONE"
  std::string tres;             // tres_alloc_str, else tres_req_str (as squeue's tres-alloc)
  std::string reason;           // state_desc, else the words for state_reason (as squeue's Reason)
  std::string node_list;        // its nodes, as squeue's NodeList: a node failure's message names them
  std::string comment;
};

// The jobs `squeue --jobs=<job_ids>` selects: a job whose own ID, array's ID or het job's ID
// is given, or the task ARRAY_TASK for "ARRAY_TASK" IDs. As squeue, any ID that is not a
// positive number ("Invalid job id") selects nothing at all. "N_M" also selects the array's
// own record while task M still pends in it unsplit (as squeue does); that record then
// stands for task M. With an `owner`, only that user's jobs (as `squeue --me`): a job ID in a
// record names no one else's job.
class QueueSelection {
 public:
  explicit QueueSelection(const std::vector<std::string>& job_ids, std::optional<std::uint32_t> owner = std::nullopt);
  bool selects(const QueuedJob& job) const;
  // The tasks asked for by "N_M" IDs that `job`, an array's own record, still holds unsplit.
  std::vector<std::uint32_t> unsplit_tasks(const QueuedJob& job) const;
  // The ID to ask slurmctld for when the selection is one job (slurm_load_job answers with its
  // het components or array tasks), or 0 when it takes every job it holds.
  std::uint32_t single_job() const { return single_job_; }

 private:
  bool valid_ = true;
  std::optional<std::uint32_t> owner_;
  std::set<std::uint32_t> jobs_;
  std::set<std::pair<std::uint32_t, std::uint32_t>> tasks_;  // (array job, task)
  std::uint32_t single_job_ = 0;
};

// The records parse_queue makes of squeue's lines for the jobs `selection` takes, in
// slurmctld's order. `now` decides "NONE" for the end of a job with no time limit, as squeue.
std::vector<AccountingRecord> queued_records(const std::vector<QueuedJob>& jobs, const QueueSelection& selection,
                                             std::int64_t now);

// "billing=4,cpu=4,gres/gpu=1,mem=15G,node=1" -> 4. nullopt when the list has no billing.
std::optional<double> billing_of(const std::string& tres);

}  // namespace mljob
