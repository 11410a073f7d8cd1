// mljob cancel against programs that stand in for squeue and scancel.
#include <atomic>
#include <chrono>
#include <fstream>
#include <optional>
#include <thread>

#include <gtest/gtest.h>

#include "base/test_support.h"
#include "bridge/cancel_command.h"
#include "core/job_store.h"
#include "core/slurm_commands.h"
#include "jobs/test_environment.h"

namespace mljob::bridge {
namespace {

namespace fs = std::filesystem;
using mljob::testing::FakePrograms;
using mljob::testing::ScopedVariable;

class Cancel : public ::testing::Test {
 protected:
  Cancel() {
    // slurmctld says every job asked for is RUNNING; scancel notes what it was asked to cancel.
    fake_.add("squeue", R"(while [ $# -gt 0 ]; do [ "$1" = --jobs ] && id=$2; shift; done
echo "$id|N/A|N/A|mljob|RUNNING|1795319746|1795319746|NONE|cpu=1,mem=1G,node=1,billing=1|")");
    fake_.add("scancel", "echo \"$*\" >> '" + scancel_log_.string() + "'");
    store_.reserve("job_1");
    store_.save(record("111"));
  }

  JobRecord record(const std::string& slurm_job_id) const {
    return {{{"jobId", "job_1"}}, slurm_job_id, {"master"}, {"master-0"}, false, store_.folder_of("job_1"), {}, {}, ""};
  }

  std::string cancelled() const {
    std::ifstream in(scancel_log_);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  mljob::testing::ScratchFolder scratch_{"mljob-cancel"};
  FakePrograms fake_{scratch_.path() / "bin"};
  fs::path scancel_log_ = scratch_.path() / "scancel.log";
  ScopedVariable home_{"MLJOB_HOME", (scratch_.path() / "home").string()};
  JobStore store_{scratch_.path() / "home"};
};

TEST_F(Cancel, RecordsTheRequestAndCancelsTheSlurmJob) {
  EXPECT_EQ(cancel({"job_1"}, SlurmCommands{}), kExitOk);
  EXPECT_TRUE(store_.load("job_1")->cancel_requested);
  EXPECT_EQ(cancelled(), "111\n");
}

// `mljob study resume` saves its new controller's Slurm job ID under the record's lock: a
// cancel meanwhile waits for it, then cancels the new controller, and the record keeps its ID.
TEST_F(Cancel, WaitsForTheRecordsLockAndDoesNotOverwriteWhatItsHolderSaved) {
  std::optional<JobStore::Lock> held(store_.lock("job_1"));
  std::atomic<bool> done = false;
  std::thread cancelling([&] {
    cancel({"job_1"}, SlurmCommands{});
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_FALSE(done) << "cancel did not wait for the record's lock";
  store_.save(record("222"));  // as resume does, still holding the lock
  held.reset();
  cancelling.join();
  auto after = store_.load("job_1");
  EXPECT_EQ(after->slurm_job_id, "222");
  EXPECT_TRUE(after->cancel_requested);
  EXPECT_EQ(cancelled(), "222\n");
}

}  // namespace
}  // namespace mljob::bridge
