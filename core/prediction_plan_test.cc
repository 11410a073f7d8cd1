#include "core/prediction_plan.h"

#include "base/test_support.h"

namespace mljob {
namespace {

using testing::expect_input_error;

tiers::TierCatalog catalog() {
  tiers::TierCatalog c;
  c.machine_types["n1-standard-4"] = {"n1-standard-4", 4, 15360, std::nullopt, "cpu", "", "", "", "2:00:00", "", false};
  c.machine_types["n1-standard-8"] = {"n1-standard-8", 8, 30720, std::nullopt, "", "", "", "", "", "", false};
  c.scale_tiers["BASIC"] = {"BASIC", {"n1-standard-4", 1, std::nullopt}, {}, {}};
  return c;
}

TEST(PredictionPlan, ArrayIndicesAsSlurmWritesThem) {
  EXPECT_EQ(array_indices({0, 1, 2, 3}), "0-3");
  EXPECT_EQ(array_indices({1, 4, 5, 6, 9}), "1,4-6,9");
  EXPECT_EQ(array_indices({7}), "7");
}

TEST(PredictionPlan, TheWorkerIsBasicsMasterUnlessTheCatalogSays) {
  tiers::TierCatalog c = catalog();
  SlurmComponent worker = prediction_worker(c, "", "f");
  EXPECT_EQ(worker.machine_type, "n1-standard-4");
  EXPECT_EQ(worker.cpus_per_task, 4);
  EXPECT_EQ(worker.memory_per_cpu_mb, 3840);
  EXPECT_EQ(worker.partition, "cpu");
  EXPECT_EQ(worker.time_limit, "2:00:00");
  c.prediction_machine_type = "n1-standard-8";
  EXPECT_EQ(prediction_worker(c, "", "f").machine_type, "n1-standard-8");
  EXPECT_EQ(prediction_worker(c, "n1-standard-4", "f").machine_type, "n1-standard-4");
  expect_input_error([&] { prediction_worker(c, "n9-huge", "machineType"); }, "machineType", "not a machine type");
}

TEST(PredictionPlan, TheScriptExecsTheWorkerWithItsShard) {
  PredictionArrayPlan plan;
  plan.job_name = "score_1";
  plan.worker = prediction_worker(catalog(), "", "f");
  plan.shards = {0, 1, 2, 3};
  plan.throttle = 2;
  plan.runtime_setup = "module load python";
  plan.worker_command = {"/opt/mljob/bin/mljob-predict", "--job-folder", "/home/a b/.mljob/jobs/score_1"};
  std::string script = render_prediction_script(plan);
  EXPECT_NE(script.find("#SBATCH --array=0-3%2\n"), std::string::npos) << script;
  EXPECT_NE(script.find("#SBATCH --cpus-per-task=4\n"), std::string::npos) << script;
  EXPECT_NE(script.find("#SBATCH --partition=cpu\n"), std::string::npos) << script;
  EXPECT_NE(script.find("module load python\n"), std::string::npos) << script;
  EXPECT_NE(script.find("exec '/opt/mljob/bin/mljob-predict' '--job-folder' '/home/a b/.mljob/jobs/score_1' --shard "
                        "\"$SLURM_ARRAY_TASK_ID\"\n"),
            std::string::npos)
      << script;
}

}  // namespace
}  // namespace mljob
