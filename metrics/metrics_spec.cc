#include "metrics/metrics_spec.h"

#include <algorithm>
#include <cctype>

#include "base/did_you_mean.h"
#include "base/input_error.h"
#include "metrics/ffdl_patterns.h"
#include "metrics/python_regex.h"

namespace mljob::metrics {
namespace {

using json = nlohmann::ordered_json;  // groups in the order they were written

std::string text_of(const json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// FfDL's own tools spell keys snake_case (manifests) or PascalCase (the CLI's Go structs), and
// FfDL itself reads `line_lookahead` or `linelookahead`: compare keys without case or '_'.
std::string key_form(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c != '_') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// The members of `object` by key form; unknown keys refused with a suggestion.
std::map<std::string, std::pair<std::string, json>> members(const json& object, const std::string& where,
                                                            const std::vector<std::string>& known) {
  if (!object.is_object()) throw InputError(where, text_of(object), "must be a mapping");
  std::map<std::string, std::pair<std::string, json>> out;
  for (const auto& [key, value] : object.items()) {
    std::string form = key_form(key);
    auto match = std::find_if(known.begin(), known.end(), [&](const std::string& k) { return key_form(k) == form; });
    if (match == known.end()) {
      std::string rule = "unknown field";
      if (auto guess = did_you_mean(key, known); !guess.empty()) rule += " (did you mean '" + guess + "'?)";
      throw InputError(where + "." + key, text_of(value), rule);
    }
    out[key_form(*match)] = {where + "." + key, value};
  }
  return out;
}

std::string string_member(const std::map<std::string, std::pair<std::string, json>>& m, const std::string& key) {
  auto found = m.find(key_form(key));
  if (found == m.end() || found->second.second.is_null()) return {};
  const auto& [field, value] = found->second;
  if (!value.is_string()) throw InputError(field, text_of(value), "must be a string");
  return value.get<std::string>();
}

std::string canonical_type(const std::string& type, const std::string& field) {
  if (type == "logger" || type == "regex_extractor" || type == "tensorboard" || type == "emetrics_file") return type;
  if (type == "optivist" || type == "file") return "emetrics_file";
  throw InputError(field, type,
                   "must be one of logger, regex_extractor, tensorboard, emetrics_file (or optivist, file)");
}

std::vector<ValueBinding> read_bindings(const json& value, const std::string& where, const FfdlGroup& group) {
  std::vector<ValueBinding> out;
  if (value.is_null()) return out;
  if (!value.is_object()) throw InputError(where, text_of(value), "must be a mapping of name to {type, value}");
  for (const auto& [key, item] : value.items()) {
    std::string at = where + "." + key;
    auto m = members(item, at, {"type", "value"});
    ValueBinding binding;
    binding.key = key;
    std::string type = string_member(m, "type");
    if (type.empty()) type = "STRING";
    auto parsed = value_type_from_name(type);
    if (!parsed) throw InputError(at + ".type", type, "must be STRING, JSONSTRING, INT or FLOAT");
    binding.type = *parsed;
    auto found = m.find("value");
    if (found == m.end()) throw InputError(at + ".value", "", "is required ($capture or a literal)");
    binding.value = text_of(found->second.second);
    if (binding.value.starts_with("$")) {
      std::string capture = binding.value.substr(1);
      if (group.compiled && !group.compiled->NamedCapturingGroups().contains(capture)) {
        throw InputError(at + ".value", binding.value, "names no capture of the group's regex");
      }
    }
    out.push_back(std::move(binding));
  }
  return out;
}

FfdlGroup read_group(const std::string& name, const json& value, const std::string& at) {
  auto m = members(value, at, {"regex", "meta", "scalars", "values", "etimes"});
  FfdlGroup group;
  group.name = name;
  group.regex = string_member(m, "regex");
  if (group.regex.empty()) throw InputError(at + ".regex", "", "is required");
  try {
    group.expanded_regex = expand_ffdl_macros(group.regex);
    group.compiled = compile_python_regex(group.expanded_regex, {.dotall = true, .multiline = true});
  } catch (const RegexError& e) {
    throw InputError(at + ".regex", group.regex, "cannot be run: '" + e.part() + "': " + e.reason());
  }
  if (auto meta = m.find("meta"); meta != m.end() && !meta->second.second.is_null()) {
    auto mm = members(meta->second.second, meta->second.first, {"time", "subid"});
    group.meta_time = string_member(mm, "time");
    group.meta_subid = string_member(mm, "subid");
  }
  if (m.contains("scalars") && m.contains("values")) {
    throw InputError(at + ".values", "", "give scalars or values (the same thing), not both");
  }
  for (const char* key : {"scalars", "values"}) {
    if (auto found = m.find(key); found != m.end())
      group.values = read_bindings(found->second.second, found->second.first, group);
  }
  if (auto found = m.find("etimes"); found != m.end())
    group.etimes = read_bindings(found->second.second, found->second.first, group);
  return group;
}

}  // namespace

bool MetricsSpec::uses_default_extractor() const {
  bool ffdl_reads_logs = ffdl && ffdl->type == "regex_extractor";
  return !ffdl_reads_logs && metric_definitions.empty();
}

FfdlSpec parse_ffdl_spec(const json& value, const std::string& where, std::vector<std::string>* warnings) {
  auto m = members(value, where, {"type", "in", "line_lookahead", "eventTypes", "event_types", "groups", "image_tag"});
  FfdlSpec spec;
  std::string type = string_member(m, "type");
  if (type.empty()) throw InputError(where + ".type", "", "is required");
  spec.type = canonical_type(type, m.at("type").first);
  spec.in = string_member(m, "in");
  if (auto found = m.find("linelookahead"); found != m.end() && !found->second.second.is_null()) {
    const auto& [field, v] = found->second;
    std::optional<double> number = v.is_number() ? std::optional(v.get<double>()) : parse_number(text_of(v));
    if (!number || *number != static_cast<int>(*number) || *number < 1 || *number > 1000) {
      throw InputError(field, text_of(v), "must be a whole number of lines from 1 to 1000");
    }
    spec.line_lookahead = static_cast<int>(*number);
  }
  for (const char* key : {"eventtypes"}) {
    auto found = m.find(key);
    if (found == m.end() || found->second.second.is_null()) continue;
    const auto& [field, v] = found->second;
    if (!v.is_array()) throw InputError(field, text_of(v), "must be a list");
    for (const auto& item : v) spec.event_types.push_back(text_of(item));
    for (const auto& event_type : spec.event_types) {
      if (event_type != "scalars" && warnings) {
        warnings->push_back(field + ": '" + event_type + "' events are not extracted (only scalars are, as in FfDL)");
      }
    }
  }
  if (auto found = m.find("groups"); found != m.end() && !found->second.second.is_null()) {
    const auto& [field, groups] = found->second;
    if (!groups.is_object())
      throw InputError(field, text_of(groups), "must be a mapping of group name to {regex, ...}");
    for (const auto& [name, group] : groups.items()) spec.groups.push_back(read_group(name, group, field + "." + name));
  }
  if (spec.type == "regex_extractor" && spec.groups.empty()) {
    throw InputError(where + ".groups", "", "a regex_extractor needs at least one group");
  }
  return spec;
}

std::vector<MetricDefinition> parse_metric_definitions(const json& value, const std::string& where,
                                                       std::vector<std::string>* warnings) {
  if (!value.is_array()) throw InputError(where, text_of(value), "must be a list of {Name, Regex}");
  if (value.size() > kMaxMetricDefinitions) {
    throw InputError(where, std::to_string(value.size()) + " definitions",
                     "at most 40 are allowed (SageMaker's limit)");
  }
  std::vector<MetricDefinition> out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    std::string at = where + "[" + std::to_string(i) + "]";
    if (!value[i].is_object()) throw InputError(at, text_of(value[i]), "must be a mapping {Name, Regex}");
    for (const auto& [key, item] : value[i].items()) {
      if (key != "Name" && key != "Regex") {
        std::string guess = did_you_mean(key, {"Name", "Regex"});
        throw InputError(at + "." + key, text_of(item),
                         "unknown field" + (guess.empty() ? "" : " (did you mean '" + guess + "'?)"));
      }
    }
    MetricDefinition definition;
    for (auto [key, target, limit] :
         {std::tuple{"Name", &definition.name, 255}, std::tuple{"Regex", &definition.regex, 500}}) {
      if (!value[i].contains(key) || !value[i][key].is_string()) {
        throw InputError(at + "." + key, value[i].contains(key) ? text_of(value[i][key]) : "",
                         "is required and must be a string");
      }
      *target = value[i][key].get<std::string>();
      if (target->empty() || target->size() > static_cast<std::size_t>(limit)) {
        throw InputError(at + "." + key, *target,
                         "must be 1 to " + std::to_string(limit) + " characters (SageMaker's limit)");
      }
    }
    try {
      definition.compiled = compile_python_regex(definition.regex);
    } catch (const RegexError& e) {
      throw InputError(at + ".Regex", definition.regex, "cannot be run: '" + e.part() + "': " + e.reason());
    }
    if (definition.compiled->NumberOfCapturingGroups() == 0 && warnings) {
      warnings->push_back(at + ".Regex: '" + definition.regex +
                          "' has no capture group, so it yields no values (the value is the first group)");
    }
    out.push_back(std::move(definition));
  }
  return out;
}

MetricsSpec parse_metrics_spec(const json& stored) {
  MetricsSpec spec;
  if (stored.is_null()) return spec;
  if (stored.contains("evaluation_metrics") && !stored["evaluation_metrics"].is_null()) {
    spec.ffdl = parse_ffdl_spec(stored["evaluation_metrics"], "evaluation_metrics", &spec.warnings);
  }
  if (stored.contains("MetricDefinitions") && !stored["MetricDefinitions"].is_null()) {
    spec.metric_definitions =
        parse_metric_definitions(stored["MetricDefinitions"], "MetricDefinitions", &spec.warnings);
  }
  if (stored.contains("hyperparameterMetricTag") && stored["hyperparameterMetricTag"].is_string()) {
    spec.hyperparameter_metric_tag = stored["hyperparameterMetricTag"].get<std::string>();
  }
  return spec;
}

}  // namespace mljob::metrics
