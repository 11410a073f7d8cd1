#include "shared_flag.h"

#include <sys/wait.h>
#include <unistd.h>

#include <vector>

#include <gtest/gtest.h>

namespace mljob::plugin {
namespace {

TEST(SharedFlag, OnlyTheFirstCallerInOneProcess) {
  SharedFlag flag;
  EXPECT_TRUE(flag.test_and_set());
  EXPECT_FALSE(flag.test_and_set());
  EXPECT_FALSE(flag.test_and_set());
}

TEST(SharedFlag, OnlyOneOfTheForkedProcesses) {
  // As slurmstepd forks its tasks after user_init made the flag.
  SharedFlag flag;
  std::vector<pid_t> children;
  for (int i = 0; i < 8; ++i) {
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) _exit(flag.test_and_set() ? 1 : 0);
    children.push_back(child);
  }
  int first = 0;
  for (const pid_t child : children) {
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    first += WEXITSTATUS(status);
  }
  EXPECT_EQ(first, 1);
  EXPECT_FALSE(flag.test_and_set());  // the parent sees what a child set
}

}  // namespace
}  // namespace mljob::plugin
