#include "base/yaml_json.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include "base/document_limits.h"
#include "base/input_error.h"
#include "base/text.h"

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

// The conversion of one document, within kMaxNestingDepth and kMaxDocumentValues (an alias is
// expanded where it is used, so the count is of the values the JSON will hold).
// Json: nlohmann::json (keys sorted) or nlohmann::ordered_json (keys in the document's order).
template <typename Json>
class Converter {
 public:
  Converter(const std::set<std::string>& string_items, const std::string& source_name)
      : string_items_(string_items), source_name_(source_name) {}

  // `path`: where the node is (dotted); `as_written`: its scalars stay text (see kStringItems).
  Json convert(const YAML::Node& node, const std::string& path = "", bool as_written = false, int depth = 0) {
    if (++values_ > kMaxDocumentValues) {
      throw InputError(source_name_, "(file)",
                       "holds over " + std::to_string(kMaxDocumentValues) +
                           " values once its aliases are expanded, the limit for a document");
    }
    bool items_as_written = string_items_.contains(path);
    switch (node.Type()) {
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        return nullptr;
      case YAML::NodeType::Scalar:
        check_text(node.Scalar(), path);
        return as_written ? scalar_as_written(node) : scalar_to_json(node);
      case YAML::NodeType::Sequence: {
        check_depth(depth);
        Json out = Json::array();
        for (const auto& item : node) out.push_back(convert(item, path + "[]", items_as_written, depth + 1));
        return out;
      }
      case YAML::NodeType::Map: {
        check_depth(depth);
        Json out = Json::object();
        for (const auto& item : node) {
          std::string key = item.first.as<std::string>();
          check_text(key, path.empty() ? "(a key)" : path + ".(a key)");
          out[key] = convert(item.second, path.empty() ? key : path + "." + key, items_as_written, depth + 1);
        }
        return out;
      }
    }
    return nullptr;
  }

 private:
  // YAML's text is Unicode, and JSON cannot hold anything else: bytes that are not UTF-8 (a
  // file in Latin-1, say) are refused here, where the field can still be named.
  void check_text(const std::string& text, const std::string& path) const {
    if (!is_valid_utf8(text)) {
      throw InputError(path.empty() ? source_name_ : source_name_ + ": " + path, "(not shown)",
                       "is not valid UTF-8 text (save the file as UTF-8)");
    }
  }

  void check_depth(int depth) const {
    if (depth >= kMaxNestingDepth) throw InputError(source_name_, "(file)", nesting_rule());
  }

  const std::set<std::string>& string_items_;
  const std::string& source_name_;
  std::size_t values_ = 0;
};

template <typename Json>
Json yaml_to(const std::string& text, const std::string& source_name, const std::set<std::string>& string_items) {
  check_document_size(text, source_name);
  try {
    return Converter<Json>(string_items, source_name).convert(YAML::Load(text));
  } catch (const YAML::DeepRecursion&) {
    throw InputError(source_name, "(file)", nesting_rule());
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
