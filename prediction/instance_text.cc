#include "prediction/instance_text.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace mljob::prediction {
namespace {

using nlohmann::json;

// Any optional's "none", with why in *error.
std::nullopt_t fail(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
  return std::nullopt;
}

// nlohmann's message without its "[json.exception.parse_error.101] " tag.
std::string without_exception_tag(const std::string& what) {
  const std::size_t tag_end = what.find("] ");
  return tag_end == std::string::npos ? what : what.substr(tag_end + 2);
}

bool is_json(std::string_view text) {
  return json::accept(text.begin(), text.end());
}

// Why `text` is not JSON, from the parser (only asked after accept said no: it is slower).
std::string json_syntax_error(std::string_view text) {
  try {
    [[maybe_unused]] const json parsed = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    return "not valid JSON: " + without_exception_tag(e.what());
  }
  return "not valid JSON";
}

// JSON text of `value`, or nullopt and *error when one of its strings is not valid UTF-8.
std::optional<std::string> dump_utf8(const json& value, std::string* error) {
  try {
    return value.dump();
  } catch (const json::type_error& e) {
    return fail(error, "not valid UTF-8: " + without_exception_tag(e.what()));
  }
}

std::optional<std::string> json_line(std::string_view line, std::string* error) {
  if (is_json(line)) return std::string(line);
  return fail(error, json_syntax_error(line));
}

// ---- CSV ----

struct CsvField {
  std::string text;
  bool quoted = false;
};

// The text of the quoted field opening at `open` (a '"'), into `text`; the position after its
// closing quote, or nullopt when the line ends before it.
std::optional<std::size_t> read_quoted(std::string_view row, std::size_t open, std::string& text) {
  for (std::size_t from = open + 1;;) {
    const std::size_t quote = row.find('"', from);
    if (quote == std::string_view::npos) return std::nullopt;
    text.append(row.substr(from, quote - from));
    if (quote + 1 < row.size() && row[quote + 1] == '"') {  // "" stands for one quote
      text += '"';
      from = quote + 2;
    } else {
      return quote + 1;
    }
  }
}

std::optional<std::vector<CsvField>> csv_fields(std::string_view row, std::string* error) {
  std::vector<CsvField> fields;
  for (std::size_t at = 0;; ++at) {  // ++at: past the ',' after a field
    CsvField field;
    if (at < row.size() && row[at] == '"') {
      const std::optional<std::size_t> after = read_quoted(row, at, field.text);
      if (!after) return fail(error, "unterminated quoted field at column " + std::to_string(at + 1));
      if (*after < row.size() && row[*after] != ',') {
        return fail(error, "text after the closing quote of the field at column " + std::to_string(at + 1));
      }
      field.quoted = true;
      at = *after;
    } else {
      const std::size_t comma = std::min(row.find(',', at), row.size());
      field.text = row.substr(at, comma - at);
      at = comma;
    }
    fields.push_back(std::move(field));
    if (at >= row.size()) return fields;
  }
}

std::size_t skip_digits(std::string_view text, std::size_t& at) {
  const std::size_t from = at;
  while (at < text.size() && text[at] >= '0' && text[at] <= '9') ++at;
  return at - from;
}

// Whether `text` is wholly a decimal number as strtod reads one: a sign, digits with at most one
// point and a digit on one side of it at least, an exponent. No spaces, hex, inf or nan.
bool is_decimal_number(std::string_view text) {
  std::size_t at = 0;
  if (at < text.size() && (text[at] == '+' || text[at] == '-')) ++at;
  std::size_t digits = skip_digits(text, at);
  if (at < text.size() && text[at] == '.') digits += skip_digits(text, ++at);
  if (digits == 0) return false;
  if (at < text.size() && (text[at] == 'e' || text[at] == 'E')) {
    ++at;
    if (at < text.size() && (text[at] == '+' || text[at] == '-')) ++at;
    if (skip_digits(text, at) == 0) return false;
  }
  return at == text.size();
}

template <typename Number>
std::optional<Number> parse_whole(std::string_view text) {
  Number value{};
  const auto [end, failure] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (failure != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// The number a field is, when it is one. from_chars reads what strtod reads (but for a leading
// '+') without depending on the locale.
std::optional<json> csv_number(std::string_view text) {
  if (!is_decimal_number(text)) return std::nullopt;
  if (text.front() == '+') text.remove_prefix(1);
  if (const auto whole = parse_whole<std::int64_t>(text)) return json(*whole);
  if (const auto whole = parse_whole<std::uint64_t>(text)) return json(*whole);
  const auto real = parse_whole<double>(text);
  if (!real || !std::isfinite(*real)) return std::nullopt;  // out of a double's range: left as text
  return json(*real);
}

json csv_value(const CsvField& field) {
  if (!field.quoted) {
    if (std::optional<json> number = csv_number(field.text)) return *number;
  }
  return field.text;
}

std::optional<std::string> csv_row(std::string_view row, std::string* error) {
  const std::optional<std::vector<CsvField>> fields = csv_fields(row, error);
  if (!fields) return std::nullopt;
  json values = json::array();
  for (const CsvField& field : *fields) values.push_back(csv_value(field));
  return dump_utf8(values, error);
}

// ---- TFRecord payloads ----

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  auto byte = [&](std::size_t at) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at])); };
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t at = 0; at < bytes.size(); at += 3) {
    const std::size_t count = std::min<std::size_t>(3, bytes.size() - at);
    std::uint32_t group = byte(at) << 16;
    if (count > 1) group |= byte(at + 1) << 8;
    if (count > 2) group |= byte(at + 2);
    for (std::size_t sextet = 0; sextet < 4; ++sextet) {
      out += sextet <= count ? kAlphabet[(group >> (18 - 6 * sextet)) & 0x3f] : '=';
    }
  }
  return out;
}

std::string payload_json(std::string_view payload) {
  if (is_json(payload)) return std::string(payload);
  return json{{"b64", base64(payload)}}.dump();
}

}  // namespace

std::optional<std::string> instance_json(std::string_view record, DataFormat format, std::string* error) {
  switch (format) {
    case DataFormat::kJson:
      return json_line(record, error);
    case DataFormat::kText:
      return dump_utf8(json(std::string(record)), error);
    case DataFormat::kCsv:
      return csv_row(record, error);
    case DataFormat::kTfRecord:
    case DataFormat::kTfRecordGzip:
      return payload_json(record);
  }
  return fail(error, "unknown data format");
}

}  // namespace mljob::prediction
