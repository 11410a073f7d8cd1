#include "tf_config.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace mljob::plugin {
namespace {

const std::vector<std::string> kEndpoints{"m1:29088", "w1:29088", "w1:29089", "w2:29088",
                                          "w2:29089", "p1:29088", "p1:29089", "p1:29090"};
const std::vector<TaskRole> kRoles{{Role::master, 0}, {Role::worker, 0}, {Role::worker, 1}, {Role::worker, 2},
                                   {Role::worker, 3}, {Role::ps, 0},     {Role::ps, 1},     {Role::ps, 2}};

constexpr const char* kCluster = R"({"master":["m1:29088"],"worker":["w1:29088","w1:29089","w2:29088","w2:29089"],)"
                                 R"("ps":["p1:29088","p1:29089","p1:29090"]})";

TEST(TfConfig, ClusterListsEveryReplicaInRankOrder) {
  EXPECT_EQ(cluster_spec(kRoles, kEndpoints, false).dump(), kCluster);
}

TEST(TfConfig, WholeConfigForAWorker) {
  const auto cluster = cluster_spec(kRoles, kEndpoints, false);
  EXPECT_EQ(tf_config(cluster, kRoles[2], false).dump(),
            std::string(R"({"cluster":)") + kCluster + R"(,"task":{"type":"worker","index":1},"environment":"cloud"})");
}

TEST(TfConfig, MasterAndPs) {
  const auto cluster = cluster_spec(kRoles, kEndpoints, false);
  EXPECT_EQ(tf_config(cluster, kRoles[0], false)["task"].dump(), R"({"type":"master","index":0})");
  EXPECT_EQ(tf_config(cluster, kRoles[7], false)["task"].dump(), R"({"type":"ps","index":2})");
}

TEST(TfConfig, UseChiefRenamesTheMaster) {
  const auto cluster = cluster_spec(kRoles, kEndpoints, true);
  EXPECT_EQ(cluster.dump().substr(0, 22), R"({"chief":["m1:29088"],)");
  EXPECT_FALSE(cluster.contains("master"));
  EXPECT_EQ(tf_config(cluster, kRoles[0], true)["task"].dump(), R"({"type":"chief","index":0})");
  EXPECT_EQ(tf_config(cluster, kRoles[1], true)["task"].dump(), R"({"type":"worker","index":0})");
}

TEST(TfConfig, ChiefRoleIsChiefWithoutTheFlag) {
  const std::vector<TaskRole> roles{{Role::chief, 0}, {Role::worker, 0}};
  const std::vector<std::string> endpoints{"a:1", "b:2"};
  EXPECT_EQ(cluster_spec(roles, endpoints, false).dump(), R"({"chief":["a:1"],"worker":["b:2"]})");
  EXPECT_EQ(tf_task_type(Role::chief, false), "chief");
  EXPECT_EQ(tf_task_type(Role::master, false), "master");
  EXPECT_EQ(tf_task_type(Role::master, true), "chief");
}

TEST(TfConfig, EvaluatorIsNotInTheClusterButHasItsTask) {
  const std::vector<TaskRole> roles{{Role::chief, 0}, {Role::worker, 0}, {Role::evaluator, 0}};
  const std::vector<std::string> endpoints{"a:1", "b:2", "c:3"};
  const auto cluster = cluster_spec(roles, endpoints, false);
  EXPECT_EQ(cluster.dump(), R"({"chief":["a:1"],"worker":["b:2"]})");
  EXPECT_EQ(tf_config(cluster, roles[2], false).dump(),
            R"({"cluster":{"chief":["a:1"],"worker":["b:2"]},)"
            R"("task":{"type":"evaluator","index":0},"environment":"cloud"})");
}

TEST(TfConfig, MismatchedInputsAreAProgrammingError) {
  EXPECT_THROW(cluster_spec(kRoles, std::vector<std::string>{"a:1"}, false), std::logic_error);
}

}  // namespace
}  // namespace mljob::plugin
