#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "base/input_error.h"
#include "base/text.h"
#include "bridge/output_format.h"

namespace mljob::bridge {
namespace {

void emit(YAML::Emitter& out, const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::object:
      out << YAML::BeginMap;
      for (const auto& [key, item] : value.items()) {
        out << YAML::Key << key << YAML::Value;
        emit(out, item);
      }
      out << YAML::EndMap;
      break;
    case nlohmann::json::value_t::array:
      out << YAML::BeginSeq;
      for (const auto& item : value) emit(out, item);
      out << YAML::EndSeq;
      break;
    case nlohmann::json::value_t::string:
      // Quote strings that YAML would otherwise read back as numbers or booleans.
      out << YAML::DoubleQuoted << value.get<std::string>();
      break;
    case nlohmann::json::value_t::null:
      out << YAML::Null;
      break;
    default:
      out << value.dump();
  }
}

}  // namespace

std::string to_yaml(const nlohmann::json& value) {
  YAML::Emitter out;
  emit(out, value);
  return out.c_str();
}

void print_formatted(const nlohmann::json& value, const std::string& format) {
  if (format == "json") {
    std::cout << value.dump(2) << "\n";
  } else if (format == "yaml" || format.empty()) {
    std::cout << to_yaml(value) << "\n";
  } else {
    throw InputError("--format", format, "must be yaml or json");
  }
}

void require_format(const std::string& format, const std::vector<std::string>& allowed) {
  std::string listed;
  for (const auto& name : allowed) {
    if (name == format) return;
    listed += (listed.empty() ? "" : ", ") + name;
  }
  throw InputError("--format", format, "must be one of " + listed);
}

namespace {

std::string cell(const nlohmann::json& job, const std::string& dotted_path) {
  const nlohmann::json* value = &job;
  for (const auto& key : split(dotted_path, '.')) {
    if (!value->is_object() || !value->contains(key)) return "";
    value = &(*value)[key];
  }
  if (value->is_string()) return value->get<std::string>();
  if (value->is_number_float()) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f", value->get<double>());
    return text;
  }
  return value->dump();
}

// Terminal columns: newlines and tabs in a cell (an error message, say) would break the rows.
std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
  }
  return text;
}

}  // namespace

void print_job_table(const std::vector<nlohmann::json>& jobs) {
  struct Column {
    const char* title;
    const char* path;
  };
  const Column columns[] = {{"JOB_ID", "jobId"},
                            {"STATUS", "state"},
                            {"CREATED", "createTime"},
                            {"ENDED", "endTime"},
                            {"ML_UNITS", "trainingOutput.consumedMLUnits"},
                            {"ERROR", "errorMessage"}};
  std::vector<std::vector<std::string>> rows;
  std::vector<std::size_t> width;
  rows.emplace_back();
  for (const auto& column : columns) rows.back().push_back(column.title);
  for (const auto& job : jobs) {
    rows.emplace_back();
    for (const auto& column : columns) rows.back().push_back(one_line(cell(job, column.path)));
  }
  width.assign(std::size(columns), 0);
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(width[c] - row[c].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::cout << line << "\n";
  }
}

}  // namespace mljob::bridge
