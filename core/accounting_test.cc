#include "core/accounting.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace mljob {
namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(MLJOB_SOURCE_DIR) + "/core/testdata/" + name);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(Accounting, HeterogeneousJobRecordedFromTheLocalCluster) {
  // Recorded: a STANDARD_1 job (master with a T4, 4 workers, 3 PS), allocations and steps.
  auto records = parse_accounting(fixture("sacct_het_completed.txt"));
  ASSERT_EQ(records.size(), 7u);
  EXPECT_EQ(records[0].base_job_id, records[6].base_job_id);
  EXPECT_EQ(records[0].het_component, 0);
  EXPECT_EQ(records[1].step, "batch");
  EXPECT_EQ(records[5].het_component, 2);
  EXPECT_EQ(records[5].step, "");
  EXPECT_EQ(records[0].state, "COMPLETED");
  ASSERT_TRUE(records[0].start_time && records[0].end_time && records[0].submit_time);
  EXPECT_LE(*records[0].start_time, *records[0].end_time);
  EXPECT_EQ(records[0].billing, 8.0);
  EXPECT_EQ(records[3].billing, 32.0);
  EXPECT_EQ(records[1].billing, std::nullopt);  // steps carry no billing
  EXPECT_EQ(records[0].elapsed_seconds, 1);
}

TEST(Accounting, BillingFromATresList) {
  EXPECT_EQ(billing_of("billing=8,cpu=8,gres/gpu=1,mem=7376M,node=1"), 8.0);
  EXPECT_EQ(billing_of("cpu=8,mem=7376M,node=1,billing=12.5"), 12.5);
  EXPECT_EQ(billing_of("cpu=8,mem=7376M,node=1"), std::nullopt);
  EXPECT_EQ(billing_of(""), std::nullopt);
  EXPECT_EQ(billing_of("billing=x"), std::nullopt);
}

TEST(Accounting, PendingTimesAreUnknownAndStepsAreKept) {
  auto records = parse_accounting(
      "7|j|PENDING|0:0|1763780000|Unknown|Unknown|0||mljob:j\n"
      "8|k|CANCELLED by 0|0:15|1763780000|1763780001|1763780009|8|billing=2,cpu=2|a|b\n"
      "8.batch|batch|CANCELLED|0:15|1763780000|1763780001|1763780009|8|cpu=2|\n");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2].job_id, "8");
  EXPECT_EQ(records[2].step, "batch");
  EXPECT_EQ(records[1].step, "");
  EXPECT_FALSE(records[0].start_time);
  EXPECT_EQ(records[0].het_component, -1);
  EXPECT_EQ(records[1].state, "CANCELLED");
  EXPECT_EQ(records[1].exit_signal, 15);
  EXPECT_EQ(records[1].comment, "a|b");
}

}  // namespace
}  // namespace mljob

namespace mljob {
namespace {

TEST(Accounting, WorkerFailureMarksEveryAllocationButOnlyTheWorkersStep) {
  // Recorded: a STANDARD_1 job whose workers exited 3 (trainer --fail).
  auto records = parse_accounting(fixture("sacct_het_worker_failed.txt"));
  ASSERT_EQ(records.size(), 7u);
  int failed_allocations = 0;
  for (const auto& record : records) {
    if (record.step.empty()) failed_allocations += record.state == "FAILED";
    if (record.step == "0") {
      EXPECT_EQ(record.state, record.het_component == 1 ? "FAILED" : "COMPLETED");
    }
  }
  EXPECT_EQ(failed_allocations, 3);
}

}  // namespace
}  // namespace mljob

namespace mljob {
namespace {

TEST(Queue, SlurmctldViewOfAHetJob) {
  // Recorded from the local cluster (squeue --states=all, SLURM_TIME_FORMAT=%s).
  // Three components of a running STANDARD_1 job, then a plain batch job that has ended.
  auto records = parse_queue(fixture("squeue_het_running.txt"));
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].job_id, "365+0");
  EXPECT_EQ(records[2].job_id, "365+2");  // squeue --Format says 367: HetJobID+offset fixes it
  EXPECT_EQ(records[2].base_job_id, "365");
  EXPECT_EQ(records[1].het_component, 1);
  EXPECT_EQ(records[1].billing, 32.0);
  EXPECT_EQ(records[0].state, "RUNNING");
  EXPECT_FALSE(records[0].end_time);  // "NONE" while running
  EXPECT_EQ(*records[1].start_time, 1795319746);
  EXPECT_EQ(records[1].step, "");
  EXPECT_EQ(records[3].job_id, "354");
  EXPECT_EQ(records[3].het_component, -1);
  EXPECT_EQ(records[3].state, "COMPLETED");
  EXPECT_EQ(*records[3].end_time, 1795319594);
}

TEST(Queue, ElementsOfAJobArrayAreKnownByArrayAndIndex) {
  // Recorded from the local cluster: `--array=4,7%1`; 7 still pends inside the array's record
  // (JobID 11194, the array's), 4 runs as job 11195.
  auto records = parse_queue(fixture("squeue_array_elements.txt"));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].job_id, "11194_7");
  EXPECT_EQ(records[0].base_job_id, "11194_7");
  EXPECT_EQ(records[0].state, "PENDING");
  EXPECT_EQ(records[1].job_id, "11194_4");
  EXPECT_EQ(records[1].het_component, -1);
  EXPECT_EQ(*records[1].start_time, 1795327482);
}

TEST(ArrayRecord, TheTasksStillInAnArraysRecordAsSacctListsThem) {
  EXPECT_TRUE(array_record_holds("11325_[3-5%2]", "11325_4"));  // recorded: three cancelled while pending
  EXPECT_TRUE(array_record_holds("11325_[3-5%2]", "11325_5"));
  EXPECT_FALSE(array_record_holds("11325_[3-5%2]", "11325_2"));
  EXPECT_TRUE(array_record_holds("7_[1,4-6,9]", "7_9"));
  EXPECT_FALSE(array_record_holds("7_[1,4-6,9]", "7_7"));
  EXPECT_TRUE(array_record_holds("11208", "11208_5"));  // recorded: no task list left
  EXPECT_FALSE(array_record_holds("11209", "11208_5"));
  EXPECT_FALSE(array_record_holds("11208_[x]", "11208_5"));
  EXPECT_FALSE(array_record_holds("11208", "11208"));  // not an element
}

TEST(Queue, PendingComponentHasNoStart) {
  auto records = parse_queue("115|115|0|dry1|PENDING|1795316390|N/A|N/A||\n");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].job_id, "115+0");
  EXPECT_FALSE(records[0].start_time);
  EXPECT_FALSE(records[0].billing);
}

}  // namespace
}  // namespace mljob
