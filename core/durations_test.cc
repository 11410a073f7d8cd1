#include "core/durations.h"

#include <stdexcept>

#include "core/test_support.h"

namespace mljob {
namespace {

TEST(ApiDuration, WholeAndFractionalSeconds) {
  EXPECT_EQ(parse_api_duration("7200s", "f"), 7200);
  EXPECT_EQ(parse_api_duration("1.5s", "f"), 2);  // rounded up: a limit never cuts short
  EXPECT_EQ(parse_api_duration("60.000s", "f"), 60);
}

TEST(ApiDuration, RefusesWhatTheApiRefuses) {
  for (const char* bad : {"", "s", "7200", "2h", "-5s", "0s", "1.s", "1.1234567891s", "１s", "1e3s", " 5s"}) {
    testing::expect_spec_error([&] { parse_api_duration(bad, "trainingInput.scheduling.maxRunningTime"); },
                               "trainingInput.scheduling.maxRunningTime", "positive duration in seconds");
  }
}

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
