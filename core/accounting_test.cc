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
  auto records = parse_accounting(fixture("sacct_het_completed.txt"));
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].base_job_id, records[2].base_job_id);
  EXPECT_EQ(records[0].het_component, 0);
  EXPECT_EQ(records[2].het_component, 2);
  EXPECT_EQ(records[0].state, "COMPLETED");
  ASSERT_TRUE(records[0].start_time && records[0].end_time && records[0].submit_time);
  EXPECT_LE(*records[0].start_time, *records[0].end_time);
}

TEST(Accounting, PendingTimesAreUnknownAndStepsAreKept) {
  auto records = parse_accounting(
      "7|j|PENDING|0:0|1763780000|Unknown|Unknown|mljob:j\n"
      "8|k|CANCELLED by 0|0:15|1763780000|1763780001|1763780009|a|b\n"
      "8.batch|batch|CANCELLED|0:15|1763780000|1763780001|1763780009|\n");
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
  auto records = parse_queue("115+0|dry1|PENDING|1795316390|N/A|N/A\n115+1|dry1|RUNNING|1795316390|1795316391|N/A\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].base_job_id, "115");
  EXPECT_EQ(records[1].het_component, 1);
  EXPECT_FALSE(records[0].start_time);
  EXPECT_EQ(*records[1].start_time, 1795316391);
  EXPECT_EQ(records[1].step, "");
}

}  // namespace
}  // namespace mljob
