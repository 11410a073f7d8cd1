#include "core/slurm_time.h"

#include <stdexcept>

#include <gtest/gtest.h>

namespace mljob {
namespace {

TEST(SlurmTime, EveryFormSbatchAccepts) {
  EXPECT_EQ(parse_slurm_time("90"), 90 * 60);
  EXPECT_EQ(parse_slurm_time("90:30"), 90 * 60 + 30);
  EXPECT_EQ(parse_slurm_time("1:30:00"), 5400);
  EXPECT_EQ(parse_slurm_time("2-00"), 2 * 86400);
  EXPECT_EQ(parse_slurm_time("2-01:30"), 2 * 86400 + 5400);
  EXPECT_EQ(parse_slurm_time("2-01:30:05"), 2 * 86400 + 5405);
  EXPECT_EQ(parse_slurm_time("UNLIMITED"), std::nullopt);
  for (const char* bad : {"", "a", "1:2:3:4", "1-", "-1", "1-2:3:4:5", "1::2"}) {
    EXPECT_THROW(parse_slurm_time(bad), std::invalid_argument) << bad;
  }
}

TEST(SlurmTime, LimitsRoundUpToWholeMinutes) {
  EXPECT_EQ(slurm_time_limit(60), "0-00:01:00");
  EXPECT_EQ(slurm_time_limit(61), "0-00:02:00");
  EXPECT_EQ(slurm_time_limit(7 * 86400), "7-00:00:00");
  EXPECT_EQ(parse_slurm_time(slurm_time_limit(5400)), 5400);
}

}  // namespace
}  // namespace mljob
