#include "core/fit_check.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace mljob {
namespace {

// Recorded from the local cluster: n1-n2 with 8 v100, n3-n4 with 8 t4; 96 CPUs, 640 GiB each.
ClusterInventory local_cluster() {
  std::ifstream in(std::string(MLJOB_SOURCE_DIR) + "/core/testdata/sinfo_nodes.txt");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_sinfo_nodes(text.str());
}

SlurmComponent component(const std::string& role, int tasks, int cpus, std::int64_t mb_per_cpu,
                         const std::string& gpu_type = "", int gpus = 0) {
  SlurmComponent c;
  c.roles = {{role, tasks}};
  c.machine_type = "m";
  c.tasks = tasks;
  c.cpus_per_task = cpus;
  c.memory_per_cpu_mb = mb_per_cpu;
  c.gpu_type = gpu_type;
  c.gpus_per_task = gpus;
  return c;
}

TEST(ClusterInventory, ParsesTheRecordedCluster) {
  ClusterInventory cluster = local_cluster();
  ASSERT_EQ(cluster.nodes.size(), 4u);
  EXPECT_EQ(cluster.default_partition, "batch");
  EXPECT_EQ(cluster.nodes[0].cpus, 96);
  EXPECT_EQ(cluster.nodes[0].memory_mb, 655360);
  EXPECT_EQ(cluster.nodes[0].gpus_of("v100"), 8);
  EXPECT_EQ(cluster.nodes[3].gpus_of("t4"), 8);
  EXPECT_EQ(cluster.gpu_types, (std::set<std::string>{"t4", "v100"}));
}

TEST(ClusterInventory, GresWithSocketsAndUntypedGpus) {
  auto cluster = parse_sinfo_nodes("a|gpu*|64|1000|gpu:a100:4(S:0-1),gpu:2|fast,ib\nb|cpu|32|500|(null)|(null)\n");
  EXPECT_EQ(cluster.nodes[0].gpus_of("a100"), 4);
  EXPECT_EQ(cluster.nodes[0].gpus_of(""), 6);
  EXPECT_TRUE(cluster.nodes[0].features.contains("ib"));
  EXPECT_EQ(cluster.nodes[1].gpus_of(""), 0);
}

TEST(FitCheck, Standard1Fits) {
  SlurmPlan plan;
  plan.components = {component("master", 1, 8, 922, "t4", 1), component("worker", 4, 8, 922),
                     component("ps", 3, 4, 3840)};
  EXPECT_TRUE(reasons_plan_never_fits(plan, local_cluster()).empty());
}

TEST(FitCheck, TooManyComponentsForTheNodes) {
  SlurmPlan plan;
  for (int i = 0; i < 5; ++i) plan.components.push_back(component("worker", 1, 1, 100));
  auto reasons = reasons_plan_never_fits(plan, local_cluster());
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_NE(reasons[0].find("never puts two components on one node"), std::string::npos);
}

TEST(FitCheck, ComponentsSpanningSeveralNodesCountThemAll) {
  // Stock PREMIUM_1: master+19 workers of 16 CPUs (6 per 96-CPU node: 4 nodes), 11 ps of 8 CPUs.
  SlurmPlan plan;
  plan.components = {component("master", 20, 16, 922), component("ps", 11, 8, 6656)};
  auto reasons = reasons_plan_never_fits(plan, local_cluster());
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_NE(reasons[0].find("need 5 nodes"), std::string::npos) << reasons[0];
  plan.components[0].tasks = 18;  // 3 nodes + 1 node: fits on 4
  EXPECT_TRUE(reasons_plan_never_fits(plan, local_cluster()).empty());
}

TEST(FitCheck, ComponentsCompetingForTheOnlyGpuNodes) {
  // Three components that each need t4 GPUs, but only n3 and n4 have them.
  SlurmPlan plan;
  for (int i = 0; i < 3; ++i) plan.components.push_back(component("worker", 1, 1, 100, "t4", 1));
  EXPECT_EQ(reasons_plan_never_fits(plan, local_cluster()).size(), 1u);
  plan.components.pop_back();
  EXPECT_TRUE(reasons_plan_never_fits(plan, local_cluster()).empty());
}

TEST(FitCheck, TooBigForAnyNodeOrThePartition) {
  SlurmPlan plan;
  plan.components = {component("master", 1, 128, 100)};
  auto reasons = reasons_plan_never_fits(plan, local_cluster());
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_NE(reasons[0].find("no node in partition 'batch' has 128 CPUs"), std::string::npos) << reasons[0];
  plan.components = {component("worker", 40, 16, 100)};  // 6 per node, 24 in all
  reasons = reasons_plan_never_fits(plan, local_cluster());
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_NE(reasons[0].find("holds at most 24"), std::string::npos) << reasons[0];
}

TEST(FitCheck, UnknownPartitionAndGpuType) {
  SlurmPlan plan;
  plan.components = {component("master", 1, 1, 100, "k80", 1)};
  EXPECT_NE(reasons_plan_never_fits(plan, local_cluster())[0].find("GRES type 'k80'"), std::string::npos);
  plan.components = {component("master", 1, 1, 100)};
  plan.components[0].partition = "gpu";
  EXPECT_NE(reasons_plan_never_fits(plan, local_cluster())[0].find("partition 'gpu' does not exist"),
            std::string::npos);
}

TEST(FitCheck, FeatureConstraints) {
  auto cluster = parse_sinfo_nodes("a|p*|8|1000|(null)|fast\nb|p*|8|1000|(null)|slow\n");
  SlurmPlan plan;
  plan.components = {component("master", 1, 1, 100)};
  plan.components[0].constraint = "fast";
  EXPECT_TRUE(reasons_plan_never_fits(plan, cluster).empty());
  plan.components[0].constraint = "fast&slow";
  EXPECT_EQ(reasons_plan_never_fits(plan, cluster).size(), 1u);
  plan.components[0].constraint = "fast|slow";  // not understood: left to Slurm
  EXPECT_TRUE(reasons_plan_never_fits(plan, cluster).empty());
}

}  // namespace
}  // namespace mljob
