#include "metrics/emetrics.h"

#include <charconv>
#include <chrono>
#include <cmath>

#include "base/document_limits.h"

namespace mljob::metrics {

std::optional<ValueType> value_type_from_name(const std::string& name) {
  if (name == "STRING") return ValueType::kString;
  if (name == "JSONSTRING") return ValueType::kJsonString;
  if (name == "INT") return ValueType::kInt;
  if (name == "FLOAT") return ValueType::kFloat;
  return std::nullopt;
}

std::string value_type_name(ValueType type) {
  switch (type) {
    case ValueType::kString:
      return "STRING";
    case ValueType::kJsonString:
      return "JSONSTRING";
    case ValueType::kInt:
      return "INT";
    case ValueType::kFloat:
      return "FLOAT";
  }
  return "STRING";
}

std::optional<double> parse_number(std::string_view text) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

nlohmann::json TypedValue::to_json() const {
  switch (type) {
    case ValueType::kInt: {
      long long whole = 0;
      auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), whole);
      if (error == std::errc() && end == text.data() + text.size()) return whole;
      if (auto number = parse_number(text)) return *number;
      return text;
    }
    case ValueType::kFloat:
      if (auto number = parse_number(text)) return *number;
      return text;
    case ValueType::kJsonString: {
      auto parsed = parse_json_within_limits<nlohmann::json>(text);
      return parsed ? std::move(*parsed) : nlohmann::json(text);
    }
    case ValueType::kString:
      break;
  }
  return text;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {
constexpr const char* kStepNames[] = {"step", "global_step", "iteration", "iter", "trainingStep", "epoch", "batch"};
}  // namespace

std::optional<double> record_step(const EMetrics& record) {
  for (const char* name : kStepNames) {
    auto found = record.etimes.find(name);
    if (found == record.etimes.end()) continue;
    if (auto value = parse_number(found->second.text)) return value;
  }
  return std::nullopt;
}

}  // namespace mljob::metrics
