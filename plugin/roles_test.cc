#include "roles.h"

#include <stdexcept>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_messages.h"

namespace mljob::plugin {
namespace {

using test_support::hostile_value;
using test_support::is_one_safe_line;
using ::testing::HasSubstr;

std::string parse_error(const std::string& text) {
  try {
    parse_role_map(text);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "no error";
}

std::string assign_error(const std::string& text, std::vector<unsigned> counts) {
  try {
    assign_roles(parse_role_map(text), counts);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "no error";
}

TEST(RoleMap, OneRolePerComponent) {
  const RoleMap map = parse_role_map("master,worker,ps");
  ASSERT_EQ(map.size(), 3u);
  EXPECT_EQ(map[0], (ComponentRoles{{{Role::master, std::nullopt}}}));
  EXPECT_EQ(map[1], (ComponentRoles{{{Role::worker, std::nullopt}}}));
  EXPECT_EQ(map[2], (ComponentRoles{{{Role::ps, std::nullopt}}}));
}

TEST(RoleMap, ComponentSplitByRank) {
  const RoleMap map = parse_role_map("master:1+worker,ps");
  ASSERT_EQ(map.size(), 2u);
  EXPECT_EQ(map[0], (ComponentRoles{{{Role::master, 1u}, {Role::worker, std::nullopt}}}));
  EXPECT_EQ(map[1], (ComponentRoles{{{Role::ps, std::nullopt}}}));
}

TEST(RoleMap, AllRoleNames) {
  const RoleMap map = parse_role_map("chief,worker:2,ps:1,evaluator");
  ASSERT_EQ(map.size(), 4u);
  EXPECT_EQ(map[0].segments[0].role, Role::chief);
  EXPECT_EQ(map[1].segments[0].task_count, 2u);
  EXPECT_EQ(map[3].segments[0].role, Role::evaluator);
}

TEST(RoleMap, RefusesUnknownRolesNamingThemAndTheAllowedOnes) {
  EXPECT_EQ(parse_error("foo"),
            "ml-roles \"foo\": unknown role \"foo\" (allowed: master, chief, worker, ps, "
            "evaluator)");
  EXPECT_THAT(parse_error("master,Worker"), HasSubstr("unknown role \"Worker\""));
}

TEST(RoleMap, RefusesEmptyPieces) {
  EXPECT_THAT(parse_error(""), HasSubstr("is empty (example: master,worker,ps)"));
  EXPECT_THAT(parse_error("master,,ps"), HasSubstr("a role name is missing"));
  EXPECT_THAT(parse_error("master+"), HasSubstr("a role name is missing"));
  EXPECT_THAT(parse_error(":1"), HasSubstr("a role name is missing"));
}

TEST(RoleMap, RefusesBadCounts) {
  EXPECT_THAT(parse_error("master:0+worker"),
              HasSubstr("in \"master:0\", the task count must be a whole number from 1 to 65535"));
  EXPECT_THAT(parse_error("master:x"), HasSubstr("the task count must be"));
  EXPECT_THAT(parse_error("master:"), HasSubstr("the task count must be"));
  EXPECT_THAT(parse_error("worker:-1"), HasSubstr("the task count must be"));
}

TEST(RoleMap, OnlyTheLastRoleOfAComponentMayTakeTheRest) {
  EXPECT_THAT(parse_error("worker+master:1"), HasSubstr("\"worker\" needs a task count (e.g. \"worker:1\")"));
}

TEST(RoleMap, OneCoordinator) {
  EXPECT_THAT(parse_error("master,chief"), HasSubstr("either \"master\" or \"chief\""));
  EXPECT_THAT(parse_error("master:1+worker,master"), HasSubstr("more than one master/chief"));
}

TEST(RoleMap, RefusesTooManyComponents) {
  std::string text = "master";
  for (int i = 0; i < 128; ++i) text += ",worker";
  EXPECT_THAT(parse_error(text), HasSubstr("more than 128 components"));
}

TEST(AssignRoles, OneRolePerComponentIndexesAcrossTheJob) {
  const std::vector<TaskRole> roles = assign_roles(parse_role_map("master,worker,ps"), std::vector<unsigned>{1, 4, 3});
  const std::vector<TaskRole> expected{{Role::master, 0}, {Role::worker, 0}, {Role::worker, 1}, {Role::worker, 2},
                                       {Role::worker, 3}, {Role::ps, 0},     {Role::ps, 1},     {Role::ps, 2}};
  EXPECT_EQ(roles, expected);
}

TEST(AssignRoles, SplitComponent) {
  const std::vector<TaskRole> roles = assign_roles(parse_role_map("master:1+worker,ps"), std::vector<unsigned>{3, 1});
  const std::vector<TaskRole> expected{{Role::master, 0}, {Role::worker, 0}, {Role::worker, 1}, {Role::ps, 0}};
  EXPECT_EQ(roles, expected);
}

TEST(AssignRoles, WorkersInSeveralComponentsAreNumberedInRankOrder) {
  const std::vector<TaskRole> roles =
      assign_roles(parse_role_map("worker,master,worker:2"), std::vector<unsigned>{2, 1, 2});
  const std::vector<TaskRole> expected{
      {Role::worker, 0}, {Role::worker, 1}, {Role::master, 0}, {Role::worker, 2}, {Role::worker, 3}};
  EXPECT_EQ(roles, expected);
}

TEST(AssignRoles, RefusesAComponentCountMismatch) {
  EXPECT_EQ(assign_error("master,worker,ps", {1, 4}),
            "ml-roles names 3 component(s) but the job has 2 heterogeneous components");
  EXPECT_THAT(assign_error("master,worker", {5}),
              HasSubstr("but the job has 1 (not a heterogeneous job: split one component by "
                        "rank, e.g. master:1+worker)"));
}

TEST(AssignRoles, RefusesSeveralMasterTasks) {
  EXPECT_THAT(assign_error("master,worker", {2, 2}), HasSubstr("gives 2 tasks the master/chief role"));
}

TEST(AssignRoles, RefusesCountsThatDoNotFit) {
  EXPECT_EQ(assign_error("master:1+worker:1,ps", {3, 1}),
            "ml-roles: het component 0 has 3 tasks but its roles cover only 2; leave the last "
            "role's count off to give it the rest");
  EXPECT_EQ(assign_error("master:1+worker:4,ps", {3, 1}),
            "ml-roles: het component 0 has 3 tasks, fewer than the 5 its roles ask for");
  EXPECT_EQ(assign_error("master:1+worker,ps", {1, 1}),
            "ml-roles: het component 0 has 1 task, none left for its role \"worker\"");
}

TEST(AssignRoles, EvaluatorsAndChief) {
  const std::vector<TaskRole> roles =
      assign_roles(parse_role_map("chief:1+worker,evaluator"), std::vector<unsigned>{2, 1});
  const std::vector<TaskRole> expected{{Role::chief, 0}, {Role::worker, 0}, {Role::evaluator, 0}};
  EXPECT_EQ(roles, expected);
}

TEST(Roles, Names) {
  EXPECT_EQ(role_name(Role::master), "master");
  EXPECT_EQ(role_name(Role::ps), "ps");
  EXPECT_TRUE(is_coordinator(Role::chief));
  EXPECT_FALSE(is_coordinator(Role::worker));
}

TEST(RoleMap, MessagesShowHostileTextOnOneShortLine) {
  const std::string forged = "master,worker\nslurmstepd-n1 error forged";
  EXPECT_THAT(parse_error(forged), HasSubstr(R"(unknown role "worker\nslurmstepd-n1 error forged")"));
  for (const std::string& text : {forged, hostile_value(), "master," + std::string(4000, 'w') + "\r",
                                  "master:1+" + std::string(4000, 'w') + "\x1b+worker"}) {
    EXPECT_TRUE(is_one_safe_line(parse_error(text), 1500)) << text.size();
  }
}

}  // namespace
}  // namespace mljob::plugin
