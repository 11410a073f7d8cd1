#include "core/job_state.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace mljob {
namespace {

AccountingRecord component(int index, const std::string& state, int exit_code = 0) {
  AccountingRecord r;
  r.job_id = "9+" + std::to_string(index);
  r.base_job_id = "9";
  r.het_component = index;
  r.state = state;
  r.exit_code = exit_code;
  r.submit_time = 100;
  r.start_time = 110;
  r.end_time = 150;
  return r;
}

// The training step (ID+N.0) of component `index`, ended by `signal` (0: by itself).
AccountingRecord step(int index, const std::string& state, int signal) {
  AccountingRecord r = component(index, state);
  r.job_id += ".0";
  r.step = "0";
  r.exit_signal = signal;
  return r;
}

const std::vector<std::string> kRoles = {"master", "4 workers", "3 ps"};

// sacct's records of a job, recorded from the local cluster (core/testdata).
std::vector<AccountingRecord> recorded_accounting(const std::string& fixture) {
  std::ifstream in(std::string(MLJOB_SOURCE_DIR) + "/core/testdata/" + fixture);
  std::ostringstream text;
  text << in.rdbuf();
  return parse_accounting(text.str());
}

TEST(JobState, MasterDecides) {
  auto status =
      derive_status({component(1, "COMPLETED"), component(0, "COMPLETED"), component(2, "COMPLETED")}, kRoles, false);
  EXPECT_EQ(status.state, "SUCCEEDED");
  EXPECT_EQ(status.error_message, "");
  EXPECT_EQ(*status.create_time, 100);
  EXPECT_EQ(*status.end_time, 150);
}

TEST(JobState, FailedWorkerIsNamed) {
  auto status =
      derive_status({component(0, "FAILED", 1), component(1, "FAILED", 3), component(2, "COMPLETED")}, kRoles, false);
  EXPECT_EQ(status.state, "FAILED");
  EXPECT_NE(status.error_message.find("The 4 workers exited with status 3"), std::string::npos) << status.error_message;
}

TEST(JobState, RecordedWorkerFailureBlamesOnlyTheWorkers) {
  auto status = derive_status(recorded_accounting("sacct_het_worker_failed.txt"), kRoles, false);
  EXPECT_EQ(status.state, "FAILED");
  EXPECT_EQ(status.error_message, "The 4 workers exited with status 3.");
}

// Recorded on the local cluster (tests/faults SlurmdKilled): n2's slurmd was killed under a
// STANDARD_1 job. Slurm ends every component NODE_FAIL, whichever node failed, and keeps no
// record of which one did: the message names the nodes, once.
TEST(JobState, ANodeFailureNamesTheJobsNodes) {
  auto status = derive_status(recorded_accounting("sacct_het_node_fail.txt"), kRoles, false);
  EXPECT_EQ(status.state, "FAILED");
  EXPECT_EQ(status.error_message,
            "The master, the 4 workers and the 3 ps were stopped because a node of the job failed (one of n3, n1, "
            "n2; `sinfo -R` names a node that is down, and why).");
}

TEST(JobState, AWorkerStepCancelledByItsFailureIsNamedNotTheMaster) {
  // Seen on the local cluster: two workers exited 3 while the other two still started, srun
  // cancelled the workers' step (0:15), and every allocation repeats the batch script's 15.
  auto status = derive_status({component(0, "FAILED", 15), step(0, "COMPLETED", 0), component(1, "FAILED", 15),
                               step(1, "CANCELLED", 15), component(2, "FAILED", 15), step(2, "COMPLETED", 0)},
                              kRoles, false);
  EXPECT_EQ(status.state, "FAILED");
  EXPECT_EQ(status.error_message, "The 4 workers were killed by signal 15.");
}

TEST(JobState, EveryStepSrunCutShortIsNamedInComponentOrder) {
  // Seen in CI: the workers failed and srun's --kill-on-bad-exit cancelled the parameter
  // servers' part of the step too; accounting keeps 0:15 for both and no task's own status, so
  // both are named, workers first, and the master (which ended by itself) is not.
  auto status = derive_status({component(0, "FAILED", 15), step(0, "COMPLETED", 0), component(1, "FAILED", 15),
                               step(1, "CANCELLED", 15), component(2, "FAILED", 15), step(2, "CANCELLED", 15)},
                              kRoles, false);
  EXPECT_EQ(status.error_message, "The 4 workers were killed by signal 15; The 3 ps were killed by signal 15.");
}

TEST(JobState, OneRowBeforeTheComponentsAreAccounted) {
  // Slurm 22.05 first records an ended het job as one plain row.
  AccountingRecord only = component(0, "COMPLETED");
  only.het_component = -1;
  only.job_id = "9";
  EXPECT_EQ(derive_status({only}, kRoles, false).state, "SUCCEEDED");
}

TEST(JobState, AccountingCompleteOnlyWithEveryComponentAndStep) {
  auto records = recorded_accounting("sacct_het_worker_failed.txt");
  EXPECT_TRUE(every_component_accounted(records, 3));
  auto without_worker_step = records;
  std::erase_if(without_worker_step, [](const auto& r) { return r.het_component == 1 && r.step == "0"; });
  EXPECT_FALSE(every_component_accounted(without_worker_step, 3));
  auto worker_step_still_running = records;
  for (auto& r : worker_step_still_running) {
    if (r.het_component == 1 && r.step == "0") r.state = "RUNNING";
  }
  EXPECT_FALSE(every_component_accounted(worker_step_still_running, 3));
  AccountingRecord single = component(0, "COMPLETED");  // the plain row seen before the components
  single.het_component = -1;
  EXPECT_FALSE(every_component_accounted({single}, 3));
}

TEST(JobState, PlainLanguageReasons) {
  EXPECT_NE(derive_status({component(0, "TIMEOUT")}, kRoles, false).error_message.find("time limit"),
            std::string::npos);
  EXPECT_NE(derive_status({component(0, "OUT_OF_MEMORY")}, kRoles, false).error_message.find("out of memory"),
            std::string::npos);
  EXPECT_NE(derive_status({component(0, "NODE_FAIL")}, kRoles, false).error_message.find("node"), std::string::npos);
  AccountingRecord on_node = component(0, "NODE_FAIL");
  on_node.node_list = "n2";
  EXPECT_NE(derive_status({on_node}, kRoles, false).error_message.find("failed because its node n2 failed"),
            std::string::npos)
      << derive_status({on_node}, kRoles, false).error_message;
  on_node.node_list = "n[2-3]";
  EXPECT_NE(derive_status({on_node}, kRoles, false).error_message.find("because one of its nodes (n[2-3]) failed"),
            std::string::npos)
      << derive_status({on_node}, kRoles, false).error_message;
}

// Seen in the fault suite: slurmctld killed while it launched a job holds the job when it
// restarts. The job reads QUEUED, and says that it will not start by itself.
TEST(JobState, AHeldJobSaysItWillNotStartByItself) {
  AccountingRecord held = component(0, "PENDING");
  held.base_job_id = "1586";
  held.reason = "launch failed requeued held";
  auto status = derive_status({held}, kRoles, false);
  EXPECT_EQ(status.state, "QUEUED");
  EXPECT_EQ(status.error_message,
            "Slurm holds this job (launch failed requeued held): it will not start until it is released (`scontrol "
            "release 1586`; only an administrator can release an administrator's hold) or cancelled (`mljob "
            "cancel`).");
  held.reason = "Priority";
  EXPECT_EQ(derive_status({held}, kRoles, false).error_message, "");
}

TEST(JobState, FailureWithoutAnExitCode) {
  EXPECT_EQ(derive_status({component(0, "FAILED", 0)}, kRoles, false).error_message, "The master failed.");
}

TEST(JobState, CancellingThenCancelled) {
  auto running = component(0, "RUNNING");
  running.end_time.reset();
  EXPECT_EQ(derive_status({running}, kRoles, true).state, "CANCELLING");
  EXPECT_FALSE(derive_status({running}, kRoles, true).end_time);
  EXPECT_EQ(derive_status({component(0, "CANCELLED")}, kRoles, true).state, "CANCELLED");
}

TEST(JobState, ACancelledJobSaysWhoCancelledItAndWhen) {
  // As sacct records it: "CANCELLED by 0" on the allocation.
  AccountingRecord by_root = component(0, "CANCELLED");
  by_root.cancelled_by = 0;
  EXPECT_EQ(derive_status({by_root}, kRoles, false).error_message,
            "Job cancelled by user root (uid 0) at 1970-01-01T00:02:30Z.");
  AccountingRecord by_unknown = by_root;
  by_unknown.cancelled_by = 3999999999u;  // no such user here
  EXPECT_EQ(derive_status({by_unknown}, kRoles, true).error_message,
            "Job cancelled by user uid 3999999999 at 1970-01-01T00:02:30Z.");
  // slurmctld's record names nobody; the job record knows its owner asked for it.
  EXPECT_EQ(derive_status({component(0, "CANCELLED")}, kRoles, true).error_message,
            "Job cancelled by the user at 1970-01-01T00:02:30Z.");
  AccountingRecord no_end = component(0, "CANCELLED");
  no_end.end_time.reset();
  EXPECT_EQ(derive_status({no_end}, kRoles, false).error_message, "Job cancelled.");

  auto running = component(0, "RUNNING");
  running.end_time.reset();
  EXPECT_EQ(derive_status({running}, kRoles, true).error_message, cancel_requested_message() + ".");
  EXPECT_EQ(derive_status({running}, kRoles, false).error_message, "");
}

TEST(JobState, QueuedAndUnknown) {
  EXPECT_EQ(derive_status({component(0, "PENDING")}, kRoles, false).state, "QUEUED");
  EXPECT_EQ(derive_status({}, kRoles, false).state, "STATE_UNSPECIFIED");
}

TEST(Rfc3339, Utc) {
  EXPECT_EQ(rfc3339_utc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(rfc3339_utc(1795000000), "2026-11-18T11:06:40Z");
}

}  // namespace
}  // namespace mljob

namespace mljob {
namespace {

TEST(ConsumedMLUnits, BillingTimesElapsedHoursOverEveryComponent) {
  // 8 + 32 billing units for 40 s of accounting's own elapsed time, 12 units with none given.
  auto master = component(0, "COMPLETED"), workers = component(1, "COMPLETED"), ps = component(2, "COMPLETED");
  master.billing = 8;
  master.elapsed_seconds = 40;
  workers.billing = 32;
  workers.elapsed_seconds = 40;
  ps.billing = 12;  // slurmctld's record: end - start = 40 s
  auto status = derive_status({master, workers, ps}, kRoles, false, 1000);
  ASSERT_TRUE(status.consumed_ml_units);
  EXPECT_DOUBLE_EQ(*status.consumed_ml_units, 52.0 * 40 / 3600);
}

TEST(ConsumedMLUnits, RunningJobsCountUpToNow) {
  auto running = component(0, "RUNNING");
  running.billing = 36;
  running.end_time = 100000;  // slurmctld gives the time limit as the end while running
  EXPECT_DOUBLE_EQ(*derive_status({running}, kRoles, false, 210).consumed_ml_units, 36.0 * 100 / 3600);
}

TEST(ConsumedMLUnits, NoneBeforeTheStartOrWithoutBilling) {
  auto queued = component(0, "PENDING");
  queued.billing = 8;
  queued.start_time.reset();
  EXPECT_FALSE(derive_status({queued}, kRoles, false, 200).consumed_ml_units);
  EXPECT_FALSE(derive_status({component(0, "COMPLETED")}, kRoles, false, 200).consumed_ml_units);
}

TEST(ConsumedMLUnits, RecordedJob) {
  auto status = derive_status(recorded_accounting("sacct_het_completed.txt"), kRoles, false);
  ASSERT_TRUE(status.consumed_ml_units);
  EXPECT_DOUBLE_EQ(*status.consumed_ml_units, (8.0 + 32.0 + 12.0) * 1 / 3600);  // 1 s each
}

}  // namespace
}  // namespace mljob

namespace mljob {
namespace {

JobStatus shard(const std::string& state, std::optional<std::int64_t> start = 110,
                std::optional<std::int64_t> end = std::nullopt, const std::string& message = "") {
  JobStatus status;
  status.state = state;
  status.create_time = 100;
  status.start_time = start;
  status.end_time = end;
  status.error_message = message;
  return status;
}

TEST(ShardStatuses, RunningWhileAnyShardIsUnfinished) {
  EXPECT_EQ(combine_shard_statuses({shard("QUEUED", std::nullopt), shard("QUEUED", std::nullopt)}, false).state,
            "QUEUED");
  EXPECT_EQ(combine_shard_statuses({shard("SUCCEEDED", 110, 150), shard("QUEUED", std::nullopt)}, false).state,
            "RUNNING");
  EXPECT_EQ(combine_shard_statuses({shard("STATE_UNSPECIFIED", std::nullopt)}, false).state, "QUEUED");
  EXPECT_EQ(combine_shard_statuses({shard("RUNNING"), shard("QUEUED", std::nullopt)}, true).state, "CANCELLING");
}

TEST(ShardStatuses, SucceededWhenAllDidWithTheirTimes) {
  JobStatus status = combine_shard_statuses({shard("SUCCEEDED", 120, 150), shard("SUCCEEDED", 110, 170)}, false);
  EXPECT_EQ(status.state, "SUCCEEDED");
  EXPECT_EQ(status.start_time, 110);
  EXPECT_EQ(status.end_time, 170);
  EXPECT_EQ(status.create_time, 100);
}

TEST(ShardStatuses, AFailedShardIsNamedWithItsReason) {
  JobStatus status =
      combine_shard_statuses({shard("SUCCEEDED", 110, 150), shard("CANCELLED", 110, 140, "Cancelled by mljob-alice."),
                              shard("FAILED", 110, 160, "The shard exited with status 1.")},
                             false);
  EXPECT_EQ(status.state, "FAILED");
  EXPECT_EQ(status.error_message,
            "Shard 1 of 3 was cancelled (Cancelled by mljob-alice); shard 2 of 3 failed (The shard exited with "
            "status 1). `mljob resume` runs the unfinished shards again.");
  EXPECT_EQ(combine_shard_statuses({shard("CANCELLED", 110, 140)}, true).state, "CANCELLED");
}

}  // namespace
}  // namespace mljob
