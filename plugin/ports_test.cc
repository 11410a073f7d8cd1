#include "ports.h"

#include <set>
#include <stdexcept>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mljob::plugin {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

TEST(Ports, DefaultRangeHas156Slots) {
  EXPECT_EQ(port_slots(PortRange{}), 156u);  // 10000 / 64
}

TEST(Ports, FormulaBasePlusJobSlotTimesStridePlusLocalIndex) {
  const PortRange ports{20000, 10000};
  // 1234 mod 156 = 142; 20000 + 142 * 64 = 29088.
  EXPECT_EQ(task_port(ports, 1234, 0), 29088u);
  EXPECT_EQ(task_port(ports, 1234, 5), 29093u);
  EXPECT_EQ(task_port(ports, 156, 0), 20000u);
  EXPECT_EQ(task_port(ports, 155, 63), 20000u + 155 * 64 + 63);
}

TEST(Ports, DistinctForEveryTaskOnOneNode) {
  const PortRange ports{20000, 10000};
  std::set<unsigned> seen;
  for (unsigned local = 0; local < kPortStride; ++local) {
    EXPECT_TRUE(seen.insert(task_port(ports, 98765, local)).second);
  }
}

TEST(Ports, NeighbouringJobsGetDisjointBlocks) {
  const PortRange ports{20000, 10000};
  EXPECT_EQ(task_port(ports, 1001, 0), task_port(ports, 1000, 63) + 1);
}

TEST(Ports, AllPortsStayBelow65536) {
  const PortRange ports{60000, 10000};  // cut at 65535: 5536 / 64 = 86 slots
  EXPECT_EQ(port_slots(ports), 86u);
  for (std::uint32_t job = 0; job < 200; ++job) {
    EXPECT_LE(task_port(ports, job, 63), 65535u);
  }
}

TEST(Ports, RefusesMoreThanOneBlockPerNode) {
  EXPECT_THAT([] { task_port(PortRange{}, 1, 64); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("at most 64 tasks of one job may share a node")));
}

TEST(Ports, RefusesRangesWithoutABlock) {
  EXPECT_THAT(
      [] {
        check_port_range(PortRange{65500, 10000});
      },
      ThrowsMessage<std::invalid_argument>(HasSubstr("too few for one job's block")));
  EXPECT_THAT(
      [] {
        check_port_range(PortRange{20000, 63});
      },
      ThrowsMessage<std::invalid_argument>(HasSubstr("too few")));
  EXPECT_THAT(
      [] {
        check_port_range(PortRange{80, 10000});
      },
      ThrowsMessage<std::invalid_argument>(HasSubstr("must be from 1024 to 65535")));
}

}  // namespace
}  // namespace mljob::plugin
