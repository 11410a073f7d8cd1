#include "prediction/output_line.h"

#include <cstdio>

#include <nlohmann/json.hpp>

namespace mljob::prediction {
namespace {

using nlohmann::json;

std::string quoted_csv(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string cell_of(const json& value) {
  if (value.is_null()) return "";
  if (value.is_string()) return quoted_csv(value.get<std::string>());
  if (value.is_structured()) return quoted_csv(value.dump());
  return value.dump();
}

std::string csv_row(const std::string& prediction) {
  json value = json::parse(prediction);
  if (!value.is_structured()) return cell_of(value);
  std::string row;
  bool first = true;
  for (const auto& item : value) {  // a mapping's values come in key order (nlohmann::json sorts keys)
    if (!first) row += ',';
    row += cell_of(item);
    first = false;
  }
  return row;
}

}  // namespace

std::string shard_file_name(const std::string& stem, int shard, int shard_count) {
  char suffix[48];
  std::snprintf(suffix, sizeof suffix, "-%05d-of-%05d", shard, shard_count);
  return stem + suffix;
}

std::string csv_cell(const std::string& json_text) {
  return cell_of(json::parse(json_text));
}

std::string prediction_line(const std::string& instance, const std::string& prediction, DataFormat format) {
  if (format == DataFormat::kText) return prediction;
  if (format == DataFormat::kCsv) return csv_row(prediction);
  std::string line;
  line.reserve(instance.size() + prediction.size() + 30);
  line += "{\"instance\":";
  line += instance;
  line += ",\"prediction\":";
  line += prediction;
  line += '}';
  return line;
}

std::optional<std::string> error_line(const std::string& instance, const std::string& message, DataFormat format) {
  if (format == DataFormat::kCsv) return std::nullopt;
  return "{\"instance\":" + instance +
         ",\"error\":" + json(message).dump(-1, ' ', false, json::error_handler_t::replace) + "}";
}

}  // namespace mljob::prediction
