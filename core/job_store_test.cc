#include "core/job_store.h"

#include <sys/stat.h>

#include <fstream>

#include "base/test_support.h"

#include <optional>

namespace mljob {
namespace {

namespace fs = std::filesystem;
using testing::expect_input_error;

JobRecord record_in(const fs::path& folder, const std::string& job_id) {
  return {{{"jobId", job_id}, {"labels", {{"team", std::string(300, 'v')}}}},
          "42",
          {"master"},
          {"master-0"},
          false,
          folder,
          {},
          {},
          "mljob:" + job_id + ":0123"};
}

TEST(JobStore, AJobIdThatIsNotOneNeverBecomesAPath) {
  testing::ScratchFolder scratch("mljob-store");
  JobStore store(scratch.path());
  fs::create_directories(scratch.path() / "outside");
  for (std::string id : {"/tmp/x", "../../y", "../outside", "a/b", ".", "..", "", "a b"}) {
    expect_input_error([&] { store.folder_of(id); }, "JOB_ID", "");
    expect_input_error([&] { store.load(id); }, "JOB_ID", "");
    expect_input_error([&] { store.lock(id); }, "JOB_ID", "");
    expect_input_error([&] { store.reserve(id); }, "JOB_ID", "");
    expect_input_error([&] { store.release(id); }, "JOB_ID", "");
  }
  expect_input_error([&] { store.folder_of("/tmp/x"); }, "JOB_ID", "must start with a letter");
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

mode_t mode_of(const fs::path& path) {
  struct stat status {};
  EXPECT_EQ(::stat(path.c_str(), &status), 0) << path;
  return status.st_mode & 07777;
}

TEST(JobStore, FoldersAndRecordsAreTheOwnersAloneWhateverTheUmask) {
  testing::ScratchFolder scratch("mljob-store");
  for (mode_t mask : {mode_t{0}, mode_t{022}}) {
    mode_t saved = ::umask(mask);
    JobStore store(scratch.path() / ("home-" + std::to_string(mask)));
    fs::path folder = store.reserve("job_1");
    store.save(record_in(folder, "job_1"));
    store.lock("job_1");
    ::umask(saved);
    EXPECT_EQ(mode_of(store.root()), 0700u) << "umask " << mask;
    EXPECT_EQ(mode_of(store.root() / "jobs"), 0700u) << "umask " << mask;
    EXPECT_EQ(mode_of(folder), 0700u) << "umask " << mask;
    EXPECT_EQ(mode_of(folder / "job.json"), 0600u) << "umask " << mask;
    EXPECT_EQ(mode_of(folder / "job.lock"), 0600u) << "umask " << mask;
  }
}

// A store an older mljob made under umask 022: its jobs/ guards every job's folder.
TEST(JobStore, AWiderJobsFolderIsNarrowedOnTheNextReservation) {
  testing::ScratchFolder scratch("mljob-store");
  fs::create_directories(scratch.path() / "jobs" / "old_job");
  fs::permissions(scratch.path() / "jobs", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                               fs::perms::others_read | fs::perms::others_exec);
  JobStore(scratch.path()).reserve("job_1");
  EXPECT_EQ(mode_of(scratch.path() / "jobs"), 0700u);
}

TEST(JobStore, AStoreOthersMayWriteIsRefused) {
  testing::ScratchFolder scratch("mljob-store");
  fs::path home = scratch.path() / "shared";
  fs::create_directory(home);
  testing::ScopedVariable env("MLJOB_HOME", home.string());
  fs::permissions(home, fs::perms::owner_all | fs::perms::group_all);
  expect_input_error([] { JobStore::from_environment(); }, "MLJOB_HOME", "is writable by group");
  expect_input_error([] { JobStore::from_environment(); }, "MLJOB_HOME",
                     "would let each rewrite the others' job scripts");
  expect_input_error([&] { JobStore(home).reserve("job_1"); }, "MLJOB_HOME", "is writable by group");
  fs::permissions(home, fs::perms::owner_all | fs::perms::others_all);
  expect_input_error([] { JobStore::from_environment(); }, "MLJOB_HOME", "is writable by every user");
  EXPECT_FALSE(fs::exists(home / "jobs"));
  fs::permissions(home, fs::perms::owner_all);
  EXPECT_EQ(JobStore::from_environment().root(), home);
}

TEST(JobStore, ThereIsNoSharedStoreWhenHomeIsUnset) {
  testing::ScopedVariable no_store("MLJOB_HOME", std::nullopt);
  testing::ScopedVariable no_home("HOME", std::nullopt);
  expect_input_error([] { JobStore::from_environment(); }, "MLJOB_HOME", "neither is HOME");
}

TEST(JobStore, FromEnvironmentIsAbsolute) {
  const char* saved = std::getenv("MLJOB_HOME");
  std::string kept = saved ? saved : "";
  ::setenv("MLJOB_HOME", "-relative-home", 1);
  fs::path root = JobStore::from_environment().root();
  if (saved)
    ::setenv("MLJOB_HOME", kept.c_str(), 1);
  else
    ::unsetenv("MLJOB_HOME");
  EXPECT_TRUE(root.is_absolute()) << root;
  EXPECT_EQ(root.filename(), "-relative-home");
}

}  // namespace
}  // namespace mljob
