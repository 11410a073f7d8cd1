#include "jobs/sibling_program.h"

#include <sys/stat.h>

#include <fstream>

#include <gtest/gtest.h>

#include "base/test_support.h"
#include "jobs/metrics_declarations.h"

namespace mljob::jobs {
namespace {

namespace fs = std::filesystem;

// The message of the error `action` throws (empty, and a failure, when it throws none).
template <typename Action>
std::string error_of(Action action) {
  try {
    action();
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

TEST(SiblingProgram, IsTheProgramOfThatNameInTheRunningProgramsFolder) {
  fs::path self = fs::read_symlink("/proc/self/exe");
  EXPECT_EQ(own_program_folder(), self.parent_path());
  EXPECT_EQ(sibling_program(self.filename().string()), self);
  // The build puts mljob, mljob-submit and mljob-collect beside these tests (build/bridge), as
  // an install puts them in one bin/: whichever of them runs, it finds the others there.
  for (const char* name : {"mljob", "mljob-submit", "mljob-collect"}) {
    EXPECT_EQ(sibling_program(name), self.parent_path() / name);
  }
}

TEST(SiblingProgram, AMissingOrUnrunnableOneIsAnErrorNamingWhereItWasLookedFor) {
  mljob::testing::ScratchFolder scratch("mljob-sibling");
  const fs::path& folder = scratch.path();
  std::ofstream(folder / "mljob") << "#!/bin/sh\n";
  ::chmod((folder / "mljob").c_str(), 0755);
  EXPECT_EQ(program_in(folder, "mljob"), folder / "mljob");

  std::string missing = error_of([&] { program_in(folder, "mljob-collect"); });
  EXPECT_NE(missing.find((folder / "mljob-collect").string()), std::string::npos) << missing;
  EXPECT_NE(missing.find("installed together"), std::string::npos) << missing;

  std::ofstream(folder / "mljob-submit") << "#!/bin/sh\n";  // not executable
  ::chmod((folder / "mljob-submit").c_str(), 0644);         // no x bit for anyone: not even root may run it
  EXPECT_NE(error_of([&] { program_in(folder, "mljob-submit"); }).find("cannot be run"), std::string::npos);
  fs::create_directory(folder / "mljob-dir");
  ::chmod((folder / "mljob-dir").c_str(), 0755);
  EXPECT_NE(error_of([&] { program_in(folder, "mljob-dir"); }).find("mljob-dir"), std::string::npos);
  EXPECT_NE(error_of([] { sibling_program("no-such-mljob-program"); }).find(own_program_folder().string()),
            std::string::npos);
}

TEST(SiblingProgram, EveryJobsStepRunsUnderTheCollectorBesideTheSubmittingProgram) {
  std::vector<std::string> wrapper = collector_wrapper("/jobs/job 1", 0);
  ASSERT_EQ(wrapper.size(), 4u);
  EXPECT_EQ(wrapper[0], (own_program_folder() / "mljob-collect").string());
  EXPECT_EQ(wrapper[2], "/jobs/job 1");
  // The site's cap on stored logs (the catalog's logs.maxBytesPerJob) goes to the collector.
  EXPECT_EQ(
      collector_wrapper("/jobs/job 1", 1 << 30),
      (std::vector<std::string>{wrapper[0], "--job-folder", "/jobs/job 1", "--max-log-bytes", "1073741824", "--"}));
}

}  // namespace
}  // namespace mljob::jobs
