#include "base/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include "base/input_error.h"

namespace mljob {
namespace {

using nlohmann::json;

json scalar_to_json(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return text;  // quoted: always a string
  if (text == "~" || text == "null" || text == "Null" || text == "NULL") return nullptr;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (!text.empty()) {
    std::size_t used = 0;
    try {
      long long whole = std::stoll(text, &used, 10);
      if (used == text.size()) return whole;
      double real = std::stod(text, &used);
      if (used == text.size()) return real;
    } catch (const std::exception&) {
      // not a number: a string
    }
  }
  return text;
}

// A scalar exactly as the document writes it (null stays null, to be refused as not a string).
json scalar_as_written(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() != "!" && (text == "~" || text == "null" || text == "Null" || text == "NULL")) return nullptr;
  return text;
}

// Json: nlohmann::json (keys sorted) or nlohmann::ordered_json (keys in the document's order).
// `path`: where the node is (dotted); `as_written`: its scalars stay text (see kStringItems).
template <typename Json>
Json node_to_json(const YAML::Node& node, const std::set<std::string>& string_items, const std::string& path = "",
                  bool as_written = false) {
  bool items_as_written = string_items.contains(path);
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      return as_written ? scalar_as_written(node) : scalar_to_json(node);
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (const auto& item : node)
        out.push_back(node_to_json<Json>(item, string_items, path + "[]", items_as_written));
      return out;
    }
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& item : node) {
        std::string key = item.first.as<std::string>();
        out[key] =
            node_to_json<Json>(item.second, string_items, path.empty() ? key : path + "." + key, items_as_written);
      }
      return out;
    }
  }
  return nullptr;
}

template <typename Json>
Json yaml_to(const std::string& text, const std::string& source_name, const std::set<std::string>& string_items) {
  try {
    return node_to_json<Json>(YAML::Load(text), string_items);
  } catch (const YAML::Exception& e) {
    throw InputError(source_name, "(file)", std::string("is not valid YAML or JSON: ") + e.what());
  }
}

}  // namespace

json yaml_text_to_json(const std::string& text, const std::string& source_name,
                       const std::set<std::string>& string_items) {
  return yaml_to<json>(text, source_name, string_items);
}

nlohmann::ordered_json yaml_text_to_ordered_json(const std::string& text, const std::string& source_name) {
  return yaml_to<nlohmann::ordered_json>(text, source_name, {});
}

}  // namespace mljob
