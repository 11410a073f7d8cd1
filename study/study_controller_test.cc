#include "study/study_controller.h"

#include <fstream>

#include <gtest/gtest.h>

#include "base/test_support.h"
#include "core/process.h"
#include "core/slurm_commands.h"
#include "core/spec_parser.h"
#include "jobs/sibling_program.h"
#include "jobs/test_environment.h"
#include "study/study_files.h"

namespace mljob::study {
namespace {

namespace fs = std::filesystem;
using mljob::testing::FakePrograms;
using mljob::testing::ScopedVariable;
using mljob::testing::ScopedWorkingFolder;
using nlohmann::json;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string text_of(const fs::path& file) {
  std::ifstream in(file);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(ControllerScript, RunsTheGivenMljobWithTheStoresAbsoluteRoot) {
  std::string script = controller_script("tune it", "/home/u/.mljob", "/opt/mljob/bin/mljob");
  EXPECT_TRUE(script.starts_with("#!/bin/bash\n#SBATCH --ntasks=1\n")) << script;
  EXPECT_TRUE(contains(script, "#SBATCH --requeue\n")) << script;
  EXPECT_TRUE(
      contains(script, "\nexport MLJOB_HOME='/home/u/.mljob'\nexec '/opt/mljob/bin/mljob' study run 'tune it'\n"))
      << script;
}

// As Slurm runs it: in the study's folder, with the submitter's environment, whose MLJOB_HOME
// may be relative to the folder submit ran in.
TEST(ControllerScript, RunInTheStudysFolderFindsTheStoreOfARelativeMljobHome) {
  mljob::testing::ScratchFolder scratch("mljob-controller-script");
  FakePrograms fake(scratch.path() / "bin");
  fake.add("mljob", R"(echo "$MLJOB_HOME|$PWD|$*")");
  fs::path root = scratch.path() / "home";
  fs::path folder = root / "jobs" / "tune";
  fs::create_directories(folder);
  std::ofstream(folder / "controller.sbatch") << controller_script("tune", root, fake.folder() / "mljob");
  ProcessResult run =
      run_process({"bash", "-c", R"(cd -- "$1" && MLJOB_HOME=home exec bash controller.sbatch)", "-", folder.string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, root.string() + "|" + folder.string() + "|study run tune\n");
}

// A study of one DOUBLE parameter whose packages are a relative path and a URL.
Job a_study_job() {
  return parse_job_spec(
      json{{"jobId", "tune"},
           {"trainingInput",
            {{"pythonModule", "trainer.task"},
             {"packageUris", {"pkgs/trainer-0.1.tar.gz", "https://example.com/t-0.1-py3-none-any.whl"}},
             {"hyperparameters",
              {{"goal", "MINIMIZE"},
               {"hyperparameterMetricTag", "loss"},
               {"maxTrials", 2},
               {"params", {{{"parameterName", "x"}, {"type", "DOUBLE"}, {"minValue", 0}, {"maxValue", 1}}}}}}}}}
          .dump(),
      "the test's spec");
}

// Submitted from a folder with relative MLJOB_HOME, --tiers and packageUris: the controller,
// which runs in the study's folder, and the trials it prepares get the same store, catalog
// and packages, and it is the mljob program that runs it, whichever front end submitted.
TEST(SubmitStudy, RecordsThePathsSubmitUsedAbsoluteAndRunsTheMljobBesideIt) {
  mljob::testing::ScratchFolder scratch("mljob-submit-study");
  FakePrograms fake(scratch.path() / "bin");
  fs::path sbatch_log = scratch.path() / "sbatch.args";
  fake.add("sbatch", "printf '%s\\n' \"$@\" > '" + sbatch_log.string() + "'; echo 4242");
  fs::path submitted_in = scratch.path() / "work";
  fs::create_directories(submitted_in);
  ScopedWorkingFolder working(submitted_in);
  ScopedVariable home("MLJOB_HOME", "home");

  JobStore store = JobStore::from_environment();
  submit_study(a_study_job(), store, "site/tiers.yaml", SlurmCommands{});

  fs::path folder = submitted_in / "home" / "jobs" / "tune";
  std::string script = text_of(folder / "controller.sbatch");
  EXPECT_TRUE(contains(script, "export MLJOB_HOME='" + (submitted_in / "home").string() + "'\n")) << script;
  EXPECT_TRUE(contains(script, "exec '" + (jobs::own_program_folder() / "mljob").string() + "' study run 'tune'\n"))
      << script;
  EXPECT_EQ(read_study_settings(folder).tiers_file, submitted_in / "site" / "tiers.yaml");
  json packages = json::parse(text_of(folder / kStudyJobFile))["trainingInput"]["packageUris"];
  EXPECT_EQ(packages, (json{(submitted_in / "pkgs" / "trainer-0.1.tar.gz").string(),
                            "https://example.com/t-0.1-py3-none-any.whl"}));
  EXPECT_EQ(store.load("tune")->slurm_job_id, "4242");
  EXPECT_TRUE(contains(text_of(sbatch_log), (folder / "controller.sbatch").string()));
}

TEST(StudySettings, AStudyOfAnEarlierMljobHasNoneAndTheEnvironmentsCatalog) {
  mljob::testing::ScratchFolder scratch("mljob-study-settings");
  EXPECT_EQ(read_study_settings(scratch.path()).tiers_file, fs::path());
  write_study_settings({"/site/tiers.yaml"}, scratch.path());
  EXPECT_EQ(read_study_settings(scratch.path()).tiers_file, fs::path("/site/tiers.yaml"));
  std::ofstream(scratch.path() / kStudySettingsFile) << "[";
  EXPECT_THROW(read_study_settings(scratch.path()), std::runtime_error);
}

}  // namespace
}  // namespace mljob::study
