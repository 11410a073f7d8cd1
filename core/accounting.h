// Slurm accounting records as sacct prints them (--parsable2, epoch times), parsed into
// values. Pure: tests feed it output recorded from the real cluster.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mljob {

// The fields asked of sacct, in this order.
inline constexpr const char* kAccountingFormat =
    "JobID,JobName,State,ExitCode,Submit,Start,End,ElapsedRaw,AllocTRES,Comment";

struct AccountingRecord {
  std::string job_id;         // "123+1" for het component 1 of job 123, or "123"
  std::string base_job_id;    // "123"
  int het_component = -1;     // -1 for a job that is not heterogeneous
  std::string step;           // "" for the allocation; "batch", "extern" or a step number
  std::string name;
  std::string state;          // first word only: "CANCELLED by 0" -> "CANCELLED"
  int exit_code = 0;
  int exit_signal = 0;
  std::optional<std::int64_t> submit_time, start_time, end_time;  // seconds since the epoch
  std::optional<std::int64_t> elapsed_seconds;  // sacct's ElapsedRaw; slurmctld does not give it
  std::optional<double> billing;                // the allocation's billing TRES (AllocTRES / tres-alloc)
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
inline constexpr const char* kQueueFormat =
    "JobID:|,HetJobID:|,HetJobOffset:|,Name:|,State:|,SubmitTime:|,StartTime:|,EndTime:|,tres-alloc:|,JobArrayID:|";
std::vector<AccountingRecord> parse_queue(const std::string& squeue_output);

// Whether the job array record that sacct calls `record_id` ("<array>_[3-5,7%2]": the tasks
// still in the array's own record, or plain "<array>" once none is listed) accounts for the
// element `element_id` ("<array>_<index>").
bool array_record_holds(const std::string& record_id, const std::string& element_id);

// "billing=4,cpu=4,gres/gpu=1,mem=15G,node=1" -> 4. nullopt when the list has no billing.
std::optional<double> billing_of(const std::string& tres);

}  // namespace mljob
