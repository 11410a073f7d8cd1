#include "core/accounting.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/job_state.h"

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
      "7|j|PENDING|0:0|1763780000|Unknown|Unknown|0||None assigned|mljob:j\n"
      "8|k|CANCELLED by 0|0:15|1763780000|1763780001|1763780009|8|billing=2,cpu=2|n[1-2]|a|b\n"
      "8.batch|batch|CANCELLED|0:15|1763780000|1763780001|1763780009|8|cpu=2|n1|\n");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2].job_id, "8");
  EXPECT_EQ(records[2].step, "batch");
  EXPECT_EQ(records[1].step, "");
  EXPECT_FALSE(records[0].start_time);
  EXPECT_EQ(records[0].het_component, -1);
  EXPECT_EQ(records[1].state, "CANCELLED");
  EXPECT_EQ(records[1].exit_signal, 15);
  EXPECT_EQ(records[1].comment, "a|b");
  EXPECT_EQ(records[0].node_list, "") << "sacct's None assigned: no node yet";
  EXPECT_EQ(records[1].node_list, "n[1-2]");
}

TEST(Accounting, WhoCancelledAJobIsKept) {
  auto records = parse_accounting(
      "8|k|CANCELLED by 1001|0:15|1763780000|1763780001|1763780009|8|billing=2|n1|\n"
      "8.batch|batch|CANCELLED|0:15|1763780000|1763780001|1763780009|8|cpu=2|n1|\n"
      "9|k|FAILED|1:0|1763780000|1763780001|1763780009|8|billing=2|n1|\n");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].state, "CANCELLED");
  EXPECT_EQ(records[0].cancelled_by, 1001u);
  EXPECT_EQ(records[1].cancelled_by, std::nullopt);  // a step's state names nobody
  EXPECT_EQ(records[2].cancelled_by, std::nullopt);
}

// Found by fuzz/slurm_output_fuzzer: a row whose numbers are not numbers threw std::stoi's
// invalid_argument out of the parser. Such a row is read with what can be read.
TEST(Accounting, ARowWhoseNumbersAreNotNumbersIsReadNotThrown) {
  auto records = parse_accounting(
      "358+x|j|FAILED|3:|1763780000|1763780001|1763780009|8|billing=2|n1|mljob:j\n"
      "359|j|FAILED|:99999999999|1763780000|1763780001|1763780009|8|billing=2|n1|mljob:j\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].base_job_id, "358");
  EXPECT_EQ(records[0].exit_code, 3);
  EXPECT_EQ(records[0].exit_signal, 0);
  EXPECT_EQ(records[1].exit_code, 0);
  EXPECT_EQ(records[1].exit_signal, 0);  // out of an int's range: not a signal
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

TEST(QueuedRecords, ArrayTasksLikeSqueuesJobArrayId) {
  // As the local cluster held `--array=4,7%1`: task 4 split off and running as job 11195,
  // task 7 still pending in the array's own record (squeue: 11194_[7%1]).
  QueuedJob running;
  running.job_id = 11195;
  running.array_job_id = 11194;
  running.array_task_id = 4;
  running.state = "RUNNING";
  QueuedJob pending;
  pending.job_id = 11194;
  pending.array_job_id = 11194;
  pending.array_task_list = "7%1";
  pending.state = "PENDING";
  auto records = queued_records({pending, running}, QueueSelection({"11194_4", "11194_7"}), 0);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].job_id, "11194_7");
  EXPECT_EQ(records[0].state, "PENDING");
  EXPECT_EQ(records[1].job_id, "11194_4");
  EXPECT_TRUE(queued_records({pending}, QueueSelection({"11194_5"}), 0).empty());  // not one of its tasks
  auto whole = queued_records({pending, running}, QueueSelection({"11194"}), 0);
  ASSERT_EQ(whole.size(), 2u);
  EXPECT_EQ(whole[0].job_id, "11194_[7%1]");  // the array asked for as a whole: its own record
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

namespace mljob {
namespace {

// The jobs of squeue_het_running.txt as libslurm hands them over (job_info_t's fields).
std::vector<QueuedJob> het_running_jobs() {
  auto component = [](std::uint32_t id, std::uint32_t offset, std::string tres) {
    QueuedJob job;
    job.job_id = id;
    job.het_job_id = 365;
    job.het_job_offset = offset;
    job.name = "fxq5044";
    job.state = "RUNNING";
    job.submit_time = job.start_time = 1795319746;
    job.end_time = 1795319746 + 7200;  // the expected end while running
    job.unlimited_time = true;         // so squeue printed NONE
    job.tres = std::move(tres);
    return job;
  };
  QueuedJob plain;
  plain.job_id = 354;
  plain.name = "wrap";
  plain.state = "COMPLETED";
  plain.submit_time = plain.start_time = 1795319564;
  plain.end_time = 1795319594;
  plain.tres = "cpu=1,mem=1G,node=1,billing=1";
  return {component(365, 0, "cpu=8,mem=7376M,node=1,billing=8,gres/gpu=1"),
          component(366, 1, "cpu=32,mem=29504M,node=1,billing=32"),
          component(367, 2, "cpu=12,mem=45G,node=1,billing=12"), plain};
}

void expect_same_records(const std::vector<AccountingRecord>& got, const std::vector<AccountingRecord>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE(want[i].job_id);
    EXPECT_EQ(got[i].job_id, want[i].job_id);
    EXPECT_EQ(got[i].base_job_id, want[i].base_job_id);
    EXPECT_EQ(got[i].het_component, want[i].het_component);
    EXPECT_EQ(got[i].step, want[i].step);
    EXPECT_EQ(got[i].name, want[i].name);
    EXPECT_EQ(got[i].state, want[i].state);
    EXPECT_EQ(got[i].submit_time, want[i].submit_time);
    EXPECT_EQ(got[i].start_time, want[i].start_time);
    EXPECT_EQ(got[i].end_time, want[i].end_time);
    EXPECT_EQ(got[i].billing, want[i].billing);
    EXPECT_EQ(got[i].elapsed_seconds, want[i].elapsed_seconds);
    EXPECT_EQ(got[i].reason, want[i].reason);
    EXPECT_EQ(got[i].node_list, want[i].node_list);
    EXPECT_EQ(got[i].comment, want[i].comment);
  }
}

TEST(QueuedJobs, GiveTheRecordsSqueueGives) {
  // Before the expected end, a job with no time limit reads "NONE" in squeue: no end time.
  auto records = queued_records(het_running_jobs(), QueueSelection({"365", "354"}), 1795319800);
  expect_same_records(records, parse_queue(fixture("squeue_het_running.txt")));
}

TEST(QueuedJobs, AnOwnerTakesOnlyTheirJobsAsSqueueMe) {
  QueuedJob mine, theirs;
  mine.job_id = 7;
  mine.user_id = 1001;
  theirs.job_id = 8;
  theirs.user_id = 1002;
  auto records = queued_records({mine, theirs}, QueueSelection({"7", "8"}, 1001), 0);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].job_id, "7");
  EXPECT_EQ(queued_records({mine, theirs}, QueueSelection({"7", "8"}), 0).size(), 2u);
}

TEST(QueuedJobs, EndTimesAsSqueuePrintsThem) {
  QueuedJob job;
  job.job_id = 7;
  job.state = "PENDING";
  job.submit_time = 100;
  job.end_time = kSlurmInfinite;  // libslurm prints "Unknown"
  auto records = queued_records({job}, QueueSelection({"7"}), 200);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].job_id, "7");
  EXPECT_EQ(records[0].het_component, -1);
  EXPECT_FALSE(records[0].start_time);  // 0: "N/A"
  EXPECT_FALSE(records[0].end_time);
  EXPECT_FALSE(records[0].billing);  // no TRES yet
  job.end_time = kSlurmNoValue;      // "None"
  EXPECT_FALSE(queued_records({job}, QueueSelection({"7"}), 200)[0].end_time);
  job.end_time = 300;  // a time limit: the expected end is printed, as squeue does
  EXPECT_EQ(queued_records({job}, QueueSelection({"7"}), 200)[0].end_time, 300);
  job.unlimited_time = true;  // no limit: "NONE" until then, the end once it has passed
  EXPECT_FALSE(queued_records({job}, QueueSelection({"7"}), 200)[0].end_time);
  EXPECT_EQ(queued_records({job}, QueueSelection({"7"}), 301)[0].end_time, 300);
}

TEST(QueuedJobs, SelectedAsSqueueJobsSelects) {
  auto jobs = het_running_jobs();
  QueueSelection leader({"365"});
  EXPECT_EQ(leader.single_job(), 365u);
  for (const auto& job : jobs) EXPECT_EQ(leader.selects(job), job.het_job_id == 365) << job.job_id;
  QueueSelection component({"366"});  // a component's own ID: only that component
  EXPECT_TRUE(component.selects(jobs[1]));
  EXPECT_FALSE(component.selects(jobs[0]));
  QueueSelection two({"354", "999"});
  EXPECT_EQ(two.single_job(), 0u);  // more than one ID: every job is loaded and filtered
  EXPECT_TRUE(two.selects(jobs[3]));
  EXPECT_FALSE(two.selects(jobs[0]));

  QueuedJob task;  // array task 4 of array 120, itself job 124
  task.job_id = 124;
  task.array_job_id = 120;
  task.array_task_id = 4;
  EXPECT_TRUE(QueueSelection({"120_4"}).selects(task));
  EXPECT_TRUE(QueueSelection({"120"}).selects(task));
  EXPECT_TRUE(QueueSelection({"124"}).selects(task));
  EXPECT_FALSE(QueueSelection({"120_5"}).selects(task));
  EXPECT_EQ(QueueSelection({"120_4"}).single_job(), 120u);
}

TEST(QueuedJobs, AnInvalidIdSelectsNothingAsSqueueExits) {
  auto jobs = het_running_jobs();
  // squeue: "Invalid job id" and exit 1, which SlurmCommands reads as an empty answer.
  for (const char* bad : {"x", "0", "-365", "365_x"}) {
    QueueSelection selection({"365", bad});
    for (const auto& job : jobs) EXPECT_FALSE(selection.selects(job)) << bad;
  }
  EXPECT_TRUE(QueueSelection({"365abc"}).selects(jobs[0]));   // strtol's reading: 365
  EXPECT_TRUE(QueueSelection({"365", ""}).selects(jobs[0]));  // strtok skips the empty item
  EXPECT_EQ(QueueSelection({"365", ""}).single_job(), 365u);
}

}  // namespace
}  // namespace mljob

namespace mljob {
namespace {

TEST(Accounting, ACommentMarksItsJobAndNoOther) {
  EXPECT_TRUE(comment_marks_job("mljob:run1", "run1"));
  EXPECT_TRUE(comment_marks_job("mljob:run1:0123abcd0123abcd", "run1"));
  EXPECT_FALSE(comment_marks_job("mljob:run10", "run1"));
  EXPECT_FALSE(comment_marks_job("mljob:run1_trials:1,2", "run1"));
  EXPECT_FALSE(comment_marks_job("run1", "run1"));
  EXPECT_FALSE(comment_marks_job("", "run1"));
}

std::function<bool(const std::string&)> marks(const std::string& job_id) {
  return [job_id](const std::string& comment) { return comment_marks_job(comment, job_id); };
}

// sacct --duplicates: an earlier job of ID 9 (ours, with its step), then the job slurmctld
// gave the ID to after it forgot ours (with a step of its own).
TEST(Accounting, OnlyTheRunsAJobsCommentMarksAreItsOwn) {
  auto records = parse_accounting(
      "9|a|COMPLETED|0:0|1763780000|1763780001|1763780009|8|billing=2|n1|mljob:ours:01\n"
      "9.batch|batch|COMPLETED|0:0|1763780000|1763780001|1763780009|8||n1|\n"
      "9|b|RUNNING|0:0|1763790000|1763790001|Unknown|8|billing=2|n2|mljob:theirs:02\n"
      "9.batch|batch|RUNNING|0:0|1763790000|1763790001|Unknown|8||n2|\n");
  bool others = false;
  auto ours = records_of_job(records, marks("ours"), others);
  ASSERT_EQ(ours.size(), 2u);
  EXPECT_EQ(ours[0].name, "a");
  EXPECT_EQ(ours[1].step, "batch");
  EXPECT_EQ(ours[1].state, "COMPLETED");
  EXPECT_TRUE(others);

  others = false;
  auto theirs = records_of_job(records, marks("theirs"), others);
  ASSERT_EQ(theirs.size(), 2u);
  EXPECT_EQ(theirs[1].state, "RUNNING");

  // A record with no comment (a job submitted without one) is not judged.
  others = false;
  auto plain = parse_accounting("7|j|PENDING|0:0|1763780000|Unknown|Unknown|0||None assigned|\n");
  EXPECT_EQ(records_of_job(plain, marks("ours"), others).size(), 1u);
  EXPECT_FALSE(others);
}

TEST(Accounting, SqueuesCommentIsLastAndKeptWhole) {
  auto records = parse_queue("115|N/A|N/A|dry1|PENDING|1795316390|N/A|N/A||115|JobHeldUser||mljob:dry1:ab|cd|\n");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].reason, "JobHeldUser");
  EXPECT_EQ(records[0].comment, "mljob:dry1:ab|cd");
}

// Seen in the fault suite: a trial's job ended NODE_FAIL and slurmctld said so before accounting
// did; its message must name the node from slurmctld's answer too (squeue's NodeList).
TEST(Accounting, SqueuesNodeListNamesANodeFailuresNode) {
  auto records =
      parse_queue("117_2|N/A|N/A|s_trials|NODE_FAIL|1795316390|1795316391|1795316399||117_2|NodeDown|n3|mljob:s:2|\n");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].node_list, "n3");
  EXPECT_EQ(records[0].comment, "mljob:s:2");
  EXPECT_NE(derive_status(records, {"master"}, false).error_message.find("its node n3 failed"), std::string::npos)
      << derive_status(records, {"master"}, false).error_message;
}

}  // namespace
}  // namespace mljob
