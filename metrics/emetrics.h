// FfDL's evaluation-metrics records (trainer/trainer/grpc_trainer_v2 and the training data
// service): EMetrics {meta, grouplabel, etimes, values} and LogLine {meta, line}. Values are
// FfDL's Any: a type (STRING, JSONSTRING, INT, FLOAT) and the text of the value.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace mljob::metrics {

enum class ValueType { kString, kJsonString, kInt, kFloat };

// "STRING" etc. to the type; nullopt for anything else.
std::optional<ValueType> value_type_from_name(const std::string& name);
std::string value_type_name(ValueType type);

struct TypedValue {
  ValueType type = ValueType::kString;
  std::string text;
  // The value as JSON: a number for INT/FLOAT that read as one, the parsed document for a
  // JSONSTRING that parses, else the text.
  nlohmann::json to_json() const;
};

struct Meta {
  std::string training_id;
  std::string user_id;
  std::int64_t time_ms = 0;  // when the record was collected (milliseconds since the epoch)
  std::int64_t rindex = 0;   // the record's index in the job, as FfDL numbers them
  std::string subid;         // the replica: its global task rank ("0" is the master)
};

struct EMetrics {
  Meta meta;
  std::string grouplabel;
  std::map<std::string, TypedValue> etimes;
  std::map<std::string, TypedValue> values;
};

struct LogLineRecord {
  Meta meta;
  std::string line;
};

// A number as SageMaker and the hypertune file take it: the whole text (spaces around it
// allowed) reads as a finite decimal number.
std::optional<double> parse_number(std::string_view text);

// The step of a record, from its etimes (step, global_step, iteration, iter, trainingStep,
// epoch, batch: the first there), if it has one.
std::optional<double> record_step(const EMetrics& record);

// Milliseconds since the epoch, now.
std::int64_t now_ms();

}  // namespace mljob::metrics
