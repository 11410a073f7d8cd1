#include "hostlist.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_heap_meter.h"
#include "test_messages.h"

namespace mljob::plugin {
namespace {

using Hosts = std::vector<std::string>;
using test_support::hostile_value;
using test_support::is_one_safe_line;
using test_support::measure_heap;
using ::testing::HasSubstr;

std::string error_of(const std::string& list) {
  try {
    expand_hostlist(list);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "no error";
}

TEST(Hostlist, SingleName) {
  EXPECT_EQ(expand_hostlist("node1"), (Hosts{"node1"}));
}

TEST(Hostlist, RangesAndSinglesInOneBracket) {
  EXPECT_EQ(expand_hostlist("n[1-3,5]"), (Hosts{"n1", "n2", "n3", "n5"}));
}

TEST(Hostlist, ZeroPaddingFollowsTheLowBound) {
  EXPECT_EQ(expand_hostlist("gpu-[01-04]"), (Hosts{"gpu-01", "gpu-02", "gpu-03", "gpu-04"}));
  EXPECT_EQ(expand_hostlist("n[08-11]"), (Hosts{"n08", "n09", "n10", "n11"}));
  EXPECT_EQ(expand_hostlist("n[8-10]"), (Hosts{"n8", "n9", "n10"}));
  EXPECT_EQ(expand_hostlist("n[001,010]"), (Hosts{"n001", "n010"}));
}

TEST(Hostlist, CommasBetweenEntries) {
  EXPECT_EQ(expand_hostlist("a1,b[2-3]"), (Hosts{"a1", "b2", "b3"}));
  EXPECT_EQ(expand_hostlist("b[2-3],a1,c"), (Hosts{"b2", "b3", "a1", "c"}));
}

TEST(Hostlist, SuffixAfterBrackets) {
  EXPECT_EQ(expand_hostlist("n[1-2]-ib"), (Hosts{"n1-ib", "n2-ib"}));
}

TEST(Hostlist, SeveralBracketsMultiplyRightmostFastest) {
  EXPECT_EQ(expand_hostlist("rack[1-2]-node[01-02]"),
            (Hosts{"rack1-node01", "rack1-node02", "rack2-node01", "rack2-node02"}));
}

TEST(Hostlist, BracketOnlyName) {
  EXPECT_EQ(expand_hostlist("[1-2]"), (Hosts{"1", "2"}));
}

TEST(Hostlist, ExactlyTheLimitIsAccepted) {
  EXPECT_EQ(expand_hostlist("n[1-65536]").size(), kMaxExpandedHosts);
}

TEST(Hostlist, RefusesMalformedLists) {
  EXPECT_THAT(error_of(""), HasSubstr("is empty"));
  EXPECT_THAT(error_of("n[1-"), HasSubstr("without a matching \"]\""));
  EXPECT_THAT(error_of("n1]"), HasSubstr("without a matching \"[\""));
  EXPECT_THAT(error_of("n[3-1]"), HasSubstr("range \"3-1\" runs backwards"));
  EXPECT_THAT(error_of("n[]"), HasSubstr("empty brackets"));
  EXPECT_THAT(error_of("a,,b"), HasSubstr("empty entry"));
  EXPECT_THAT(error_of("a,"), HasSubstr("empty entry"));
  EXPECT_THAT(error_of("n[a-b]"), HasSubstr("\"a\" is not a number"));
  EXPECT_THAT(error_of("n[1-2[3]]"), HasSubstr("nested brackets"));
  EXPECT_THAT(error_of("n[1,,2]"), HasSubstr("empty number"));
  EXPECT_THAT(error_of("n[-2]"), HasSubstr("empty number"));
  EXPECT_THAT(error_of("n 1"), HasSubstr("white space"));
  EXPECT_THAT(error_of("n[1-9999999999]"), HasSubstr("too large"));
}

TEST(Hostlist, ErrorsQuoteTheWholeList) {
  EXPECT_THAT(error_of("good[1-2],bad[2-1]"), HasSubstr("host list \"good[1-2],bad[2-1]\""));
}

TEST(Hostlist, RefusesListsBeyondTheLimit) {
  EXPECT_THAT(error_of("n[0-65536]"), HasSubstr("more than 65536 names"));
  EXPECT_THAT(error_of("a[1-300]-b[1-300]"), HasSubstr("more than 65536 names"));
  EXPECT_THAT(error_of("a[1-40000],b[1-40000]"), HasSubstr("more than 65536 names"));
  // Plain names count too (these were once let through past the limit).
  EXPECT_THAT(error_of("n[1-65536],m"), HasSubstr("more than 65536 names"));
  std::string plain_names;
  for (int i = 0; i < 65537; ++i) plain_names += (i ? ",n" : "n");
  EXPECT_THAT(error_of(plain_names), HasSubstr("more than 65536 names"));
  // Refused while the groups are read, before the next group is expanded.
  std::string many_groups = "n";
  for (int i = 0; i < 20; ++i) many_groups += "[0-1]";
  EXPECT_THAT(error_of(many_groups), HasSubstr("more than 65536 names"));
}

TEST(Hostlist, NamesUpToTheLengthLimit) {
  const std::string longest(kMaxHostNameLength, 'a');
  EXPECT_EQ(expand_hostlist(longest), (Hosts{longest}));
  const std::string stem(kMaxHostNameLength - 2, 'b');
  EXPECT_EQ(expand_hostlist(stem + "[08-10]"), (Hosts{stem + "08", stem + "09", stem + "10"}));
}

TEST(Hostlist, RefusesNamesBeyondTheLengthLimit) {
  EXPECT_THAT(error_of(std::string(kMaxHostNameLength + 1, 'a')),
              HasSubstr("a name would be longer than 255 characters"));
  // The widest number counts: 254 + 2 > 255, though "n...9" alone would fit.
  EXPECT_THAT(error_of(std::string(kMaxHostNameLength - 1, 'n') + "[9-10]"), HasSubstr("longer than 255"));
  // A 1 MiB value expanding 65536 times is refused before anything is expanded.
  EXPECT_THAT(error_of(std::string(1024 * 1024, 'x') + "[0-65535]"), HasSubstr("longer than 255"));
  std::string groups;
  for (int i = 0; i < 300; ++i) groups += "[7]";
  EXPECT_THAT(error_of(groups), HasSubstr("longer than 255"));
}

TEST(Hostlist, MessagesShowHostileTextOnOneShortLine) {
  EXPECT_THAT(error_of("n[1-2]\nslurmstepd: error: forged"),
              HasSubstr(R"(host list "n[1-2]\nslurmstepd: error: forged": contains white space)"));
  for (const std::string& list : {hostile_value(), "n[1-" + std::string(100000, 'x') + "\x1b]",
                                  "n[" + std::string(100000, '9') + "]", "n[2-1" + std::string(100000, '\r') + "]"}) {
    EXPECT_TRUE(is_one_safe_line(error_of(list), 1024));
  }
}

TEST(Hostlist, MessagesQuoteAtMost256BytesOfTheList) {
  const std::string list = std::string(1000, 'a') + ",,";
  const std::string message = error_of(list);
  EXPECT_THAT(message, HasSubstr("\"" + std::string(256, 'a') + "...\" (1002 bytes)"));
  EXPECT_LT(message.size(), 400u);
}

// What a refusal may take from the heap: the message and a few small vectors, nothing
// that grows with the value or with what it would expand to.
constexpr std::size_t kRefusalHeapBytes = 64 * 1024;

// A zero-padded low bound sets the width of every number of its range. 100000 zeros once
// made slurmstepd build 65536 names of 100 KB each (6.5 GB) before the length check ran.
TEST(HostlistMemory, ZeroPaddedBoundsAreRefusedBeforeAnythingIsExpanded) {
  const std::string zeros(100000, '0');
  for (const std::string& list :
       {"n[" + zeros + "1-65536]", "n[" + zeros + "1]", "n[1-3," + zeros + "7-9]", "a[1-2]-b[" + zeros + "1-65536]",
        "n[" + zeros + "1-65536],m[1-2]", std::string(kMaxHostNameLength - 3, 'n') + "[0001-0002]"}) {
    std::string message;
    const auto use = measure_heap(kMaxExpansionHeapBytes, [&] { message = error_of(list); });
    EXPECT_FALSE(use.over_budget) << list.size();
    EXPECT_THAT(message, HasSubstr("a name would be longer than 255 characters"));
    EXPECT_LE(use.peak_bytes, kRefusalHeapBytes) << message;
  }
}

// The widest number a name can hold is still accepted: the bound is on the name, not on
// the padding itself.
TEST(HostlistMemory, PaddingUpToTheNameLengthIsAccepted) {
  const std::string stem(kMaxHostNameLength - 200, 'n');
  const Hosts hosts = expand_hostlist(stem + "[" + std::string(199, '0') + "1-3]");
  ASSERT_EQ(hosts.size(), 3u);
  EXPECT_EQ(hosts[2], stem + std::string(199, '0') + "3");
}

// The documented bound (hostlist.h), measured on the largest lists that are accepted:
// 65536 names of 255 characters each, made every way the grammar allows, and on lists
// refused only at their last name.
TEST(HostlistMemory, TheLargestExpansionsStayWithinTheDocumentedHeapBound) {
  const std::string stem(kMaxHostNameLength - 9, 'x');
  std::string plain_names;
  for (std::size_t i = 0; i < kMaxExpandedHosts; ++i) {
    plain_names += (i ? "," : "") + std::string(kMaxHostNameLength - 5, 'p') + std::to_string(10000 + i);
  }
  std::string singles = std::string(kMaxHostNameLength - 5, 's') + "[";
  for (std::size_t i = 0; i < kMaxExpandedHosts; ++i) {
    singles += (i ? "," : "") + std::to_string(10000 + i);
  }
  singles += "]";
  const std::vector<std::string> largest = {
      stem + "[000000001-000065536]",
      std::string(kMaxHostNameLength - 200, 'z') + "[" + std::string(199, '0') + "1-65536]",
      std::string(kMaxHostNameLength - 8, 'g') + "[01-16][01-16][01-16][01-16]",
      stem + "[000000001-000032768]," + stem + "[000032769-000065536]",
      plain_names,
      singles,
  };
  for (const std::string& list : largest) {
    std::size_t names = 0;
    std::size_t longest = 0;
    const auto use = measure_heap(kMaxExpansionHeapBytes, [&] {
      const Hosts hosts = expand_hostlist(list);
      names = hosts.size();
      for (const std::string& host : hosts) longest = std::max(longest, host.size());
    });
    EXPECT_FALSE(use.over_budget) << list.substr(0, 300);
    EXPECT_EQ(names, kMaxExpandedHosts) << list.substr(0, 300);
    EXPECT_EQ(longest, kMaxHostNameLength) << list.substr(0, 300);
    EXPECT_LE(use.peak_bytes, kMaxExpansionHeapBytes) << list.substr(0, 300);
    // The names alone take 65536 x 256 bytes: the measure does see the expansion.
    EXPECT_GE(use.peak_bytes, kMaxExpandedHosts * (kMaxHostNameLength + 1)) << list.substr(0, 300);
  }
  for (const std::string& list :
       {stem + "[000000001-000065536],m", plain_names + ",m", stem + "[000000001-000065536]" + std::string(10, 'y')}) {
    std::string message;
    const auto use = measure_heap(kMaxExpansionHeapBytes, [&] { message = error_of(list); });
    EXPECT_FALSE(use.over_budget) << message;
    EXPECT_NE(message, "no error");
    EXPECT_LE(use.peak_bytes, kMaxExpansionHeapBytes) << message;
  }
}

}  // namespace
}  // namespace mljob::plugin
