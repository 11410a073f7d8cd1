#include "tasks_per_node.h"

#include "log_text.h"
#include "parse_error.h"

#include <charconv>
#include <stdexcept>
#include <string>

namespace mljob::plugin {
namespace {

[[noreturn]] void fail(std::string_view whole, const std::string& what) {
  throw_parse_error("tasks-per-node list", whole, what);
}

unsigned parse_count(std::string_view digits, unsigned maximum, std::string_view whole) {
  unsigned value = 0;
  const char* end = digits.data() + digits.size();
  auto [stop, error] = std::from_chars(digits.data(), end, value);
  if (digits.empty() || error != std::errc{} || stop != end || value > maximum) {
    fail(whole, log_quoted(digits) + " is not a count from 0 to " + std::to_string(maximum));
  }
  return value;
}

// One entry: "2" or "2(x3)".
void append_entry(std::string_view entry, std::string_view whole, std::vector<unsigned>& counts) {
  if (entry.empty()) fail(whole, "empty entry (two commas in a row, or a stray comma)");
  const std::size_t open = entry.find('(');
  const unsigned tasks = parse_count(entry.substr(0, open), kMaxTasksPerNode, whole);
  unsigned repetitions = 1;
  if (open != std::string_view::npos) {
    const std::string_view repeat = entry.substr(open);  // "(x3)"
    if (repeat.size() < 4 || repeat.substr(0, 2) != "(x" || repeat.back() != ')') {
      fail(whole, log_quoted(entry) + " is not of the form COUNT(xREPEATS)");
    }
    repetitions = parse_count(repeat.substr(2, repeat.size() - 3), static_cast<unsigned>(kMaxNodesPerList), whole);
    if (repetitions == 0) fail(whole, log_quoted(entry) + " repeats zero times");
  }
  if (repetitions > kMaxNodesPerList - counts.size()) {
    fail(whole, "describes more than " + std::to_string(kMaxNodesPerList) + " nodes");
  }
  counts.insert(counts.end(), repetitions, tasks);
}

}  // namespace

std::vector<unsigned> expand_tasks_per_node(std::string_view compressed) {
  if (compressed.empty()) fail(compressed, "is empty");
  std::vector<unsigned> counts;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = compressed.find(',', start);
    append_entry(compressed.substr(start, comma - start), compressed, counts);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return counts;
}

}  // namespace mljob::plugin
