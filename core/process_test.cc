#include "core/process.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <system_error>

namespace mljob {
namespace {

TEST(Process, CapturesBothStreamsAndStatus) {
  auto result = run_process({"sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(result.out, "out\n");
  EXPECT_EQ(result.err, "err\n");
  EXPECT_EQ(result.exit_code, 3);
}

TEST(Process, ExtraEnvironmentReachesOnlyTheChild) {
  auto result = run_process({"sh", "-c", "printf %s \"$MLJOB_TEST_VALUE\""}, {{"MLJOB_TEST_VALUE", "a b;c"}});
  EXPECT_EQ(result.out, "a b;c");
  EXPECT_EQ(std::getenv("MLJOB_TEST_VALUE"), nullptr);
}

TEST(Process, LargeOutputDoesNotDeadlock) {
  auto result = run_process({"sh", "-c", "head -c 3000000 /dev/zero; head -c 3000000 /dev/zero >&2"});
  EXPECT_EQ(result.out.size(), 3000000u);
  EXPECT_EQ(result.err.size(), 3000000u);
}

// Field 5 of /proc/PID/stat is the process group (the command name, field 2, is "sh" here).
TEST(Process, AShieldedChildLeadsAProcessGroupOfItsOwn) {
  std::string own_group = std::to_string(::getpgrp());
  auto plain = run_process({"sh", "-c", "cut -d' ' -f5 /proc/$$/stat"});
  EXPECT_EQ(plain.out, own_group + "\n");
  auto shielded = run_process({"sh", "-c", "echo $$; cut -d' ' -f5 /proc/$$/stat"}, {}, {.own_process_group = true});
  std::string pid = shielded.out.substr(0, shielded.out.find('\n'));
  EXPECT_EQ(shielded.out, pid + "\n" + pid + "\n");
}

TEST(Process, MissingProgramThrows) {
  EXPECT_THROW(run_process({"/nonexistent/program"}), std::system_error);
}

}  // namespace
}  // namespace mljob
