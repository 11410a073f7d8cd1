#include "torch_env.h"

#include <vector>

#include <gtest/gtest.h>

namespace mljob::plugin {
namespace {

// 1 master on m1; 4 workers on w1, w2; 3 ps on p1 (the ports are arbitrary).
const std::vector<TaskRole> kRoles{{Role::master, 0}, {Role::worker, 0}, {Role::worker, 1}, {Role::worker, 2},
                                   {Role::worker, 3}, {Role::ps, 0},     {Role::ps, 1},     {Role::ps, 2}};
const std::vector<TaskAddress> kAddresses{{"m1", 29088}, {"w1", 29088}, {"w1", 29089}, {"w2", 29088},
                                          {"w2", 29089}, {"p1", 29088}, {"p1", 29089}, {"p1", 29090}};

TEST(TorchWorld, MasterIsRankZeroAndPsAreLeftOut) {
  const TorchWorld world(kRoles, kAddresses);
  EXPECT_EQ(world.world_size(), 5u);
  EXPECT_EQ(world.for_task(0), (TorchVariables{"m1", 29088, 5, 0, 0, 1, 0}));
  EXPECT_EQ(world.for_task(1), (TorchVariables{"m1", 29088, 5, 1, 0, 2, 1}));
  EXPECT_EQ(world.for_task(2), (TorchVariables{"m1", 29088, 5, 2, 1, 2, 1}));
  EXPECT_EQ(world.for_task(3), (TorchVariables{"m1", 29088, 5, 3, 0, 2, 2}));
  EXPECT_EQ(world.for_task(4), (TorchVariables{"m1", 29088, 5, 4, 1, 2, 2}));
  for (unsigned ps = 5; ps < 8; ++ps) EXPECT_FALSE(world.for_task(ps).has_value());
}

TEST(TorchWorld, MasterInALaterComponentIsStillRankZero) {
  const std::vector<TaskRole> roles{{Role::worker, 0}, {Role::worker, 1}, {Role::master, 0}};
  const std::vector<TaskAddress> addresses{{"w1", 1}, {"w1", 2}, {"m1", 3}};
  const TorchWorld world(roles, addresses);
  EXPECT_EQ(world.for_task(2)->rank, 0u);
  EXPECT_EQ(world.for_task(0)->rank, 1u);
  EXPECT_EQ(world.for_task(1)->rank, 2u);
  EXPECT_EQ(world.for_task(0)->group_rank, 1u);
  EXPECT_EQ(world.for_task(1)->master_addr, "m1");
  EXPECT_EQ(world.for_task(1)->master_port, 3u);
}

TEST(TorchWorld, WithoutAMasterTheFirstWorkerLeads) {
  const std::vector<TaskRole> roles{{Role::ps, 0}, {Role::worker, 0}, {Role::worker, 1}};
  const std::vector<TaskAddress> addresses{{"p1", 1}, {"w1", 2}, {"w2", 3}};
  const TorchWorld world(roles, addresses);
  EXPECT_EQ(world.world_size(), 2u);
  EXPECT_EQ(world.for_task(1), (TorchVariables{"w1", 2, 2, 0, 0, 1, 0}));
  EXPECT_EQ(world.for_task(2), (TorchVariables{"w1", 2, 2, 1, 0, 1, 1}));
}

TEST(TorchWorld, EvaluatorIsLeftOut) {
  const std::vector<TaskRole> roles{{Role::chief, 0}, {Role::evaluator, 0}};
  const std::vector<TaskAddress> addresses{{"a", 1}, {"a", 2}};
  const TorchWorld world(roles, addresses);
  EXPECT_EQ(world.world_size(), 1u);
  EXPECT_EQ(world.for_task(0)->local_world_size, 1u);
  EXPECT_FALSE(world.for_task(1).has_value());
}

TEST(TorchWorld, NoCoordinatorNoWorkersNoWorld) {
  const std::vector<TaskRole> roles{{Role::ps, 0}};
  const std::vector<TaskAddress> addresses{{"a", 1}};
  EXPECT_EQ(TorchWorld(roles, addresses).world_size(), 0u);
}

TEST(TorchWorld, RankOutsideTheStep) {
  const TorchWorld world(kRoles, kAddresses);
  EXPECT_THROW(world.for_task(8), std::out_of_range);
}

}  // namespace
}  // namespace mljob::plugin
