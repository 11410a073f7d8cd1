#include <yaml-cpp/yaml.h>

#include <iostream>

#include "bridge/cli.h"
#include "core/spec_error.h"

namespace mljob::cli {
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
    throw SpecError("--format", format, "must be yaml or json");
  }
}

}  // namespace mljob::cli
