#include "log_text.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_messages.h"

namespace mljob::plugin {
namespace {

using test_support::hostile_value;
using test_support::is_one_safe_line;
using ::testing::EndsWith;
using ::testing::HasSubstr;

TEST(LogText, PlainValuesAreShownAsTheyAre) {
  EXPECT_EQ(log_quoted("n1"), "\"n1\"");
  EXPECT_EQ(log_printable("gpu-[01-04]"), "gpu-[01-04]");
  EXPECT_EQ(log_quoted(""), "\"\"");
}

TEST(LogText, ControlBytesQuotesAndBackslashesAreEscaped) {
  EXPECT_EQ(log_quoted("a\nb\r\tc"), R"("a\nb\r\tc")");
  EXPECT_EQ(log_quoted("say \"hi\" \\ bye"), R"("say \"hi\" \\ bye")");
  EXPECT_EQ(log_printable(std::string("\x1b[2J\x7f\0z", 7)), R"(\x1b[2J\x7f\x00z)");
  // Bytes above ASCII too: a value need not be UTF-8, and C1 controls are terminal escapes.
  EXPECT_EQ(log_printable("caf\xc3\xa9 \x9b"), R"(caf\xc3\xa9 \x9b)");
}

TEST(LogText, LongValuesAreCutAndTheirLengthGiven) {
  const std::string value(1000, 'a');
  EXPECT_EQ(log_quoted(value), "\"" + std::string(kMaxQuotedBytes, 'a') + "...\" (1000 bytes)");
  EXPECT_EQ(log_printable(value), std::string(kMaxQuotedBytes, 'a') + "... (1000 bytes)");
  // Exactly the bound is not cut.
  EXPECT_EQ(log_quoted(std::string(kMaxQuotedBytes, 'b')), "\"" + std::string(kMaxQuotedBytes, 'b') + "\"");
  EXPECT_EQ(log_quoted("abcdef", 3), "\"abc...\" (6 bytes)");
}

TEST(LogText, AnEscapeIsNeverCutInHalf) {
  const std::string value = std::string(kMaxQuotedBytes - 1, 'a') + "\n";
  EXPECT_EQ(log_quoted(value),
            "\"" + std::string(kMaxQuotedBytes - 1, 'a') + "...\" (" + std::to_string(kMaxQuotedBytes) + " bytes)");
  EXPECT_EQ(log_printable("\x01\x02", 5), "\\x01... (2 bytes)");
}

TEST(LogText, AHostileValueBecomesOneShortLine) {
  const std::string value = hostile_value();
  for (const std::string& shown : {log_quoted(value), log_printable(value)}) {
    EXPECT_TRUE(is_one_safe_line(shown, kMaxQuotedBytes + 32));
    EXPECT_THAT(shown, HasSubstr(R"(bad\nslurmstepd: error: forged line xxx)"));
    EXPECT_THAT(shown, HasSubstr("(" + std::to_string(value.size()) + " bytes)"));
  }
}

TEST(LogText, LogLinesKeepTheirPunctuationAndEscapeTheRest) {
  const std::string message = R"(MLJOB_PORT="8\"0": expected a port)";
  EXPECT_EQ(log_line(message), message);
  EXPECT_EQ(log_line("two\nlines\x1b"), R"(two\nlines\x1b)");
}

TEST(LogText, LogLinesAreBounded) {
  const std::string exactly(kMaxLogLineBytes, 'm');
  EXPECT_EQ(log_line(exactly), exactly);
  const std::string message = "error: " + hostile_value() + "\n" + hostile_value();
  const std::string line = log_line(message);
  EXPECT_TRUE(is_one_safe_line(line));
  EXPECT_THAT(line, EndsWith("... (" + std::to_string(message.size()) + " bytes)"));
  EXPECT_TRUE(is_one_safe_line(log_line(std::string(kMaxLogLineBytes, '\n'))));
}

// A message built from quoted values needs nothing more: log_line leaves it as it is.
TEST(LogText, QuotedValuesPassThroughLogLinesUnchanged) {
  for (const std::string& value : {hostile_value(), std::string("a\"b\\c\n"), std::string()}) {
    const std::string message = "MLJOB_ROLES=" + log_quoted(value) + ": unknown role " + log_quoted(value);
    EXPECT_EQ(log_line(message), message);
  }
}

}  // namespace
}  // namespace mljob::plugin
