// The --ml-roles contract: SlurmPlan::ml_roles() (core/planner.cc) writes the value the
// batch script passes to srun, and the plugin's parse_role_map/assign_roles (plugin/roles.h)
// read it back in slurmstepd. Each real plan below must come back as exactly the tasks the
// planner intended: the same role and index for every global rank (task_roles()), and the
// same role spans per het component.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/planner.h"
#include "core/spec_parser.h"
#include "roles.h"
#include "tiers/catalog_loader.h"

namespace mljob {
namespace {

const tiers::TierCatalog& stock_catalog() {
  static const tiers::TierCatalog loaded = tiers::load_catalog(std::string(MLJOB_SOURCE_DIR) + "/etc/tiers.yaml");
  return loaded;
}

// The local cluster's catalog gives the master a GPU, so STANDARD_1 has three components.
const tiers::TierCatalog& local_cluster_catalog() {
  static const tiers::TierCatalog loaded =
      tiers::load_catalog(std::string(MLJOB_SOURCE_DIR) + "/contrib/cluster/tiers.yaml");
  return loaded;
}

SlurmPlan plan_for(const std::string& training_input_yaml, const tiers::TierCatalog& catalog = stock_catalog()) {
  Job job = parse_job_spec("trainingInput:\n" + training_input_yaml, "contract");
  job.job_id = "j";
  return plan_job(job, catalog, {"/jobs/j/job-dir", {}});
}

std::vector<unsigned> component_task_counts(const SlurmPlan& plan) {
  std::vector<unsigned> counts;
  for (const SlurmComponent& component : plan.components) {
    counts.push_back(static_cast<unsigned>(component.tasks));
  }
  return counts;
}

// "master-0", "worker-3", ...: the planner's task_roles() spelling of what the plugin
// assigned to each global rank.
std::vector<std::string> roles_the_plugin_reads(const SlurmPlan& plan) {
  const plugin::RoleMap map = plugin::parse_role_map(plan.ml_roles());
  std::vector<std::string> roles;
  for (const plugin::TaskRole& task : plugin::assign_roles(map, component_task_counts(plan))) {
    roles.push_back(std::string(plugin::role_name(task.role)) + "-" + std::to_string(task.index));
  }
  return roles;
}

// The parsed map, component by component, against the planner's role spans: the same roles
// in the same order, each with the planner's count (the last one's is the rest).
void expect_same_spans(const SlurmPlan& plan) {
  const plugin::RoleMap map = plugin::parse_role_map(plan.ml_roles());
  ASSERT_EQ(map.size(), plan.components.size()) << plan.ml_roles();
  for (std::size_t c = 0; c < map.size(); ++c) {
    const std::vector<RoleSpan>& spans = plan.components[c].roles;
    const std::vector<plugin::RoleSegment>& segments = map[c].segments;
    ASSERT_EQ(segments.size(), spans.size()) << "component " << c << " of " << plan.ml_roles();
    for (std::size_t s = 0; s < spans.size(); ++s) {
      EXPECT_EQ(plugin::role_name(segments[s].role), spans[s].role) << "component " << c;
      if (segments[s].task_count) {
        EXPECT_EQ(*segments[s].task_count, static_cast<unsigned>(spans[s].tasks)) << "component " << c;
      } else {
        EXPECT_EQ(s + 1, spans.size()) << "only a component's last role may take the rest";
      }
    }
  }
}

void expect_plugin_reads_the_plan(const SlurmPlan& plan) {
  SCOPED_TRACE("--ml-roles=" + plan.ml_roles());
  expect_same_spans(plan);
  EXPECT_EQ(roles_the_plugin_reads(plan), plan.task_roles());
}

TEST(MlRolesContract, BasicIsOneMaster) {
  const SlurmPlan plan = plan_for("  scaleTier: BASIC\n  pythonModule: t\n");
  EXPECT_EQ(plan.ml_roles(), "master");
  expect_plugin_reads_the_plan(plan);
  EXPECT_EQ(roles_the_plugin_reads(plan), std::vector<std::string>{"master-0"});
}

TEST(MlRolesContract, Standard1SharesTheMastersComponentWithTheWorkers) {
  const SlurmPlan plan = plan_for("  scaleTier: STANDARD_1\n  pythonModule: t\n");
  EXPECT_EQ(plan.ml_roles(), "master:1+worker,ps");
  expect_plugin_reads_the_plan(plan);
  EXPECT_EQ(roles_the_plugin_reads(plan), (std::vector<std::string>{"master-0", "worker-0", "worker-1", "worker-2",
                                                                    "worker-3", "ps-0", "ps-1", "ps-2"}));
}

TEST(MlRolesContract, Standard1OnTheLocalClusterIsMasterWorkersPs) {
  const SlurmPlan plan = plan_for("  scaleTier: STANDARD_1\n  pythonModule: t\n", local_cluster_catalog());
  EXPECT_EQ(plan.ml_roles(), "master,worker,ps");
  expect_plugin_reads_the_plan(plan);
}

TEST(MlRolesContract, CustomWithGpus) {
  // Master and workers of one shape with two V100s each share a component; the parameter
  // servers, without GPUs, have their own.
  const SlurmPlan plan = plan_for(
      "  scaleTier: CUSTOM\n"
      "  masterType: n1-standard-8\n"
      "  masterConfig: {acceleratorConfig: {count: 2, type: NVIDIA_TESLA_V100}}\n"
      "  workerType: n1-standard-8\n"
      "  workerCount: 3\n"
      "  workerConfig: {acceleratorConfig: {count: 2, type: NVIDIA_TESLA_V100}}\n"
      "  parameterServerType: n1-highmem-2\n"
      "  parameterServerCount: 2\n"
      "  pythonModule: t\n");
  ASSERT_EQ(plan.components.size(), 2u);
  EXPECT_EQ(plan.components[0].gpus_per_task, 2);
  EXPECT_EQ(plan.ml_roles(), "master:1+worker,ps");
  expect_plugin_reads_the_plan(plan);
}

TEST(MlRolesContract, CustomWithGpusOnlyOnTheMaster) {
  // A master of its own shape: master, workers and parameter servers in three components.
  const SlurmPlan plan = plan_for(
      "  scaleTier: CUSTOM\n"
      "  masterType: n1-standard-8\n"
      "  masterConfig: {acceleratorConfig: {count: 1, type: NVIDIA_TESLA_V100}}\n"
      "  workerType: n1-standard-8\n"
      "  workerCount: 2\n"
      "  parameterServerType: n1-highmem-2\n"
      "  parameterServerCount: 1\n"
      "  pythonModule: t\n");
  EXPECT_EQ(plan.components.size(), 3u);
  EXPECT_EQ(plan.ml_roles(), "master,worker,ps");
  expect_plugin_reads_the_plan(plan);
}

TEST(MlRolesContract, EveryStockTier) {
  for (const std::string& tier : stock_catalog().scale_tier_names()) {
    SCOPED_TRACE("scaleTier " + tier);
    expect_plugin_reads_the_plan(plan_for("  scaleTier: " + tier + "\n  pythonModule: t\n"));
  }
}

}  // namespace
}  // namespace mljob
