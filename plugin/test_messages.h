// Checks for the plugin's messages in tests: a message that quotes what a user gave must
// still be one bounded line of printable ASCII (log_text.h).
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <exception>
#include <string>
#include <string_view>

#include "log_text.h"

namespace mljob::plugin::test_support {

// A value as a user could set it to break slurmd's log: a newline that starts a forged log
// line, 100 KB of text, and a terminal escape sequence.
inline std::string hostile_value() {
  return "bad\nslurmstepd: error: forged line " + std::string(100 * 1024, 'x') + "\x1b[2J";
}

// Passes when `message` is one line of printable ASCII of at most `max_bytes`; an escaped
// newline ("\n" as two characters) is fine, a real one is not.
inline ::testing::AssertionResult is_one_safe_line(std::string_view message, std::size_t max_bytes = kMaxLogLineBytes) {
  if (message.size() > max_bytes) {
    return ::testing::AssertionFailure() << "the message is " << message.size() << " bytes, more than " << max_bytes;
  }
  for (std::size_t i = 0; i < message.size(); ++i) {
    const auto byte = static_cast<unsigned char>(message[i]);
    if (byte < 0x20 || byte > 0x7e) {
      return ::testing::AssertionFailure()
             << "byte " << static_cast<int>(byte) << " at offset " << i << " of: " << log_printable(message, 400);
    }
  }
  return ::testing::AssertionSuccess();
}

// The message of what `work` throws; "no error" when it throws nothing.
template <typename Work>
std::string message_of(Work work) {
  try {
    work();
  } catch (const std::exception& error) {
    return error.what();
  }
  return "no error";
}

}  // namespace mljob::plugin::test_support
