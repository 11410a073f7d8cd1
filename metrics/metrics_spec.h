// How a job declares its metrics, in each platform's own terms, parsed and checked at submit:
// - FfDL's EMExtractionSpec (`evaluation_metrics:`): logger | regex_extractor | tensorboard |
//   emetrics_file (synonyms optivist, file), `in`, `line_lookahead`, `eventTypes`, `groups`;
// - SageMaker's AlgorithmSpecification.MetricDefinitions: up to 40 {Name, Regex};
// - AI Platform's hyperparameters.hyperparameterMetricTag (TensorBoard events and the
//   cloudml-hypertune metric file).
// With none of them, the zero-configuration default reads `name=value` / `name: value` lines.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <re2/re2.h>
#include <nlohmann/json.hpp>

#include "metrics/emetrics.h"

namespace mljob::metrics {

// One entry of a group's scalars/values/etimes: a capture reference (`$name`) or a literal.
struct ValueBinding {
  std::string key;
  ValueType type = ValueType::kString;
  std::string value;  // "$capture" or the literal text
};

struct FfdlGroup {
  std::string name;
  std::string regex;              // as written
  std::string expanded_regex;     // macros expanded (Python dialect)
  std::shared_ptr<RE2> compiled;  // DOTALL | MULTILINE, matched anchored
  std::string meta_time;          // meta.time ("$capture" or literal), kept for describe
  std::string meta_subid;         // meta.subid, if set
  std::vector<ValueBinding> values;
  std::vector<ValueBinding> etimes;
};

struct FfdlSpec {
  std::string type;  // canonical: logger, regex_extractor, tensorboard, emetrics_file
  std::string in;
  int line_lookahead = 4;  // FfDL's default
  std::vector<std::string> event_types;
  std::vector<FfdlGroup> groups;
};

struct MetricDefinition {
  std::string name;
  std::string regex;  // as written (Python dialect)
  std::shared_ptr<RE2> compiled;
};

inline constexpr std::size_t kMaxMetricDefinitions = 40;

struct MetricsSpec {
  std::optional<FfdlSpec> ffdl;
  std::vector<MetricDefinition> metric_definitions;  // SageMaker
  std::string hyperparameter_metric_tag;             // AI Platform
  std::vector<std::string> warnings;                 // accepted, but worth saying

  // No log-based extractor was declared: the `name=value` default applies.
  bool uses_default_extractor() const;
};

// Declarations are read in their written order (ordered_json): FfDL's groups are tried in it.
// Parse and check, throwing InputError (field path, value, rule) for anything wrong, a regex
// that cannot run quoted with its offending part. `where` is the field path of the value.
FfdlSpec parse_ffdl_spec(const nlohmann::ordered_json& value, const std::string& where,
                         std::vector<std::string>* warnings);
std::vector<MetricDefinition> parse_metric_definitions(const nlohmann::ordered_json& value, const std::string& where,
                                                       std::vector<std::string>* warnings);

// Where the bridge stores a job's declarations, in its folder.
inline constexpr const char* kDeclarationsFile = "metrics.json";

// The declarations as stored with the job (and read back by the collector): a JSON object
// with optional keys evaluation_metrics, MetricDefinitions, hyperparameterMetricTag.
MetricsSpec parse_metrics_spec(const nlohmann::ordered_json& stored);

}  // namespace mljob::metrics
