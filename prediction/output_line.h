// A prediction as a line of a shard's results file, in the job's outputDataFormat:
// - JSON: {"instance": INSTANCE, "prediction": PREDICTION}, and for an instance the model
//   failed on, {"instance": INSTANCE, "error": "why"};
// - TEXT: the prediction's JSON alone (a failed instance: the same error object as JSON's);
// - CSV: the prediction's values as one row (a list's items, a mapping's values in key order,
//   nested values as JSON text in one quoted cell); a failed instance has no row (it is in the
//   errors file).
#pragma once

#include <optional>
#include <string>

#include "core/prediction_input.h"

namespace mljob::prediction {

// "prediction.results-00001-of-00004": AI Platform's names of a shard's files in outputPath.
std::string shard_file_name(const std::string& stem, int shard, int shard_count);

// `instance` and `prediction` are JSON texts.
std::string prediction_line(const std::string& instance, const std::string& prediction, DataFormat format);
std::optional<std::string> error_line(const std::string& instance, const std::string& message, DataFormat format);

// One CSV cell of a JSON value: numbers and booleans as written, null empty, strings quoted when
// they hold a comma, a quote or a line break (RFC 4180), anything else as quoted JSON text.
std::string csv_cell(const std::string& json_text);

}  // namespace mljob::prediction
