#include "hostlist.h"

#include "log_text.h"
#include "parse_error.h"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <stdexcept>
#include <string>
#include <utility>

namespace mljob::plugin {
namespace {

// Largest number accepted inside brackets; node numbers are never near it, and the bound
// keeps the arithmetic below far from overflow.
constexpr unsigned long kMaxHostNumber = 999'999'999;

[[noreturn]] void fail(std::string_view whole_list, const std::string& what) {
  throw_parse_error("host list", whole_list, what);
}

// One number of a bracket group: its value, printed with at least `width` digits (the
// width of the range's low bound: "[08-10]" gives 08, 09, 10). Kept as a number until the
// names are made, so that a group costs 16 bytes per number whatever its padding.
struct PaddedNumber {
  unsigned long value;
  std::size_t width;
};

// One bracket group "[1-3,07]", its numbers in order.
using Alternatives = std::vector<PaddedNumber>;

// An entry such as "rack[1-2]-node[01-03]" split into literal text and bracket groups:
// literal[0] group[0] literal[1] group[1] ... literal[n].
struct EntryPattern {
  std::vector<std::string> literals;
  std::vector<Alternatives> groups;
  std::size_t longest_name = 0;  // the literals plus the widest number of each group
  std::size_t combinations = 1;  // the names the entry expands to
};

// What a bracket group may still add, checked before each range is expanded: the digits a
// name still has room for, and the numbers the group may hold without the entry making
// more names than the list has left.
struct GroupRoom {
  std::size_t digits;
  std::size_t numbers;
};

unsigned long parse_number(std::string_view digits, std::string_view whole_list) {
  if (digits.empty()) fail(whole_list, "empty number in a bracket range");
  for (char c : digits) {
    if (c < '0' || c > '9') {
      fail(whole_list, log_quoted(digits) + " is not a number in a bracket range");
    }
  }
  unsigned long value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc{} || end != digits.data() + digits.size() || value > kMaxHostNumber) {
    fail(whole_list, "number " + log_quoted(digits) + " is too large");
  }
  return value;
}

std::size_t digit_count(unsigned long value) {
  std::size_t count = 1;
  for (; value >= 10; value /= 10) ++count;
  return count;
}

// The characters `number` takes in a name.
std::size_t printed_width(PaddedNumber number) {
  return std::max(number.width, digit_count(number.value));
}

void append_padded(std::string& name, PaddedNumber number) {
  char digits[24];
  const auto [end, error] = std::to_chars(std::begin(digits), std::end(digits), number.value);
  const auto count = static_cast<std::size_t>(end - digits);
  if (count < number.width) name.append(number.width - count, '0');
  name.append(digits, end);
}

[[noreturn]] void fail_name_too_long(std::string_view whole_list) {
  fail(whole_list, "a name would be longer than " + std::to_string(kMaxHostNameLength) + " characters");
}

[[noreturn]] void fail_too_many_names(std::string_view whole_list) {
  fail(whole_list, "expands to more than " + std::to_string(kMaxExpandedHosts) + " names");
}

// "lo-hi" or "n", appended to `out`; the width of "lo" sets the padding, as in Slurm. Both
// the padding and the count are checked against `room` before any number is appended: a
// low bound of 100000 zeros is refused here, not after making 65536 names of 100 KB.
void expand_range(std::string_view range, std::string_view whole_list, const GroupRoom& room, Alternatives& out) {
  const std::size_t dash = range.find('-');
  const std::string_view low_text = range.substr(0, dash);
  const unsigned long low = parse_number(low_text, whole_list);
  const unsigned long high = dash == std::string_view::npos ? low : parse_number(range.substr(dash + 1), whole_list);
  if (high < low) {
    fail(whole_list, "range " + log_quoted(range) + " runs backwards");
  }
  if (printed_width({.value = high, .width = low_text.size()}) > room.digits) {
    fail_name_too_long(whole_list);
  }
  if (high - low + 1 > room.numbers - out.size()) fail_too_many_names(whole_list);
  for (unsigned long number = low; number <= high; ++number) {
    out.push_back({.value = number, .width = low_text.size()});
  }
}

// The inside of one bracket pair, e.g. "1-3,07".
Alternatives expand_bracket_group(std::string_view inside, std::string_view whole_list, const GroupRoom& room) {
  if (inside.empty()) fail(whole_list, "empty brackets \"[]\"");
  Alternatives numbers;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = inside.find(',', start);
    expand_range(inside.substr(start, comma - start), whole_list, room, numbers);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return numbers;
}

// Bounds are checked before each group is expanded: the names an entry expands to (at most
// `names_left`) and their length (kMaxHostNameLength). So a long value with many bracket
// groups, or with a wide zero-padded number, fails before it takes memory.
EntryPattern parse_entry(std::string_view entry, std::string_view whole_list, std::size_t names_left) {
  if (entry.empty()) fail(whole_list, "empty entry (two commas in a row, or a stray comma)");
  EntryPattern pattern;
  std::size_t position = 0;
  while (true) {
    const std::size_t open = entry.find('[', position);
    const std::size_t stray_close = entry.find(']', position);
    if (stray_close < open) fail(whole_list, "\"]\" without a matching \"[\"");
    const std::string_view literal = entry.substr(position, open - position);
    if (literal.size() > kMaxHostNameLength - pattern.longest_name) fail_name_too_long(whole_list);
    pattern.literals.emplace_back(literal);
    pattern.longest_name += literal.size();
    if (open == std::string_view::npos) break;
    const std::size_t close = entry.find(']', open + 1);
    if (close == std::string_view::npos) fail(whole_list, "\"[\" without a matching \"]\"");
    const std::string_view inside = entry.substr(open + 1, close - open - 1);
    if (inside.find('[') != std::string_view::npos) fail(whole_list, "nested brackets");
    const GroupRoom room{.digits = kMaxHostNameLength - pattern.longest_name,
                         .numbers = names_left / pattern.combinations};
    pattern.groups.push_back(expand_bracket_group(inside, whole_list, room));
    const Alternatives& group = pattern.groups.back();
    pattern.combinations *= group.size();  // at most names_left (GroupRoom::numbers)
    std::size_t widest = 0;
    for (PaddedNumber number : group) widest = std::max(widest, printed_width(number));
    pattern.longest_name += widest;  // at most kMaxHostNameLength (GroupRoom::digits)
    position = close + 1;
  }
  return pattern;
}

// Cartesian product of the groups, the rightmost group varying fastest (Slurm's order).
void append_expansion(const EntryPattern& pattern, std::string_view whole_list, std::vector<std::string>& hosts) {
  // For an entry without brackets too: every entry adds at least one name.
  if (pattern.combinations > kMaxExpandedHosts - hosts.size()) fail_too_many_names(whole_list);
  // An odometer over the groups: digit i indexes into pattern.groups[i].
  std::vector<std::size_t> odometer(pattern.groups.size(), 0);
  for (std::size_t n = 0; n < pattern.combinations; ++n) {
    std::string name;
    // Exactly one allocation of at most kMaxHostNameLength + 1 bytes per name (appending
    // piece by piece could double it), which kMaxExpansionHeapBytes counts on.
    name.reserve(pattern.longest_name);
    name += pattern.literals[0];
    for (std::size_t i = 0; i < pattern.groups.size(); ++i) {
      append_padded(name, pattern.groups[i][odometer[i]]);
      name += pattern.literals[i + 1];
    }
    if (name.empty()) fail(whole_list, "an entry expands to an empty name");
    hosts.push_back(std::move(name));
    for (std::size_t i = odometer.size(); i-- > 0;) {
      if (++odometer[i] < pattern.groups[i].size()) break;
      odometer[i] = 0;
    }
  }
}

// Where the entry starting at `start` ends: at the next comma outside brackets, or at the
// end of the list ("a[1,2],b" holds "a[1,2]" and "b"). Entries are found one at a time,
// so that a list of a million commas takes no memory for them.
std::size_t end_of_entry(std::string_view list, std::size_t start) {
  int depth = 0;
  for (std::size_t i = start; i < list.size(); ++i) {
    if (list[i] == '[') ++depth;
    if (list[i] == ']') --depth;
    if (list[i] == ',' && depth == 0) return i;
  }
  return list.size();
}

}  // namespace

std::vector<std::string> expand_hostlist(std::string_view compressed) {
  if (compressed.empty()) fail(compressed, "is empty");
  for (char c : compressed) {
    if (c == ' ' || c == '\t' || c == '\n') fail(compressed, "contains white space");
  }
  std::vector<std::string> hosts;
  for (std::size_t start = 0;;) {
    const std::size_t end = end_of_entry(compressed, start);
    const std::string_view entry = compressed.substr(start, end - start);
    append_expansion(parse_entry(entry, compressed, kMaxExpandedHosts - hosts.size()), compressed, hosts);
    if (end == compressed.size()) break;
    start = end + 1;
  }
  return hosts;
}

}  // namespace mljob::plugin
