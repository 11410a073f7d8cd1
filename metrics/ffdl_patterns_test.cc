#include "metrics/ffdl_patterns.h"

#include <gtest/gtest.h>

#include "metrics/python_regex.h"

namespace mljob::metrics {
namespace {

TEST(FfdlPatterns, TheSixMacrosOfFfdlsPatternFile) {
  EXPECT_EQ(ffdl_patterns().size(), 6u);
  EXPECT_EQ(ffdl_patterns().at("INT"), R"([-+]?\d+)");
  EXPECT_EQ(ffdl_patterns().at("GLOG_STAMP"), R"([EFIW]\d\d\d\d\s+\d\d\:\d\d\:\d*\.\d+)");
}

TEST(FfdlPatterns, CaptureFormBecomesANamedGroupAndPlainFormIsInlined) {
  EXPECT_EQ(expand_ffdl_macros("it %{INT:iteration} x %{INT}"), R"(it (?P<iteration>[-+]?\d+) x [-+]?\d+)");
  EXPECT_EQ(expand_ffdl_macros("no macros %{ here"), "no macros %{ here");
}

TEST(FfdlPatterns, EveryMacroCompilesAndMatchesWhatFfdlMeans) {
  for (const auto& [name, pattern] : ffdl_patterns()) EXPECT_NO_THROW(compile_python_regex(pattern)) << name;
  auto full = [](const std::string& macro, const std::string& text) {
    return RE2::FullMatch(text, *compile_python_regex(expand_ffdl_macros("%{" + macro + "}")));
  };
  EXPECT_TRUE(full("FLOAT", "-1.5e-3"));
  EXPECT_TRUE(full("FLOAT", ".5"));
  EXPECT_TRUE(full("GLOG_STAMP", "I0704 12:10:41.123456"));
  EXPECT_TRUE(full("TIMESTAMP", "2018-07-04T12:10:41.5Z"));
  EXPECT_TRUE(full("TIMESTAMP", "+01:00"));  // the top-level alternation, as FfDL wrote it
  EXPECT_TRUE(full("INT_ANY", "0x1F"));
  EXPECT_TRUE(full("HEX", "deadBEEF"));
  EXPECT_FALSE(full("INT", "1.5"));
}

TEST(FfdlPatterns, UnknownMacroIsRefusedAndQuoted) {
  try {
    expand_ffdl_macros("x %{NUMBER:n}");
    ADD_FAILURE();
  } catch (const RegexError& e) {
    EXPECT_EQ(e.part(), "%{NUMBER:n}");
  }
}

}  // namespace
}  // namespace mljob::metrics
