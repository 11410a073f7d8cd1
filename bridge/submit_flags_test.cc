#include "bridge/submit_flags.h"

#include <gtest/gtest.h>

#include <fstream>

#include "base/input_error.h"
#include "base/test_support.h"

namespace mljob::bridge {
namespace {

Job job_of(const Arguments& args) {
  return job_from_flags(parse_submit_flags(args));
}

TEST(SubmitFlags, GcloudsFlagsMakeTheJob) {
  Job job = job_of({"lab_1", "--scale-tier", "CUSTOM", "--module-name", "trainer.task", "--master-machine-type",
                    "n1-standard-8", "--master-accelerator", "count=2,type=NVIDIA_TESLA_T4", "--worker-count", "3",
                    "--labels", "team=vision,owner=ada", "--packages", "a.tar.gz,b.whl", "--", "--epochs", "5"});
  EXPECT_EQ(job.job_id, "lab_1");
  EXPECT_EQ(job.training_input.scale_tier, "CUSTOM");
  EXPECT_EQ(job.training_input.python_module, "trainer.task");
  EXPECT_EQ(job.training_input.master_type, "n1-standard-8");
  ASSERT_TRUE(job.training_input.master_config.accelerator_config);
  EXPECT_EQ(job.training_input.master_config.accelerator_config->count, 2);
  EXPECT_EQ(job.training_input.master_config.accelerator_config->type, "NVIDIA_TESLA_T4");
  EXPECT_EQ(job.training_input.worker_count, 3);
  EXPECT_EQ(job.labels.at("team"), "vision");
  EXPECT_EQ(job.labels.at("owner"), "ada");
  EXPECT_EQ(job.training_input.package_uris, (std::vector<std::string>{"a.tar.gz", "b.whl"}));
  EXPECT_EQ(job.training_input.args, (std::vector<std::string>{"--epochs", "5"}));
}

TEST(SubmitFlags, FlagsOverrideTheConfigFileAndArgsAfterDashesReplaceIts) {
  testing::ScratchFolder scratch("mljob-submit-flags");
  auto config = scratch.path() / "job.yaml";
  std::ofstream(config) << "trainingInput:\n  scaleTier: BASIC\n  pythonModule: from.file\n  args: [--a, '1']\n"
                           "labels: {team: nlp}\n";
  Job kept = job_of({"j", "--config", config.string()});
  EXPECT_EQ(kept.training_input.python_module, "from.file");
  EXPECT_EQ(kept.training_input.args, (std::vector<std::string>{"--a", "1"}));
  Job overridden =
      job_of({"j", "--config", config.string(), "--module-name", "from.flag", "--labels", "team=vision", "--", "--b"});
  EXPECT_EQ(overridden.training_input.python_module, "from.flag");
  EXPECT_EQ(overridden.training_input.scale_tier, "BASIC");
  EXPECT_EQ(overridden.labels.at("team"), "vision");
  EXPECT_EQ(overridden.training_input.args, (std::vector<std::string>{"--b"}));
}

TEST(SubmitFlags, BadFlagsNameTheFlagValueAndRule) {
  testing::expect_input_error(
      [] {
        job_of({"j", "--master-accelerator", "count=two,type=T4"});
      },
      "--master-accelerator", "count must be an integer");
  testing::expect_input_error(
      [] {
        job_of({"j", "--worker-accelerator", "count=1"});
      },
      "--worker-accelerator", "needs type=TYPE");
  testing::expect_input_error([] { job_of({"j", "--labels", "=x"}); }, "--labels", "KEY=VALUE");
  testing::expect_input_error([] { job_of({"--module-name", "t"}); }, "JOB_ID", "is required");
}

}  // namespace
}  // namespace mljob::bridge
