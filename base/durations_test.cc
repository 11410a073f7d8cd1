#include "base/durations.h"

#include <stdexcept>

#include "base/test_support.h"

namespace mljob {
namespace {

TEST(ApiDuration, WholeAndFractionalSeconds) {
  EXPECT_EQ(parse_api_duration("7200s", "f"), 7200);
  EXPECT_EQ(parse_api_duration("1.5s", "f"), 2);  // rounded up: a limit never cuts short
  EXPECT_EQ(parse_api_duration("60.000s", "f"), 60);
}

TEST(ApiDuration, RefusesWhatTheApiRefuses) {
  for (const char* bad : {"", "s", "7200", "2h", "-5s", "0s", "1.s", "1.1234567891s", "１s", "1e3s", " 5s"}) {
    testing::expect_input_error([&] { parse_api_duration(bad, "trainingInput.scheduling.maxRunningTime"); },
                                "trainingInput.scheduling.maxRunningTime", "positive duration in seconds");
  }
}

}  // namespace
}  // namespace mljob
