#include "base/interruption.h"

#include <gtest/gtest.h>

namespace mljob {
namespace {

TEST(Interruption, WithoutAGuardNothingIsPending) {
  EXPECT_EQ(pending_interruption(), 0);
  EXPECT_NO_THROW(throw_if_interrupted());
}

TEST(Interruption, ASignalUnderAGuardIsRecordedAndThrownAtTheNextCheck) {
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) {
    InterruptionGuard guard;
    std::raise(signal);  // the process lives on
    EXPECT_EQ(pending_interruption(), signal);
    try {
      throw_if_interrupted();
      ADD_FAILURE() << "no Interrupted for signal " << signal;
    } catch (const Interrupted& e) {
      EXPECT_EQ(e.signal(), signal);
      EXPECT_NE(std::string(e.what()).find("interrupted by SIG"), std::string::npos);
    }
    EXPECT_EQ(pending_interruption(), 0);  // consumed: the guard's end raises nothing
  }
}

TEST(InterruptionDeathTest, ASignalNoCheckConsumedEndsTheProcessWhenTheGuardEnds) {
  EXPECT_EXIT(
      {
        {
          InterruptionGuard guard;
          std::raise(SIGTERM);
        }
        std::exit(0);  // not reached
      },
      ::testing::KilledBySignal(SIGTERM), "");
}

TEST(Interruption, AGuardEndedByAnErrorLetsTheErrorBeReported) {
  try {
    InterruptionGuard guard;
    std::raise(SIGTERM);
    throw std::runtime_error("sbatch failed");
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "sbatch failed");  // the process is still here to report it
  }
  EXPECT_EQ(pending_interruption(), 0);
}

volatile std::sig_atomic_t seen = 0;
void remember(int signal) {
  seen = signal;
}

TEST(Interruption, ThePreviousHandlerComesBackAndNestedGuardsActOnce) {
  auto previous = std::signal(SIGHUP, remember);
  {
    InterruptionGuard outer;
    {
      InterruptionGuard inner;
      std::raise(SIGHUP);
    }
    EXPECT_EQ(seen, 0);  // the inner guard's end raised nothing
    EXPECT_EQ(pending_interruption(), SIGHUP);
  }
  EXPECT_EQ(seen, SIGHUP);  // raised again at the outer guard's end, to the handler it had
  std::signal(SIGHUP, previous);
}

TEST(Interruption, ASignalIgnoredBeforeTheGuardStaysIgnored) {
  auto previous = std::signal(SIGINT, SIG_IGN);
  {
    InterruptionGuard guard;
    std::raise(SIGINT);
    EXPECT_EQ(pending_interruption(), 0);
  }
  std::signal(SIGINT, previous);
}

}  // namespace
}  // namespace mljob
