#include "core/job_store.h"

#include <fstream>

#include "core/test_support.h"

namespace mljob {
namespace {

namespace fs = std::filesystem;
using testing::expect_spec_error;

JobRecord record_in(const fs::path& folder, const std::string& job_id) {
  return {{{"jobId", job_id}, {"labels", {{"team", std::string(300, 'v')}}}}, "42", {"master"}, {"master-0"}, false, folder};
}

TEST(JobStore, AJobIdThatIsNotOneNeverBecomesAPath) {
  testing::ScratchFolder scratch("mljob-store");
  JobStore store(scratch.path());
  fs::create_directories(scratch.path() / "outside");
  for (std::string id : {"/tmp/x", "../../y", "../outside", "a/b", ".", "..", "", "a b"}) {
    expect_spec_error([&] { store.folder_of(id); }, "JOB_ID", "");
    expect_spec_error([&] { store.load(id); }, "JOB_ID", "");
    expect_spec_error([&] { store.lock(id); }, "JOB_ID", "");
    expect_spec_error([&] { store.reserve(id); }, "JOB_ID", "");
    expect_spec_error([&] { store.release(id); }, "JOB_ID", "");
  }
  expect_spec_error([&] { store.folder_of("/tmp/x"); }, "JOB_ID", "must start with a letter");
  EXPECT_TRUE(fs::is_directory(scratch.path() / "outside"));
  EXPECT_FALSE(fs::exists(scratch.path() / "outside" / "job.lock"));
  EXPECT_EQ(store.folder_of("job_1"), scratch.path() / "jobs" / "job_1");
}

TEST(JobStore, ListingSkipsFoldersThatAreNoJobs) {
  testing::ScratchFolder scratch("mljob-store");
  JobStore store(scratch.path());
  fs::path folder = store.reserve("job_1");
  store.save(record_in(folder, "job_1"));
  fs::create_directories(scratch.path() / "jobs" / "lost+found");
  fs::create_directories(scratch.path() / "jobs" / ".hidden");
  std::vector<JobRecord> all = store.load_all();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].slurm_job_id, "42");
}

TEST(JobStore, ARecordThatCannotBeWrittenIsAnErrorAndTheOldOneStays) {
  testing::ScratchFolder scratch("mljob-store");
  JobStore store(scratch.path());
  fs::path folder = store.reserve("job_1");
  JobRecord record = record_in(folder, "job_1");
  store.save(record);
  record.slurm_job_id = "43";
  {
    testing::FileSizeLimit full(64);  // the record is larger, and smaller than the stream's buffer
    EXPECT_THROW(store.save(record), std::runtime_error);
  }
  EXPECT_EQ(store.load("job_1")->slurm_job_id, "42");
}

TEST(JobStore, FromEnvironmentIsAbsolute) {
  const char* saved = std::getenv("MLJOB_HOME");
  std::string kept = saved ? saved : "";
  ::setenv("MLJOB_HOME", "-relative-home", 1);
  fs::path root = JobStore::from_environment().root();
  if (saved) ::setenv("MLJOB_HOME", kept.c_str(), 1);
  else ::unsetenv("MLJOB_HOME");
  EXPECT_TRUE(root.is_absolute()) << root;
  EXPECT_EQ(root.filename(), "-relative-home");
}

}  // namespace
}  // namespace mljob
