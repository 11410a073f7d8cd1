#include "core/planner.h"

#include "base/test_support.h"
#include "core/spec_parser.h"
#include "tiers/catalog_loader.h"

namespace mljob {
namespace {

const tiers::TierCatalog& stock_catalog() {
  static tiers::TierCatalog loaded = tiers::load_catalog(std::string(MLJOB_SOURCE_DIR) + "/etc/tiers.yaml");
  return loaded;
}

SlurmPlan plan_for(const std::string& training_input_yaml, const tiers::TierCatalog& catalog = stock_catalog()) {
  Job job = parse_job_spec("trainingInput:\n" + training_input_yaml, "test");
  job.job_id = "j";
  return plan_job(job, catalog, {"/jobs/j/job-dir", {"/jobs/j/packages"}});
}

TEST(Planner, StockStandard1MergesMasterAndWorkers) {
  // In the stock catalog the master and the workers are both n1-highcpu-8: one component.
  SlurmPlan plan = plan_for("  scaleTier: STANDARD_1\n  pythonModule: trainer.task\n  args: [--epochs, '2']\n");
  ASSERT_EQ(plan.components.size(), 2u);
  EXPECT_EQ(plan.ml_roles(), "master:1+worker,ps");
  EXPECT_EQ(plan.components[0].tasks, 5);
  EXPECT_EQ(plan.components[1].tasks, 3);
  EXPECT_EQ(plan.components[0].cpus_per_task, 8);
  EXPECT_EQ(plan.components[0].memory_per_cpu_mb * 8, 7376);  // 7.2G, rounded up per CPU
  EXPECT_EQ(plan.components[1].memory_per_cpu_mb * 4, 15360);
  EXPECT_EQ(plan.program,
            (std::vector<std::string>{"-m", "trainer.task", "--epochs", "2", "--job-dir", "/jobs/j/job-dir"}));
  EXPECT_EQ(plan.total_tasks(), 8);
  EXPECT_EQ(plan.task_roles(), (std::vector<std::string>{"master-0", "worker-0", "worker-1", "worker-2", "worker-3",
                                                         "ps-0", "ps-1", "ps-2"}));
}

TEST(Planner, LocalClusterStandard1IsThreeComponents) {
  // The local cluster's catalog gives the master a T4: three shapes, three components.
  static tiers::TierCatalog local = tiers::load_catalog(std::string(MLJOB_SOURCE_DIR) + "/contrib/cluster/tiers.yaml");
  SlurmPlan plan = plan_for("  scaleTier: STANDARD_1\n  pythonModule: trainer.task\n", local);
  ASSERT_EQ(plan.components.size(), 3u);
  EXPECT_EQ(plan.ml_roles(), "master,worker,ps");
  EXPECT_EQ(plan.components[0].gpu_type, "t4");
  EXPECT_EQ(plan.components[0].gpus_per_task, 1);
  EXPECT_EQ(plan.components[1].tasks, 4);
  EXPECT_EQ(plan.python, "/usr/bin/python3");
}

TEST(Planner, SameShapeReplicasShareAComponent) {
  SlurmPlan plan = plan_for(
      "  scaleTier: CUSTOM\n  masterType: n1-standard-8\n  workerType: n1-standard-8\n"
      "  workerCount: 2\n  parameterServerType: n1-highmem-2\n  parameterServerCount: 1\n"
      "  pythonModule: t\n");
  ASSERT_EQ(plan.components.size(), 2u);
  EXPECT_EQ(plan.components[0].tasks, 3);
  EXPECT_EQ(plan.ml_roles(), "master:1+worker,ps");
}

TEST(Planner, AcceleratorsBecomeGpusPerTask) {
  SlurmPlan plan = plan_for(
      "  scaleTier: CUSTOM\n  masterType: n1-standard-8\n"
      "  masterConfig: {acceleratorConfig: {count: 2, type: NVIDIA_TESLA_V100}}\n"
      "  pythonModule: t\n");
  EXPECT_EQ(plan.components[0].gpu_type, "v100");
  EXPECT_EQ(plan.components[0].gpus_per_task, 2);
  SlurmPlan legacy = plan_for("  scaleTier: CUSTOM\n  masterType: complex_model_m_gpu\n  pythonModule: t\n");
  EXPECT_EQ(legacy.components[0].gpu_type, "k80");
  EXPECT_EQ(legacy.components[0].gpus_per_task, 4);
}

TEST(Planner, EveryStockTierPlans) {
  for (const auto& tier : stock_catalog().scale_tier_names()) {
    SlurmPlan plan = plan_for("  scaleTier: " + tier + "\n  pythonModule: t\n");
    EXPECT_FALSE(plan.components.empty()) << tier;
    EXPECT_EQ(plan.components[0].roles.front().role, "master") << tier;
  }
}

TEST(Planner, RefusedRuntimeSaysWhy) {
  tiers::TierCatalog catalog = stock_catalog();
  catalog.runtimes["1.15"] = {"1.15", "python3", "", "TensorFlow 1.15 is not installed at this site", ""};
  testing::expect_input_error(
      [&] { plan_for("  scaleTier: BASIC\n  pythonModule: t\n  runtimeVersion: '1.15'\n", catalog); },
      "trainingInput.runtimeVersion", "not installed");
}

}  // namespace
}  // namespace mljob

namespace mljob {
namespace {

TEST(PlannerScheduling, MaxRunningTimeIsTheTimeLimitOfEveryComponent) {
  SlurmPlan plan = plan_for("  scaleTier: STANDARD_1\n  pythonModule: t\n  scheduling: {maxRunningTime: 5400s}\n");
  for (const auto& component : plan.components) EXPECT_EQ(component.time_limit, "0-01:30:00");
  EXPECT_EQ(plan.deadline_seconds, std::nullopt);
}

TEST(PlannerScheduling, MaxWaitTimeBecomesADeadlineAfterTheLongestLimit) {
  SlurmPlan plan = plan_for(
      "  scaleTier: BASIC\n  pythonModule: t\n"
      "  scheduling: {maxRunningTime: 90s, maxWaitTime: 600s}\n");
  EXPECT_EQ(plan.components[0].time_limit, "0-00:02:00");
  EXPECT_EQ(plan.deadline_seconds, 600 + 120);
}

TEST(PlannerScheduling, MaxWaitTimeWithoutAnyTimeLimitIsRefused) {
  testing::expect_input_error(
      [] { plan_for("  scaleTier: BASIC\n  pythonModule: t\n  scheduling: {maxWaitTime: 60s}\n"); },
      "trainingInput.scheduling.maxWaitTime", "needs a time limit");
}

TEST(PlannerScheduling, LongerThanTheSiteAllowsIsRefused) {
  tiers::TierCatalog catalog = stock_catalog();
  for (auto& [name, type] : catalog.machine_types) type.max_time = "1-00:00:00";
  testing::expect_input_error(
      [&] { plan_for("  scaleTier: BASIC\n  pythonModule: t\n  scheduling: {maxRunningTime: 90000s}\n", catalog); },
      "trainingInput.scheduling.maxRunningTime", "longer than this site allows");
  SlurmPlan plan = plan_for("  scaleTier: BASIC\n  pythonModule: t\n  scheduling: {maxRunningTime: 86400s}\n", catalog);
  EXPECT_EQ(plan.components[0].time_limit, "1-00:00:00");
}

TEST(PlannerScheduling, CatalogDefaultTimeWhenNotAsked) {
  tiers::TierCatalog catalog = stock_catalog();
  for (auto& [name, type] : catalog.machine_types) type.default_time = "4:00:00";
  SlurmPlan plan = plan_for("  scaleTier: BASIC\n  pythonModule: t\n  scheduling: {maxWaitTime: 60s}\n", catalog);
  EXPECT_EQ(plan.components[0].time_limit, "4:00:00");
  EXPECT_EQ(plan.deadline_seconds, 60 + 4 * 3600);
}

// Counts reach Slurm as ints: one past INT_MAX must be refused, never wrapped (4294967297
// workers as 1, 2^31 GPUs as a negative count), even in a plan made without validation.
TEST(Planner, CountsThatDoNotFitAnIntAreRefusedNotWrapped) {
  const std::string custom =
      "  scaleTier: CUSTOM\n  masterType: n1-standard-4\n  pythonModule: t\n  workerType: n1-standard-8\n";
  testing::expect_input_error([&] { plan_for(custom + "  workerCount: 4294967297\n"); }, "trainingInput.workerCount",
                              "between 0 and 2147483647");
  testing::expect_input_error(
      [&] {
        plan_for(custom +
                 "  workerCount: 1\n  parameterServerType: n1-standard-8\n"
                 "  parameterServerCount: -1\n");
      },
      "trainingInput.parameterServerCount", "between 0 and");
  testing::expect_input_error(
      [&] {
        plan_for(custom +
                 "  workerCount: 1\n  workerConfig: {acceleratorConfig: {count: 2147483648, type: NVIDIA_TESLA_T4}}\n");
      },
      "trainingInput.workerConfig.acceleratorConfig.count", "between 0 and 2147483647");
}

TEST(Planner, MergingSameShapesNeverOverflowsTheTaskCount) {
  // The master and 2^31-1 workers of its shape would be 2^31 tasks in one component.
  testing::expect_input_error(
      [] {
        plan_for(
            "  scaleTier: CUSTOM\n  masterType: n1-standard-4\n  workerType: n1-standard-4\n"
            "  workerCount: 2147483647\n  pythonModule: t\n");
      },
      "trainingInput.workerCount", "more tasks than one Slurm component can have");
}

}  // namespace
}  // namespace mljob
