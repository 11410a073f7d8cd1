#include "step_plan.h"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_environment.h"
#include "test_messages.h"

namespace mljob::plugin {
namespace {

using test_support::is_one_safe_line;
using test_support::message_of;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

// 1 master on m1; 4 workers on w1, w2 (two each); 3 ps on p1; job 1234, default ports:
// 1234 mod 156 = 142, so every node's block starts at 20000 + 142 * 64 = 29088.
JobLayout three_component_layout() {
  return JobLayout({
      ComponentNodes{{"m1"}, {1}},
      ComponentNodes{{"w1", "w2"}, {2, 2}},
      ComponentNodes{{"p1"}, {3}},
  });
}

JobSettings settings_for(const std::string& roles) {
  JobSettings settings;
  settings.roles_text = roles;
  settings.roles = parse_role_map(roles);
  return settings;
}

StepPlan three_component_plan(JobSettings settings = settings_for("master,worker,ps")) {
  return make_step_plan(std::move(settings), PluginConfig{}, three_component_layout(), 1234);
}

std::map<std::string, std::string> variables_of(const TaskEnvironment& environment) {
  return {environment.set.begin(), environment.set.end()};
}

constexpr const char* kCluster = R"({"master":["m1:29088"],"worker":["w1:29088","w1:29089","w2:29088","w2:29089"],)"
                                 R"("ps":["p1:29088","p1:29089","p1:29090"]})";

TEST(StepPlan, TfConfigOfEveryTaskOfAThreeComponentJob) {
  const StepPlan plan = three_component_plan();
  const std::string cluster = kCluster;
  const char* expected_tasks[] = {R"({"type":"master","index":0})", R"({"type":"worker","index":0})",
                                  R"({"type":"worker","index":1})", R"({"type":"worker","index":2})",
                                  R"({"type":"worker","index":3})", R"({"type":"ps","index":0})",
                                  R"({"type":"ps","index":1})",     R"({"type":"ps","index":2})"};
  for (unsigned rank = 0; rank < 8; ++rank) {
    const auto variables = variables_of(task_environment(plan, rank));
    EXPECT_EQ(variables.at("TF_CONFIG"),
              R"({"cluster":)" + cluster + R"(,"task":)" + expected_tasks[rank] + R"(,"environment":"cloud"})")
        << "rank " << rank;
    EXPECT_EQ(variables.at("CLUSTER_SPEC"), cluster);
  }
}

TEST(StepPlan, MljobVariables) {
  const StepPlan plan = three_component_plan();
  auto variables = variables_of(task_environment(plan, 4));
  EXPECT_EQ(variables.at("MLJOB_ROLE"), "worker");
  EXPECT_EQ(variables.at("MLJOB_INDEX"), "3");
  EXPECT_EQ(variables.at("MLJOB_JOB_ID"), "1234");
  variables = variables_of(task_environment(plan, 6));
  EXPECT_EQ(variables.at("MLJOB_ROLE"), "ps");
  EXPECT_EQ(variables.at("MLJOB_INDEX"), "1");
}

TEST(StepPlan, TorchVariablesForAWorker) {
  const auto variables = variables_of(task_environment(three_component_plan(), 4));
  EXPECT_EQ(variables.at("MASTER_ADDR"), "m1");
  EXPECT_EQ(variables.at("MASTER_PORT"), "29088");
  EXPECT_EQ(variables.at("WORLD_SIZE"), "5");
  EXPECT_EQ(variables.at("RANK"), "4");
  EXPECT_EQ(variables.at("LOCAL_RANK"), "1");
  EXPECT_EQ(variables.at("LOCAL_WORLD_SIZE"), "2");
  EXPECT_EQ(variables.at("GROUP_RANK"), "2");
  EXPECT_EQ(variables.at("NODE_RANK"), "2");
}

TEST(StepPlan, PsGetsNoTorchVariablesAndLosesStaleOnes) {
  const TaskEnvironment environment = task_environment(three_component_plan(), 5);
  const auto variables = variables_of(environment);
  EXPECT_FALSE(variables.contains("RANK"));
  EXPECT_FALSE(variables.contains("WORLD_SIZE"));
  EXPECT_FALSE(variables.contains("MASTER_ADDR"));
  EXPECT_THAT(environment.unset, ElementsAre("MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "RANK", "LOCAL_RANK",
                                             "LOCAL_WORLD_SIZE", "GROUP_RANK", "NODE_RANK"));
}

TEST(StepPlan, PortsAreDistinctOnEveryNode) {
  const StepPlan plan = three_component_plan();
  std::set<std::pair<std::string, unsigned>> seen;
  for (const TaskAddress& address : plan.addresses) {
    EXPECT_TRUE(seen.emplace(address.host, address.port).second) << address.host << ":" << address.port;
  }
}

TEST(StepPlan, ChiefNaming) {
  JobSettings settings = settings_for("master,worker,ps");
  settings.use_chief = true;
  const auto variables = variables_of(task_environment(three_component_plan(settings), 0));
  EXPECT_EQ(variables.at("MLJOB_ROLE"), "chief");
  EXPECT_THAT(variables.at("TF_CONFIG"), HasSubstr(R"("cluster":{"chief":["m1:29088"],)"));
  EXPECT_THAT(variables.at("TF_CONFIG"), HasSubstr(R"("task":{"type":"chief","index":0})"));
}

TEST(StepPlan, EvaluatorHasATaskButNoPlaceInTheCluster) {
  const StepPlan plan = three_component_plan(settings_for("chief,worker,evaluator:1+ps"));
  auto variables = variables_of(task_environment(plan, 5));
  EXPECT_EQ(variables.at("MLJOB_ROLE"), "evaluator");
  EXPECT_EQ(variables.at("TF_CONFIG"), R"({"cluster":{"chief":["m1:29088"],)"
                                       R"("worker":["w1:29088","w1:29089","w2:29088","w2:29089"],)"
                                       R"("ps":["p1:29089","p1:29090"]},)"
                                       R"("task":{"type":"evaluator","index":0},"environment":"cloud"})");
  EXPECT_FALSE(variables.contains("RANK"));
}

TEST(StepPlan, FamiliesSelectTheVariables) {
  JobSettings tf_only = settings_for("master,worker,ps");
  tf_only.families = EnvFamilies{.tf = true, .torch = false, .sagemaker = false};
  TaskEnvironment environment = task_environment(three_component_plan(tf_only), 1);
  auto variables = variables_of(environment);
  EXPECT_TRUE(variables.contains("TF_CONFIG"));
  EXPECT_FALSE(variables.contains("RANK"));
  EXPECT_TRUE(environment.unset.empty());

  JobSettings torch_only = settings_for("master,worker,ps");
  torch_only.families = EnvFamilies{.tf = false, .torch = true, .sagemaker = false};
  variables = variables_of(task_environment(three_component_plan(torch_only), 1));
  EXPECT_FALSE(variables.contains("TF_CONFIG"));
  EXPECT_FALSE(variables.contains("CLUSTER_SPEC"));
  EXPECT_EQ(variables.at("RANK"), "1");
  EXPECT_EQ(variables.at("MLJOB_ROLE"), "worker");
}

TEST(StepPlan, JobPortOverridesThePluginBase) {
  JobSettings settings = settings_for("master,worker,ps");
  settings.port_base = 40000;  // 1234 mod 156 = 142 -> 40000 + 9088
  const StepPlan plan = three_component_plan(settings);
  EXPECT_EQ(plan.addresses[0].port, 49088u);
  EXPECT_EQ(plan.ports.base, 40000u);
}

TEST(StepPlan, RolesThatDoNotFitAreRefused) {
  EXPECT_THAT([] { three_component_plan(settings_for("master,worker")); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("ml-roles names 2 component(s) but the job has 3")));
}

TEST(StepPlan, RefusesMoreThan64TasksOnOneNode) {
  JobLayout crowded({ComponentNodes{{"n1"}, {1}}, ComponentNodes{{"n1"}, {64}}});
  EXPECT_THAT(
      [&] { make_step_plan(settings_for("master,worker"), PluginConfig{}, crowded, 7); },
      ThrowsMessage<std::invalid_argument>(HasSubstr("more than 64 tasks of this job run on node n1 (65 in all)")));
}

// Host names come from Slurm's variables, which the job's environment can set: one with a
// carriage return or a terminal escape is shown escaped.
TEST(StepPlan, MessagesShowHostNamesEscaped) {
  const std::string host = "n1\r\x1b]2;title\x07";
  JobLayout crowded({ComponentNodes{{host}, {1}}, ComponentNodes{{host}, {64}}});
  const std::string message =
      message_of([&] { make_step_plan(settings_for("master,worker"), PluginConfig{}, crowded, 7); });
  EXPECT_TRUE(is_one_safe_line(message));
  EXPECT_THAT(message, HasSubstr(R"(run on node n1\r\x1b]2;title\x07 (65 in all))"));
  JobLayout shared({ComponentNodes{{host}, {1}}, ComponentNodes{{host}, {2}}});
  const std::string torch_message =
      message_of([&] { make_step_plan(settings_for("master,worker"), PluginConfig{}, shared, 7); });
  EXPECT_TRUE(is_one_safe_line(torch_message));
  EXPECT_THAT(torch_message, HasSubstr(R"(torch tasks on node n1\r\x1b]2;title\x07:)"));
}

TEST(StepPlan, RefusesATfConfigTooLargeForTheEnvironment) {
  std::vector<std::string> hosts;
  for (int i = 0; i < 200; ++i) hosts.push_back("node-with-a-long-name-" + std::to_string(i));
  JobLayout big({ComponentNodes{{"m"}, {1}}, ComponentNodes{hosts, std::vector<unsigned>(hosts.size(), 40)}});
  EXPECT_THAT([&] { make_step_plan(settings_for("master,worker"), PluginConfig{}, big, 7); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("too large for TF_CONFIG")));
  JobSettings torch_only = settings_for("master,worker");
  torch_only.families = EnvFamilies{.tf = false, .torch = true, .sagemaker = false};
  EXPECT_NO_THROW(make_step_plan(torch_only, PluginConfig{}, big, 7));
}

TEST(StepPlan, SageMakerPartOfThePlan) {
  StepPlan plan = three_component_plan();
  EXPECT_THAT(step_hosts(plan), ElementsAre("m1", "w1", "w1", "w2", "w2", "p1", "p1", "p1"));
  EXPECT_EQ(coordinator_host(plan), "m1");
  const std::vector<std::string_view> entries = {"MLJOB_CHANNEL_TRAIN=/d/train"};
  add_sagemaker_job(plan, test_support::lookup_in({{"SLURM_JOB_NAME", "j"}}), entries);
  ASSERT_TRUE(plan.sagemaker.has_value());
  EXPECT_THAT(plan.sagemaker->hosts, ElementsAre("m1", "p1", "w1", "w2"));
  EXPECT_EQ(plan.sagemaker->master_host, "m1");
  EXPECT_EQ(plan.sagemaker->job_name, "j");
  ASSERT_EQ(plan.sagemaker->channels.size(), 1u);
  // The tf and torch variables do not depend on it.
  EXPECT_FALSE(variables_of(task_environment(plan, 0)).contains("SM_HOSTS"));
}

TEST(StepPlan, SageMakerOnlyWhenTheFamilyIsAsked) {
  JobSettings tf_only = settings_for("master,worker,ps");
  tf_only.families = EnvFamilies{.tf = true, .torch = false, .sagemaker = false};
  StepPlan plan = three_component_plan(tf_only);
  add_sagemaker_job(plan, test_support::lookup_in({}), {});
  EXPECT_FALSE(plan.sagemaker.has_value());
}

TEST(StepPlan, CoordinatorHostWithoutAMaster) {
  EXPECT_EQ(coordinator_host(three_component_plan(settings_for("ps,worker,ps"))), "w1");
  EXPECT_EQ(coordinator_host(three_component_plan(settings_for("ps,evaluator,ps"))), "");
  StepPlan plan = three_component_plan(settings_for("ps,evaluator,ps"));
  add_sagemaker_job(plan, test_support::lookup_in({}), {});
  EXPECT_EQ(plan.sagemaker->master_host, "m1");  // the first host, as SageMaker does
}

// --- which share of the node's GPUs each task takes ---------------------------------

StepPlan one_node_plan(const std::string& roles, unsigned tasks) {
  return make_step_plan(settings_for(roles), PluginConfig{}, JobLayout({ComponentNodes{{"n1"}, {tasks}}}), 1234);
}

// The share index of every torch task is its LOCAL_RANK: with one GPU per task, the task
// bound near GPU i is the one that opens cuda:LOCAL_RANK = i.
void expect_share_is_local_rank(const StepPlan& plan) {
  ASSERT_EQ(plan.local_share_index.size(), plan.layout.total_tasks());
  for (unsigned rank = 0; rank < plan.layout.total_tasks(); ++rank) {
    const auto variables = variables_of(task_environment(plan, rank));
    if (!variables.contains("LOCAL_RANK")) continue;
    EXPECT_EQ(std::to_string(plan.local_share_index[rank]), variables.at("LOCAL_RANK")) << "rank " << rank;
  }
}

TEST(StepPlan, EachTorchTaskTakesTheGpuShareOfItsLocalRank) {
  // Block order: the share index is SLURM_LOCALID, within each component.
  StepPlan plan = three_component_plan();
  EXPECT_EQ(plan.local_share_index, (std::vector<unsigned>{0, 0, 1, 0, 1, 0, 1, 2}));
  expect_share_is_local_rank(plan);
  // A parameter server first on the node: the workers are LOCAL_RANK 0-2 and take shares
  // 0-2 (by SLURM_LOCALID they took 1-3), the ps takes the last.
  plan = one_node_plan("ps:1+worker", 4);
  EXPECT_EQ(plan.local_share_index, (std::vector<unsigned>{3, 0, 1, 2}));
  expect_share_is_local_rank(plan);
  // The master last on its node is still LOCAL_RANK 0 (torch rank 0).
  plan = one_node_plan("worker:2+master", 3);
  EXPECT_EQ(plan.local_share_index, (std::vector<unsigned>{1, 2, 0}));
  expect_share_is_local_rank(plan);
  plan = one_node_plan("chief:1+evaluator:1+worker", 4);
  EXPECT_EQ(plan.local_share_index, (std::vector<unsigned>{0, 3, 1, 2}));
  expect_share_is_local_rank(plan);
}

TEST(StepPlan, WithoutTorchVariablesTheShareIsTheLocalId) {
  JobSettings tf_only = settings_for("ps:1+worker");
  tf_only.families = EnvFamilies{.tf = true, .torch = false, .sagemaker = false};
  const StepPlan plan =
      make_step_plan(std::move(tf_only), PluginConfig{}, JobLayout({ComponentNodes{{"n1"}, {4}}}), 1234);
  EXPECT_EQ(plan.local_share_index, (std::vector<unsigned>{0, 1, 2, 3}));
}

// Het components 0 (one task) and 1 (two tasks on n1, two on n2) sharing node n1.
JobLayout shared_node_layout() {
  return JobLayout({ComponentNodes{{"n1"}, {1}}, ComponentNodes{{"n1", "n2"}, {2, 2}}});
}

TEST(StepPlan, TorchTasksOfTwoComponentsOnOneNodeAreRefused) {
  // Component 1's workers on n1 would be LOCAL_RANK 1 and 2 with two GPUs of their own.
  EXPECT_THAT([] { make_step_plan(settings_for("master,worker"), PluginConfig{}, shared_node_layout(), 7); },
              ThrowsMessage<std::invalid_argument>(
                  HasSubstr("het components 0 and 1 both run torch tasks on node n1: LOCAL_RANK")));
}

TEST(StepPlan, ComponentsMayShareANodeWhenOnlyOneRunsTorchTasksThere) {
  // Parameter servers are not in the torch world: the workers are LOCAL_RANK 0 and 1.
  StepPlan plan = make_step_plan(settings_for("ps,worker"), PluginConfig{}, shared_node_layout(), 7);
  EXPECT_EQ(plan.local_share_index, (std::vector<unsigned>{0, 0, 1, 0, 1}));
  expect_share_is_local_rank(plan);
  // Without the torch variables there is no LOCAL_RANK to contradict.
  JobSettings tf_only = settings_for("master,worker");
  tf_only.families = EnvFamilies{.tf = true, .torch = false, .sagemaker = false};
  plan = make_step_plan(std::move(tf_only), PluginConfig{}, shared_node_layout(), 7);
  EXPECT_EQ(plan.local_share_index, (std::vector<unsigned>{0, 0, 1, 0, 1}));
}

TEST(StepPlan, RankOutsideThePlan) {
  EXPECT_THAT([] { task_environment(three_component_plan(), 8); },
              ThrowsMessage<std::out_of_range>(HasSubstr("task rank 8 is outside the role layout")));
}

}  // namespace
}  // namespace mljob::plugin
