#include "layout.h"

#include <stdexcept>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mljob::plugin {
namespace {

using ::testing::HasSubstr;

// 1 master on m1; 4 workers on w1, w2 (two each); 3 ps on p1.
JobLayout three_component_job() {
  return JobLayout({
      ComponentNodes{{"m1"}, {1}},
      ComponentNodes{{"w1", "w2"}, {2, 2}},
      ComponentNodes{{"p1"}, {3}},
  });
}

void expect_placement(const TaskPlacement& task, unsigned component, unsigned rank_in_component, unsigned node,
                      const std::string& host, unsigned local_in_component, unsigned local_on_host) {
  EXPECT_EQ(task.component, component);
  EXPECT_EQ(task.rank_in_component, rank_in_component);
  EXPECT_EQ(task.node_in_component, node);
  EXPECT_EQ(task.host, host);
  EXPECT_EQ(task.local_index_in_component, local_in_component);
  EXPECT_EQ(task.local_index_on_host, local_on_host);
}

TEST(JobLayout, CountsTasksPerComponent) {
  const JobLayout layout = three_component_job();
  EXPECT_EQ(layout.component_count(), 3u);
  EXPECT_EQ(layout.total_tasks(), 8u);
  EXPECT_EQ(layout.component_task_counts(), (std::vector<unsigned>{1, 4, 3}));
  EXPECT_EQ(layout.max_tasks_on_one_host(), 3u);
}

TEST(JobLayout, GlobalRankToComponentNodeAndLocalIndex) {
  const JobLayout layout = three_component_job();
  expect_placement(layout.task(0), 0, 0, 0, "m1", 0, 0);
  expect_placement(layout.task(1), 1, 0, 0, "w1", 0, 0);
  expect_placement(layout.task(2), 1, 1, 0, "w1", 1, 1);
  expect_placement(layout.task(3), 1, 2, 1, "w2", 0, 0);
  expect_placement(layout.task(4), 1, 3, 1, "w2", 1, 1);
  expect_placement(layout.task(5), 2, 0, 0, "p1", 0, 0);
  expect_placement(layout.task(7), 2, 2, 0, "p1", 2, 2);
  EXPECT_EQ(layout.task(7).global_rank, 7u);
}

TEST(JobLayout, UnevenTasksPerNodeInBlockOrder) {
  const JobLayout layout({ComponentNodes{{"a", "b", "c"}, {1, 3, 2}}});
  EXPECT_EQ(layout.task(0).host, "a");
  EXPECT_EQ(layout.task(1).host, "b");
  EXPECT_EQ(layout.task(3).host, "b");
  EXPECT_EQ(layout.task(3).local_index_in_component, 2u);
  EXPECT_EQ(layout.task(4).host, "c");
  EXPECT_EQ(layout.task(5).local_index_in_component, 1u);
}

TEST(JobLayout, NodesWithoutTasksAreSkipped) {
  const JobLayout layout({ComponentNodes{{"a", "b"}, {0, 2}}});
  EXPECT_EQ(layout.task(0).host, "b");
  EXPECT_EQ(layout.task(0).node_in_component, 1u);
}

TEST(JobLayout, ComponentsSharingAHostCountLocalIndicesTogether) {
  const JobLayout layout({ComponentNodes{{"n1"}, {1}}, ComponentNodes{{"n1", "n2"}, {2, 1}}});
  expect_placement(layout.task(0), 0, 0, 0, "n1", 0, 0);
  expect_placement(layout.task(1), 1, 0, 0, "n1", 0, 1);
  expect_placement(layout.task(2), 1, 1, 0, "n1", 1, 2);
  expect_placement(layout.task(3), 1, 2, 1, "n2", 0, 0);
  EXPECT_EQ(layout.max_tasks_on_one_host(), 3u);
}

TEST(JobLayout, RankOutsideTheLayout) {
  const JobLayout layout = three_component_job();
  try {
    layout.task(8);
    FAIL() << "expected std::out_of_range";
  } catch (const std::out_of_range& error) {
    EXPECT_STREQ(error.what(), "task rank 8 is outside the layout, which has 8 tasks");
  }
}

TEST(JobLayout, RefusesInconsistentComponents) {
  EXPECT_THROW(JobLayout({}), std::invalid_argument);
  try {
    JobLayout({ComponentNodes{{"a"}, {1}}, ComponentNodes{{"b", "c"}, {1}}});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), "het component 1 has 2 nodes but a tasks-per-node count for 1");
  }
  try {
    JobLayout({ComponentNodes{{"a"}, {0}}});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), "het component 0 has no tasks");
  }
}

TEST(JobLayout, RefusesMoreTasksThanTheLimit) {
  ComponentNodes huge{std::vector<std::string>(2, "n"), {40000, 40000}};
  huge.hosts[1] = "m";
  EXPECT_THAT([&] { JobLayout({huge}); },
              ::testing::ThrowsMessage<std::invalid_argument>(HasSubstr("more than 65536")));
}

}  // namespace
}  // namespace mljob::plugin
