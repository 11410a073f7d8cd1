#include "core/batch_script.h"

#include <gtest/gtest.h>

#include "base/test_support.h"
#include "core/process.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace mljob {
namespace {

SlurmPlan two_component_plan(std::vector<std::string> args) {
  SlurmPlan plan;
  plan.job_name = "job_1";
  SlurmComponent master;
  master.roles = {{"master", 1}};
  master.machine_type = "n1-standard-8";
  master.tasks = 1;
  master.cpus_per_task = 8;
  master.memory_per_cpu_mb = 3840;
  master.gpu_type = "t4";
  master.gpus_per_task = 1;
  SlurmComponent workers = master;
  workers.roles = {{"worker", 2}};
  workers.tasks = 2;
  workers.gpus_per_task = 0;
  workers.gpu_type.clear();
  plan.components = {master, workers};
  plan.python = "/usr/bin/python3";
  plan.program = {"-m", "trainer.task"};
  plan.program.insert(plan.program.end(), args.begin(), args.end());
  plan.python_path = {"/jobs/job_1/packages"};
  plan.job_dir = "/jobs/job_1/job-dir";
  return plan;
}

TEST(BatchScript, HeterogeneousComponentsAndRoles) {
  std::string script = render_batch_script(two_component_plan({}));
  EXPECT_NE(script.find("#SBATCH --job-name=job_1\n#SBATCH --no-requeue\n#SBATCH --ml-roles=master,worker\n"),
            std::string::npos)
      << script;
  EXPECT_NE(script.find("#SBATCH --gpus-per-task=t4:1\n"), std::string::npos);
  EXPECT_NE(script.find("#SBATCH hetjob\n"), std::string::npos);
  EXPECT_NE(script.find("#SBATCH --ntasks=2\n"), std::string::npos);
  EXPECT_NE(script.find("exec srun --het-group=0-1 "), std::string::npos);
  EXPECT_NE(script.find("export MLJOB_JOB_DIR='/jobs/job_1/job-dir'\n"), std::string::npos);
}

TEST(ShellQuote, RoundTripsThroughARealShell) {
  // What the script's srun line would give the program, checked with bash itself.
  const std::vector<std::string> nasty = {"it's",
                                          "$(touch /tmp/mljob-pwned)",
                                          "`id`",
                                          "a\nb",
                                          "#SBATCH --uid=0",
                                          "\"double\"",
                                          "ünïcødé ✓",
                                          "",
                                          "back\\slash",
                                          "*",
                                          "$HOME"};
  for (const auto& word : nasty) {
    ProcessResult result = run_process({"bash", "-c", "printf %s " + shell_quote(word)});
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_EQ(result.out, word);
  }
}

TEST(BatchScript, TheMetricsCollectorWrapsTheTrainingStep) {
  SlurmPlan plan = two_component_plan({});
  plan.step_wrapper = {"/opt/mljob/bin/mljob-collect", "--job-folder", "/jobs/job 1", "--"};
  std::string script = render_batch_script(plan);
  EXPECT_NE(script.find("exec '/opt/mljob/bin/mljob-collect' '--job-folder' '/jobs/job 1' '--' srun --het-group=0-1"),
            std::string::npos)
      << script;
}

TEST(BatchScript, UserArgumentsCannotAddSbatchLines) {
  std::string script = render_batch_script(two_component_plan({"x\n#SBATCH --uid=0"}));
  // The injected line is inside single quotes after the first command, where sbatch stops
  // reading directives; and every #SBATCH line before it is ours.
  auto first_command = script.find("\nset -eu");
  auto injected = script.find("#SBATCH --uid=0");
  EXPECT_GT(injected, first_command);
}

TEST(ArrayScript, EachElementRunsItsOwnTrialScriptInItsFolderWithItsEnvironment) {
  SlurmPlan plan = two_component_plan({});
  plan.components.resize(1);
  testing::ScratchFolder scratch("mljob-array");
  const std::filesystem::path& root = scratch.path();
  std::vector<ArrayElement> elements;
  for (int index : {4, 7}) {
    std::filesystem::path folder = root / ("study_trial_" + std::to_string(index));
    std::filesystem::create_directories(folder);
    std::ofstream(folder / "job.sbatch") << "#!/bin/bash\n#SBATCH --ntasks=1\necho \"$PWD $MLJOB_HPS\"\n";
    elements.push_back(
        {index, folder.string(), (folder / "job.sbatch").string(), {{"MLJOB_HPS", "{\"x\":\"it's $(id)\"}"}}});
  }
  std::string script = render_array_script(plan, "study_trials", elements, 3);
  EXPECT_NE(
      script.find(
          "#SBATCH --job-name=study_trials\n#SBATCH --array=4,7%3\n#SBATCH --no-requeue\n#SBATCH --ml-roles=master\n"),
      std::string::npos)
      << script;
  EXPECT_EQ(script.find("hetjob"), std::string::npos);
  std::filesystem::path file = root / "array.sbatch";
  std::ofstream(file) << script;
  ProcessResult seven = run_process({"env", "SLURM_ARRAY_TASK_ID=7", "bash", file.string()});
  EXPECT_EQ(seven.exit_code, 0) << seven.err;
  EXPECT_EQ(seven.out, (root / "study_trial_7").string() + " {\"x\":\"it's $(id)\"}\n");
  ProcessResult stray = run_process({"env", "SLURM_ARRAY_TASK_ID=5", "bash", file.string()});
  EXPECT_NE(stray.exit_code, 0);
  EXPECT_NE(stray.err.find("array task 5 is none of this array's trials"), std::string::npos) << stray.err;
}

// The script's mkdir line, run by bash: a jobDir that looks like an option is still a folder.
TEST(BatchScript, AJobDirThatLooksLikeAnOptionIsAFolder) {
  testing::ScratchFolder scratch("mljob-jobdir");
  const std::filesystem::path& root = scratch.path();
  for (std::string job_dir : {"-Z", "--help", "-p"}) {
    SlurmPlan plan = two_component_plan({});
    plan.job_dir = job_dir;
    std::string script = render_batch_script(plan);
    auto start = script.find("\nmkdir ");
    ASSERT_NE(start, std::string::npos) << script;
    std::string line = script.substr(start + 1, script.find('\n', start + 1) - start - 1);
    EXPECT_EQ(line, "mkdir -p -- '" + job_dir + "'");
    ProcessResult result = run_process({"bash", "-c", "cd " + shell_quote(root.string()) + " && " + line});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_TRUE(std::filesystem::is_directory(root / job_dir)) << job_dir;
  }
}

TEST(SbatchArguments, NoShellInvolved) {
  auto argv = sbatch_arguments({"/a b/out.log", "/a b", "mljob:x", ""}, "/a b/job.sbatch");
  EXPECT_EQ(argv, (std::vector<std::string>{"sbatch", "--parsable", "--output=/a b/out.log", "--chdir=/a b",
                                            "--comment=mljob:x", "/a b/job.sbatch"}));
}

}  // namespace
}  // namespace mljob
