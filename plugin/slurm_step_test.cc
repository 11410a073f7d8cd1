#include "slurm_step.h"

#include <stdexcept>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_environment.h"
#include "test_messages.h"

namespace mljob::plugin {
namespace {

using test_support::hostile_value;
using test_support::is_one_safe_line;
using test_support::lookup_in;
using test_support::message_of;
using test_support::Variables;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;
using Counts = std::vector<unsigned>;
using Hosts = std::vector<std::string>;

// What a task of `srun --het-group=0-2` sees in a 3-component batch job (Slurm 22.05,
// as printed on the local cluster): the job's per-component variables and the step's
// merged, sorted node list and counts. Component 1's allocation has 2 tasks on each of
// w1 and w2; component 2 has 3 tasks on p1.
Variables three_component_step() {
  return {
      {"SLURM_JOB_ID", "1234"},
      {"SLURM_HET_SIZE", "3"},
      {"SLURM_JOB_ID_HET_GROUP_0", "1234"},
      {"SLURM_JOB_ID_HET_GROUP_1", "1235"},
      {"SLURM_JOB_ID_HET_GROUP_2", "1236"},
      {"SLURM_JOB_NODELIST_HET_GROUP_0", "m1"},
      {"SLURM_JOB_NODELIST_HET_GROUP_1", "w[1-2]"},
      {"SLURM_JOB_NODELIST_HET_GROUP_2", "p1"},
      {"SLURM_TASKS_PER_NODE_HET_GROUP_0", "1"},
      {"SLURM_TASKS_PER_NODE_HET_GROUP_1", "2(x2)"},
      {"SLURM_TASKS_PER_NODE_HET_GROUP_2", "3"},
      {"SLURM_STEP_NODELIST", "m1,p1,w[1-2]"},
      {"SLURM_STEP_TASKS_PER_NODE", "1,3,2(x2)"},
      {"SLURM_STEP_NUM_TASKS", "8"},
      {"SLURM_NTASKS", "8"},
  };
}

JobLayout layout_of(const Variables& variables) {
  return JobLayout(step_shape_from_environment(lookup_in(variables)).components);
}

TEST(StepShape, HeterogeneousStepAttributesTheMergedCountsToComponents) {
  const StepShape shape = step_shape_from_environment(lookup_in(three_component_step()));
  EXPECT_TRUE(shape.heterogeneous);
  ASSERT_EQ(shape.components.size(), 3u);
  EXPECT_EQ(shape.components[0].hosts, (Hosts{"m1"}));
  EXPECT_EQ(shape.components[0].tasks_per_node, (Counts{1}));
  EXPECT_EQ(shape.components[1].hosts, (Hosts{"w1", "w2"}));
  EXPECT_EQ(shape.components[1].tasks_per_node, (Counts{2, 2}));
  EXPECT_EQ(shape.components[2].tasks_per_node, (Counts{3}));
  EXPECT_TRUE(shape.idle_components().empty());

  const JobLayout layout = layout_of(three_component_step());
  EXPECT_EQ(layout.component_task_counts(), (Counts{1, 4, 3}));
  EXPECT_EQ(layout.task(3).host, "w2");
  EXPECT_EQ(layout.task(3).component, 1u);
  EXPECT_EQ(layout.task(5).host, "p1");
}

TEST(StepShape, TheStepNotTheAllocationDecides) {
  // As seen for a job submitted through slurmrestd: component 1 was allocated 2 nodes
  // and 2 tasks, but srun started only 1 task in it.
  Variables variables = three_component_step();
  variables["SLURM_STEP_NODELIST"] = "m1,p1,w1";
  variables["SLURM_STEP_TASKS_PER_NODE"] = "1,3,1";
  variables["SLURM_STEP_NUM_TASKS"] = "5";
  variables["SLURM_NTASKS"] = "5";
  const StepShape shape = step_shape_from_environment(lookup_in(variables));
  EXPECT_EQ(shape.components[1].tasks_per_node, (Counts{1, 0}));
  EXPECT_EQ(JobLayout(shape.components).component_task_counts(), (Counts{1, 1, 3}));
}

TEST(StepShape, ComponentsSharingANode) {
  // When components share a node, srun cannot sort the merged list and leaves it in
  // component order, the node once per component.
  const Variables variables{
      {"SLURM_HET_SIZE", "3"},
      {"SLURM_JOB_NODELIST_HET_GROUP_0", "n1"},
      {"SLURM_JOB_NODELIST_HET_GROUP_1", "n[1-2]"},
      {"SLURM_JOB_NODELIST_HET_GROUP_2", "n2"},
      {"SLURM_STEP_NODELIST", "n1,n[1-2],n2"},
      {"SLURM_STEP_TASKS_PER_NODE", "1,2,1,3"},
      {"SLURM_STEP_NUM_TASKS", "7"},
  };
  const StepShape shape = step_shape_from_environment(lookup_in(variables));
  EXPECT_EQ(shape.components[0].tasks_per_node, (Counts{1}));
  EXPECT_EQ(shape.components[1].tasks_per_node, (Counts{2, 1}));
  EXPECT_EQ(shape.components[2].tasks_per_node, (Counts{3}));
  const JobLayout layout(shape.components);
  EXPECT_EQ(layout.task(2).local_index_on_host, 2u);  // n1: component 0's task, then 1's
  EXPECT_EQ(layout.task(4).local_index_on_host, 1u);  // n2: component 1's task, then 2's
}

TEST(StepShape, AStepInSomeComponentsOnlyIsAHelperStep) {
  Variables variables = three_component_step();
  variables["SLURM_STEP_NODELIST"] = "w1";
  variables["SLURM_STEP_TASKS_PER_NODE"] = "1";
  variables["SLURM_STEP_NUM_TASKS"] = "1";
  variables["SLURM_NTASKS"] = "1";
  const StepShape shape = step_shape_from_environment(lookup_in(variables));
  EXPECT_EQ(shape.idle_components(), (Counts{0, 2}));
}

TEST(StepShape, OrdinaryStepFromTheStepVariables) {
  const Variables variables{
      {"SLURM_JOB_NODELIST", "n[1-4]"},
      {"SLURM_STEP_NODELIST", "n[1-2]"},
      {"SLURM_STEP_TASKS_PER_NODE", "2,1"},
      {"SLURM_STEP_NUM_TASKS", "3"},
  };
  const StepShape shape = step_shape_from_environment(lookup_in(variables));
  EXPECT_FALSE(shape.heterogeneous);
  const JobLayout layout = layout_of(variables);
  EXPECT_EQ(layout.component_task_counts(), (Counts{3}));
  EXPECT_EQ(layout.task(2).host, "n2");
}

TEST(StepShape, OrdinaryStepFallsBackToTheJobVariables) {
  const JobLayout layout = layout_of({
      {"SLURM_JOB_NODELIST", "a,b"},
      {"SLURM_TASKS_PER_NODE", "1(x2)"},
      {"SLURM_NTASKS", "2"},
  });
  EXPECT_EQ(layout.total_tasks(), 2u);
  EXPECT_EQ(layout.task(1).host, "b");
}

TEST(StepShape, MissingVariablesAreNamed) {
  Variables variables = three_component_step();
  variables.erase("SLURM_JOB_NODELIST_HET_GROUP_2");
  EXPECT_THAT([&] { step_shape_from_environment(lookup_in(variables)); },
              ThrowsMessage<std::invalid_argument>(
                  HasSubstr("SLURM_JOB_NODELIST_HET_GROUP_2 is not set (expected in every task of a "
                            "heterogeneous step)")));
  variables = three_component_step();
  variables.erase("SLURM_STEP_TASKS_PER_NODE");
  EXPECT_THAT([&] { step_shape_from_environment(lookup_in(variables)); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("SLURM_STEP_TASKS_PER_NODE is not set")));
  EXPECT_THAT([] { step_shape_from_environment(lookup_in({})); },
              ThrowsMessage<std::invalid_argument>(
                  HasSubstr("none of SLURM_STEP_NODELIST, SLURM_JOB_NODELIST, SLURM_NODELIST is set")));
}

TEST(StepShape, MalformedValuesAreNamedWithTheirVariable) {
  Variables variables = three_component_step();
  variables["SLURM_JOB_NODELIST_HET_GROUP_1"] = "w[2-1]";
  EXPECT_THAT([&] { step_shape_from_environment(lookup_in(variables)); },
              ThrowsMessage<std::invalid_argument>(
                  HasSubstr("SLURM_JOB_NODELIST_HET_GROUP_1: host list \"w[2-1]\": range \"2-1\" runs "
                            "backwards")));
  variables = three_component_step();
  variables["SLURM_STEP_TASKS_PER_NODE"] = "1,3,2(x";
  EXPECT_THAT(
      [&] { step_shape_from_environment(lookup_in(variables)); },
      ThrowsMessage<std::invalid_argument>(HasSubstr("SLURM_STEP_TASKS_PER_NODE: tasks-per-node list \"1,3,2(x\"")));
  variables = three_component_step();
  variables["SLURM_HET_SIZE"] = "three";
  EXPECT_THAT([&] { step_shape_from_environment(lookup_in(variables)); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("SLURM_HET_SIZE=\"three\" is not a whole number")));
}

TEST(StepShape, ContradictionsAreRefused) {
  Variables variables = three_component_step();
  variables["SLURM_STEP_TASKS_PER_NODE"] = "1,3";
  EXPECT_THAT([&] { step_shape_from_environment(lookup_in(variables)); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("SLURM_STEP_NODELIST=\"m1,p1,w[1-2]\" names 4 nodes but "
                                                             "SLURM_STEP_TASKS_PER_NODE=\"1,3\" gives counts for 2")));
  variables = three_component_step();
  variables["SLURM_STEP_NUM_TASKS"] = "9";
  EXPECT_THAT([&] { step_shape_from_environment(lookup_in(variables)); },
              ThrowsMessage<std::invalid_argument>(
                  HasSubstr("SLURM_STEP_NUM_TASKS=9 but the step's tasks per node add up to 8")));
  variables = three_component_step();
  variables["SLURM_STEP_NODELIST"] = "m1,p1,w[1-2],x9";
  variables["SLURM_STEP_TASKS_PER_NODE"] = "1,3,2(x2),1";
  EXPECT_THAT([&] { step_shape_from_environment(lookup_in(variables)); },
              ThrowsMessage<std::invalid_argument>(
                  HasSubstr("names node x9 more often than the SLURM_JOB_NODELIST_HET_GROUP_n list it")));
  variables = three_component_step();
  variables["SLURM_HET_SIZE"] = "0";
  EXPECT_THROW(step_shape_from_environment(lookup_in(variables)), std::invalid_argument);
}

TEST(StepShape, TheComponentsTogetherNameAtMost65536Nodes) {
  Variables variables = three_component_step();
  variables["SLURM_JOB_NODELIST_HET_GROUP_0"] = "a[1-40000]";
  variables["SLURM_JOB_NODELIST_HET_GROUP_1"] = "b[1-40000]";
  EXPECT_THAT([&] { step_shape_from_environment(lookup_in(variables)); },
              ThrowsMessage<std::invalid_argument>(
                  HasSubstr("the SLURM_JOB_NODELIST_HET_GROUP_n lists name more than 65536 nodes together")));
}

TEST(JobId, IsTheHetLeadersId) {
  EXPECT_EQ(job_id_from_environment(lookup_in(three_component_step())), 1234u);
  EXPECT_THROW(job_id_from_environment(lookup_in({})), std::invalid_argument);
  EXPECT_THROW(job_id_from_environment(lookup_in({{"SLURM_JOB_ID", "12x"}})), std::invalid_argument);
}

TEST(ComponentOfStep, FromTheHetGroupJobIds) {
  const Variables variables = three_component_step();
  const StepShape shape = step_shape_from_environment(lookup_in(variables));
  EXPECT_EQ(component_of_step(lookup_in(variables), shape, 1234), 0u);
  EXPECT_EQ(component_of_step(lookup_in(variables), shape, 1236), 2u);
  EXPECT_THAT(
      [&] { component_of_step(lookup_in(variables), shape, 99); },
      ThrowsMessage<std::invalid_argument>(HasSubstr("no SLURM_JOB_ID_HET_GROUP_n names this component's job id 99")));
}

TEST(ComponentOfStep, OrdinaryStepIsComponentZero) {
  const Variables variables{{"SLURM_STEP_NODELIST", "a"}, {"SLURM_STEP_TASKS_PER_NODE", "1"}};
  const StepShape shape = step_shape_from_environment(lookup_in(variables));
  EXPECT_EQ(component_of_step(lookup_in(variables), shape, 77), 0u);
}

TEST(NodePlacementCheck, AcceptsBlockDistribution) {
  const JobLayout layout = layout_of(three_component_step());
  EXPECT_NO_THROW(verify_node_placement(layout, ObservedNode{1, 0, {0, 1}}));
  EXPECT_NO_THROW(verify_node_placement(layout, ObservedNode{1, 1, {2, 3}}));
  EXPECT_NO_THROW(verify_node_placement(layout, ObservedNode{2, 0, {0, 1, 2}}));
}

TEST(NodePlacementCheck, RefusesCyclicDistribution) {
  const JobLayout layout = layout_of(three_component_step());
  EXPECT_THAT(
      [&] {
        verify_node_placement(layout, ObservedNode{1, 0, {0, 2}});
      },
      ThrowsMessage<std::invalid_argument>(
          HasSubstr("Slurm starts tasks [0,2] of het component 1 on its node 0 (w1), but block "
                    "distribution puts tasks [0,1] there")));
  EXPECT_THAT(
      [&] {
        verify_node_placement(layout, ObservedNode{1, 1, {1, 2, 3}});
      },
      ThrowsMessage<std::invalid_argument>(HasSubstr("[1,2,3]")));
}

TEST(TaskPlacementCheck, AcceptsBlockDistribution) {
  const JobLayout layout = layout_of(three_component_step());
  EXPECT_NO_THROW(verify_task_placement(layout.task(4), ObservedTask{"w2", 1, 3}));
}

TEST(TaskPlacementCheck, RefusesOtherDistributions) {
  const JobLayout layout = layout_of(three_component_step());
  EXPECT_THAT(
      [&] {
        verify_task_placement(layout.task(2), ObservedTask{"w2", 0, 1});
      },
      ThrowsMessage<std::invalid_argument>(
          HasSubstr("task 2 runs on w2 as local task 0, but block distribution puts it "
                    "on w1 as local task 1")));
  EXPECT_THAT(
      [&] {
        verify_task_placement(layout.task(2), ObservedTask{"w1", 1, 0});
      },
      ThrowsMessage<std::invalid_argument>(
          HasSubstr("task 2 is task 0 of its het component, but the layout read from "
                    "SLURM_STEP_* and SLURM_JOB_NODELIST_HET_GROUP_n makes it task 1 of "
                    "component 1")));
}

// What slurmstepd's environment holds is the job's: the user may set any SLURM_* variable
// (and slurmrestd jobs any variable at all). The messages naming them stay one short line.
TEST(StepShape, MessagesShowHostileVariablesOnOneShortLine) {
  for (const char* name : {"SLURM_HET_SIZE", "SLURM_STEP_NODELIST", "SLURM_STEP_TASKS_PER_NODE",
                           "SLURM_JOB_NODELIST_HET_GROUP_1", "SLURM_STEP_NUM_TASKS"}) {
    Variables variables = three_component_step();
    variables[name] = hostile_value();
    const std::string message = message_of([&] { step_shape_from_environment(lookup_in(variables)); });
    EXPECT_TRUE(is_one_safe_line(message, 1024)) << name;
    EXPECT_THAT(message, HasSubstr(R"("bad\nslurmstepd: error: forged line xxx)")) << name;
  }
  // Node lists that parse but do not agree: both are quoted, and the node named.
  Variables variables = three_component_step();
  variables["SLURM_STEP_NODELIST"] = "m1,p1,w[1-2]," + std::string(200, 'z') + "\r\x1b!";
  variables["SLURM_STEP_TASKS_PER_NODE"] = "1,3,2(x3)";
  std::string message = message_of([&] { step_shape_from_environment(lookup_in(variables)); });
  EXPECT_TRUE(is_one_safe_line(message, 1024));
  EXPECT_THAT(message, HasSubstr(R"(names node zzz)"));
  EXPECT_THAT(message, HasSubstr(R"(zzz\r\x1b! more often)"));
  variables["SLURM_STEP_TASKS_PER_NODE"] = "1,3,2(x2)";
  message = message_of([&] { step_shape_from_environment(lookup_in(variables)); });
  EXPECT_TRUE(is_one_safe_line(message, 1024));
}

TEST(TaskPlacementCheck, MessagesShowAHostileNodeNameOnOneShortLine) {
  const JobLayout layout = layout_of(three_component_step());
  const std::string message = message_of([&] {
    verify_task_placement(layout.task(2), ObservedTask{hostile_value(), 1, 1});
  });
  EXPECT_TRUE(is_one_safe_line(message, 1024));
  EXPECT_THAT(message, HasSubstr(R"(task 2 runs on bad\nslurmstepd: error: forged line xxx)"));
}

}  // namespace
}  // namespace mljob::plugin
