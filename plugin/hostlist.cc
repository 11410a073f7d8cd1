#include "hostlist.h"
#include "parse_error.h"

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <utility>

namespace mljob::plugin {
namespace {

// Largest number accepted inside brackets; node numbers are never near it, and the bound
// keeps the arithmetic below far from overflow.
constexpr unsigned long kMaxHostNumber = 999'999'999;

[[noreturn]] void fail(std::string_view whole_list, const std::string& what) {
  throw_parse_error("host list", whole_list, what);
}

// One bracket group "[1-3,07]" expanded into its zero-padded numbers, in order.
using Alternatives = std::vector<std::string>;

// An entry such as "rack[1-2]-node[01-03]" split into literal text and bracket groups:
// literal[0] group[0] literal[1] group[1] ... literal[n].
struct EntryPattern {
  std::vector<std::string> literals;
  std::vector<Alternatives> groups;
};

unsigned long parse_number(std::string_view digits, std::string_view whole_list) {
  if (digits.empty()) fail(whole_list, "empty number in a bracket range");
  for (char c : digits) {
    if (c < '0' || c > '9') {
      fail(whole_list, "\"" + std::string(digits) + "\" is not a number in a bracket range");
    }
  }
  unsigned long value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc{} || end != digits.data() + digits.size() || value > kMaxHostNumber) {
    fail(whole_list, "number \"" + std::string(digits) + "\" is too large");
  }
  return value;
}

std::string zero_padded(unsigned long value, std::size_t width) {
  std::string digits = std::to_string(value);
  if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
  return digits;
}

// "lo-hi" or "n", appended to `out`; the width of "lo" sets the padding, as in Slurm.
void expand_range(std::string_view range, std::string_view whole_list, Alternatives& out) {
  const std::size_t dash = range.find('-');
  const std::string_view low_text = range.substr(0, dash);
  const unsigned long low = parse_number(low_text, whole_list);
  const unsigned long high =
      dash == std::string_view::npos ? low : parse_number(range.substr(dash + 1), whole_list);
  if (high < low) {
    fail(whole_list, "range \"" + std::string(range) + "\" runs backwards");
  }
  if (high - low + 1 > kMaxExpandedHosts - out.size()) {
    fail(whole_list, "range \"" + std::string(range) + "\" expands to more than " +
                         std::to_string(kMaxExpandedHosts) + " names");
  }
  for (unsigned long number = low; number <= high; ++number) {
    out.push_back(zero_padded(number, low_text.size()));
  }
}

// The inside of one bracket pair, e.g. "1-3,07".
Alternatives expand_bracket_group(std::string_view inside, std::string_view whole_list) {
  if (inside.empty()) fail(whole_list, "empty brackets \"[]\"");
  Alternatives numbers;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = inside.find(',', start);
    expand_range(inside.substr(start, comma - start), whole_list, numbers);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return numbers;
}

// Bounds are checked group by group, before the next group is expanded: the names an entry
// expands to (kMaxExpandedHosts) and their length (kMaxHostNameLength). So a long value with
// many bracket groups fails early instead of expanding every group first.
EntryPattern parse_entry(std::string_view entry, std::string_view whole_list) {
  if (entry.empty()) fail(whole_list, "empty entry (two commas in a row, or a stray comma)");
  EntryPattern pattern;
  std::size_t longest_name = 0;  // literals plus the widest number of each group
  std::size_t combinations = 1;
  auto check_name_length = [&] {
    if (longest_name > kMaxHostNameLength) {
      fail(whole_list, "a name would be longer than " + std::to_string(kMaxHostNameLength) +
                           " characters");
    }
  };
  std::size_t position = 0;
  while (true) {
    const std::size_t open = entry.find('[', position);
    const std::size_t stray_close = entry.find(']', position);
    if (stray_close < open) fail(whole_list, "\"]\" without a matching \"[\"");
    pattern.literals.emplace_back(entry.substr(position, open - position));
    longest_name += pattern.literals.back().size();
    check_name_length();
    if (open == std::string_view::npos) break;
    const std::size_t close = entry.find(']', open + 1);
    if (close == std::string_view::npos) fail(whole_list, "\"[\" without a matching \"]\"");
    const std::string_view inside = entry.substr(open + 1, close - open - 1);
    if (inside.find('[') != std::string_view::npos) fail(whole_list, "nested brackets");
    pattern.groups.push_back(expand_bracket_group(inside, whole_list));
    const Alternatives& group = pattern.groups.back();
    if (combinations > kMaxExpandedHosts / group.size()) {
      fail(whole_list, "expands to more than " + std::to_string(kMaxExpandedHosts) + " names");
    }
    combinations *= group.size();
    std::size_t widest = 0;
    for (const std::string& number : group) widest = std::max(widest, number.size());
    longest_name += widest;
    check_name_length();
    position = close + 1;
  }
  return pattern;
}

// Cartesian product of the groups, the rightmost group varying fastest (Slurm's order).
void append_expansion(const EntryPattern& pattern, std::string_view whole_list,
                      std::vector<std::string>& hosts) {
  // At most kMaxExpandedHosts (checked by parse_entry), so the product does not overflow.
  std::size_t combinations = 1;
  for (const Alternatives& group : pattern.groups) combinations *= group.size();
  // Also for an entry without brackets: every entry adds at least one name.
  if (combinations > kMaxExpandedHosts - hosts.size()) {
    fail(whole_list, "expands to more than " + std::to_string(kMaxExpandedHosts) + " names");
  }
  // An odometer over the groups: digit i indexes into pattern.groups[i].
  std::vector<std::size_t> odometer(pattern.groups.size(), 0);
  for (std::size_t n = 0; n < combinations; ++n) {
    std::string name = pattern.literals[0];
    for (std::size_t i = 0; i < pattern.groups.size(); ++i) {
      name += pattern.groups[i][odometer[i]];
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

// Splits at commas that are outside brackets ("a[1,2],b" -> "a[1,2]", "b").
std::vector<std::string_view> split_top_level(std::string_view list) {
  std::vector<std::string_view> entries;
  std::size_t start = 0;
  int depth = 0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (list[i] == '[') ++depth;
    if (list[i] == ']') --depth;
    if (list[i] == ',' && depth == 0) {
      entries.push_back(list.substr(start, i - start));
      start = i + 1;
    }
  }
  entries.push_back(list.substr(start));
  return entries;
}

}  // namespace

std::vector<std::string> expand_hostlist(std::string_view compressed) {
  if (compressed.empty()) fail(compressed, "is empty");
  for (char c : compressed) {
    if (c == ' ' || c == '\t' || c == '\n') fail(compressed, "contains white space");
  }
  std::vector<std::string> hosts;
  for (std::string_view entry : split_top_level(compressed)) {
    append_expansion(parse_entry(entry, compressed), compressed, hosts);
  }
  return hosts;
}

}  // namespace mljob::plugin
