// The bounds on every document a user hands mljob (job specs, SageMaker requests, FfDL
// manifests, study specs, the tier catalog, the tuner's JSON lines), so that no input, however
// made, costs unbounded memory or time, or recursion deeper than the stack holds. Each is
// stated in docs/reliability.md with what happens past it: an InputError naming the document,
// and nothing done.
#pragma once

#include <cstddef>
#include <filesystem>
#include <istream>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/input_error.h"

namespace mljob {

// A spec or catalog is a few KiB; this leaves room for a generated one with thousands of
// entries, and refuses /dev/zero or a 10 GB file named by mistake before it is read whole.
inline constexpr std::size_t kMaxDocumentBytes = std::size_t{16} << 20;
// Arrays and objects (YAML sequences and maps) inside one another. Real documents nest under
// 10; code that walks a document (dump, copy, compare, the YAML conversion) recurses once per
// level, so this keeps it far from the stack's end.
inline constexpr int kMaxNestingDepth = 100;
// Values in a YAML document once its aliases are expanded: "billion laughs" (an alias of an
// alias of ... a list of aliases) is a few hundred bytes that expand exponentially.
inline constexpr std::size_t kMaxDocumentValues = 1'000'000;

// The file's bytes. Throws InputError(field, path, ...) when it cannot be read, is not a
// regular file (a FIFO or /dev/zero would block or never end), or is over `max_bytes`.
std::string read_document_file(const std::filesystem::path& file, const std::string& field,
                               std::size_t max_bytes = kMaxDocumentBytes);

// A request or manifest a command is given: the file, or standard input for "-", read only up
// to one byte past `max_bytes` (a pipe without end is refused, not read whole).
std::string read_request_document(const std::string& file_or_dash, const std::string& field, std::size_t max_bytes,
                                  std::istream& standard_input);

// The next line of `in` without its '\n', or nullopt at the end of the stream: for JSON lines
// read from a pipe. A line over kMaxDocumentBytes is an InputError(field, ...) as soon as that
// much of it is read, so memory stays bounded whatever the writer sends.
std::optional<std::string> read_bounded_line(std::istream& in, const std::string& field);

// Throws InputError(field, "N bytes", ...) when `text` is over kMaxDocumentBytes.
void check_document_size(std::string_view text, const std::string& field);

namespace detail {
struct NestingTooDeep {};  // thrown by the parser callback, caught in parse_json_within_limits

// Whether `text` holds enough '[' and '{' to nest past the limit at all: the common case,
// a short document, is then parsed without the callback's cost.
bool could_nest_too_deep(std::string_view text);

template <typename Json>
bool refuse_deep_nesting(int depth, typename Json::parse_event_t event, Json&) {
  bool opens = event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start;
  if (opens && depth >= kMaxNestingDepth) throw NestingTooDeep{};
  return true;
}
}  // namespace detail

// The rule an over-deep document breaks, for messages: "nests ... deeper than 100 levels ...".
std::string nesting_rule();

// JSON text parsed with nlohmann (Json: json or ordered_json) within kMaxNestingDepth; nullopt
// with `*why` set to the rule broken ("is not valid JSON: ..." or nesting_rule()) otherwise.
template <typename Json>
std::optional<Json> parse_json_within_limits(std::string_view text, std::string* why = nullptr) {
  try {
    if (!detail::could_nest_too_deep(text)) return Json::parse(text);
    return Json::parse(text, detail::refuse_deep_nesting<Json>);
  } catch (const detail::NestingTooDeep&) {
    if (why) *why = nesting_rule();
  } catch (const nlohmann::json::exception& error) {  // parse_error, and out_of_range for a number like 1e999
    if (why) *why = std::string("is not valid JSON: ") + error.what();
  }
  return std::nullopt;
}

// The same for a whole document, size checked too: throws InputError(field, shown_value, rule).
template <typename Json>
Json parse_json_document(std::string_view text, const std::string& field, const std::string& shown_value) {
  check_document_size(text, field);
  std::string why;
  if (auto parsed = parse_json_within_limits<Json>(text, &why)) return std::move(*parsed);
  throw InputError(field, shown_value, why);
}

}  // namespace mljob
