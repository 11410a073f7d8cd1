#include "tasks_per_node.h"

#include <stdexcept>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_messages.h"

namespace mljob::plugin {
namespace {

using Counts = std::vector<unsigned>;
using test_support::hostile_value;
using test_support::is_one_safe_line;
using ::testing::HasSubstr;

std::string error_of(const std::string& text) {
  try {
    expand_tasks_per_node(text);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "no error";
}

TEST(TasksPerNode, SingleCount) {
  EXPECT_EQ(expand_tasks_per_node("4"), (Counts{4}));
}

TEST(TasksPerNode, RepeatsAndSingles) {
  EXPECT_EQ(expand_tasks_per_node("2(x3),1"), (Counts{2, 2, 2, 1}));
  EXPECT_EQ(expand_tasks_per_node("1,3(x2)"), (Counts{1, 3, 3}));
  EXPECT_EQ(expand_tasks_per_node("5(x1)"), (Counts{5}));
}

TEST(TasksPerNode, ZeroTasksOnANodeIsAllowed) {
  EXPECT_EQ(expand_tasks_per_node("0,2"), (Counts{0, 2}));
}

TEST(TasksPerNode, RefusesMalformedText) {
  EXPECT_THAT(error_of(""), HasSubstr("is empty"));
  EXPECT_THAT(error_of("2(x"), HasSubstr("\"2(x\" is not of the form COUNT(xREPEATS)"));
  EXPECT_THAT(error_of("2(3)"), HasSubstr("is not of the form"));
  EXPECT_THAT(error_of("(x3)"), HasSubstr("\"\" is not a count"));
  EXPECT_THAT(error_of("two"), HasSubstr("\"two\" is not a count"));
  EXPECT_THAT(error_of("-1"), HasSubstr("\"-1\" is not a count"));
  EXPECT_THAT(error_of("2(x0)"), HasSubstr("repeats zero times"));
  EXPECT_THAT(error_of("2,,1"), HasSubstr("empty entry"));
  EXPECT_THAT(error_of("70000"), HasSubstr("from 0 to 65535"));
}

TEST(TasksPerNode, RefusesMoreNodesThanTheLimit) {
  EXPECT_THAT(error_of("1(x65536),1"), HasSubstr("more than 65536 nodes"));
  EXPECT_EQ(expand_tasks_per_node("1(x65536)").size(), kMaxNodesPerList);
}

TEST(TasksPerNode, MessagesShowHostileTextOnOneShortLine) {
  EXPECT_THAT(error_of("2,x\n"), HasSubstr(R"(tasks-per-node list "2,x\n": "x\n" is not a count)"));
  for (const std::string& text :
       {hostile_value(), "1(x" + std::string(100000, '\n') + ")", "1," + std::string(100000, '7')}) {
    EXPECT_TRUE(is_one_safe_line(error_of(text), 1024));
  }
}

}  // namespace
}  // namespace mljob::plugin
