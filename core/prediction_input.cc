#include "core/prediction_input.h"

#include <algorithm>
#include <array>
#include <utility>

#include "base/did_you_mean.h"
#include "base/input_error.h"

namespace mljob {
namespace {

using nlohmann::json;

const std::string kWhere = "predictionInput";

constexpr std::array<std::pair<DataFormat, const char*>, 5> kFormatNames = {
    {{DataFormat::kJson, "JSON"},
     {DataFormat::kText, "TEXT"},
     {DataFormat::kCsv, "CSV"},
     {DataFormat::kTfRecord, "TF_RECORD"},
     {DataFormat::kTfRecordGzip, "TF_RECORD_GZIP"}}};

// PredictionInput's fields in API v1: anything else is a typo, refused with a suggestion.
const std::vector<std::string> kKnownFields = {"dataFormat",     "outputDataFormat", "inputPaths",     "outputPath",
                                               "maxWorkerCount", "region",           "runtimeVersion", "batchSize",
                                               "signatureName",  "modelName",        "versionName",    "uri"};

// Bounds of mljob's own, so that a typo cannot ask for a million array elements or a batch
// that does not fit in a worker's memory; both far above what the API's users set.
constexpr std::int64_t kMaxWorkerCount = 10000;
constexpr std::int64_t kMaxBatchSize = 100000;

std::string field(const std::string& key) {
  return kWhere + "." + key;
}

std::string shown(const json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

std::string read_string(const json& object, const std::string& key) {
  if (!object.contains(key) || object[key].is_null()) return {};
  if (!object[key].is_string()) throw InputError(field(key), shown(object[key]), "must be a string");
  return object[key].get<std::string>();
}

// int64 fields arrive as numbers from YAML and as decimal strings from API JSON.
std::optional<std::int64_t> read_int64(const json& object, const std::string& key) {
  if (!object.contains(key) || object[key].is_null()) return std::nullopt;
  const json& value = object[key];
  if (value.is_number_integer()) return value.get<std::int64_t>();
  if (value.is_string()) {
    const std::string text = value.get<std::string>();
    try {
      std::size_t used = 0;
      std::int64_t parsed = std::stoll(text, &used, 10);
      if (used == text.size()) return parsed;
    } catch (const std::exception&) {
    }
  }
  throw InputError(field(key), shown(value), "must be an integer");
}

std::int64_t read_bounded(const json& object, const std::string& key, std::int64_t fallback, std::int64_t most) {
  std::int64_t value = read_int64(object, key).value_or(fallback);
  if (value <= 0) throw InputError(field(key), std::to_string(value), "must be a positive integer");
  if (value > most) throw InputError(field(key), std::to_string(value), "must be at most " + std::to_string(most));
  return value;
}

std::string format_list() {
  std::string out;
  for (const auto& [format, name] : kFormatNames) out += (out.empty() ? "" : ", ") + std::string(name);
  return out;
}

DataFormat read_format(const json& object, const std::string& key, std::optional<DataFormat> fallback) {
  std::string name = read_string(object, key);
  if (name.empty() || name == "DATA_FORMAT_UNSPECIFIED") {
    if (fallback) return *fallback;
    throw InputError(field(key), name, "is required: one of " + format_list());
  }
  auto format = data_format_from_name(name);
  if (!format) throw InputError(field(key), name, "must be one of " + format_list());
  return *format;
}

std::vector<std::string> read_input_paths(const json& object) {
  const std::string key = "inputPaths";
  if (!object.contains(key) || object[key].is_null() || (object[key].is_array() && object[key].empty()))
    throw InputError(field(key), "", "is required: the files to run prediction on (a '*' matches any part of a name)");
  if (!object[key].is_array()) throw InputError(field(key), shown(object[key]), "must be a list of strings");
  std::vector<std::string> paths;
  for (std::size_t i = 0; i < object[key].size(); ++i) {
    const json& item = object[key][i];
    std::string at = field(key) + "[" + std::to_string(i) + "]";
    if (!item.is_string() || item.get<std::string>().empty())
      throw InputError(at, shown(item), "must be a non-empty string");
    std::string path = item.get<std::string>();
    std::size_t star = path.find('*');
    if (star != std::string::npos && path.find('/', star) != std::string::npos)
      throw InputError(at, path, "a wildcard may only be in the last part of a path (a file name), as gcloud's are");
    paths.push_back(std::move(path));
  }
  return paths;
}

// The model_version union, as the API defines it: exactly one of modelName, versionName, uri.
void read_model_version(const json& object, PredictionInput& input) {
  input.model_name = read_string(object, "modelName");
  input.version_name = read_string(object, "versionName");
  input.uri = read_string(object, "uri");
  std::vector<std::string> set;
  for (const char* key : {"modelName", "versionName", "uri"})
    if (!read_string(object, key).empty()) set.push_back(key);
  if (set.empty())
    throw InputError(field("modelName"), "",
                     "the model is required: set one of modelName, versionName (a model in the site's model "
                     "registry) or uri (a model folder)");
  if (set.size() > 1)
    throw InputError(field(set[1]), read_string(object, set[1]),
                     "modelName, versionName and uri are a union (model_version): " + set[0] + " is set too");
}

}  // namespace

std::string data_format_name(DataFormat format) {
  for (const auto& [value, name] : kFormatNames)
    if (value == format) return name;
  return "DATA_FORMAT_UNSPECIFIED";
}

std::optional<DataFormat> data_format_from_name(const std::string& name) {
  for (const auto& [value, known] : kFormatNames)
    if (name == known) return value;
  return std::nullopt;
}

bool splittable(DataFormat format) {
  return format != DataFormat::kTfRecordGzip;
}

PredictionInput parse_prediction_input(const json& object) {
  if (!object.is_object()) throw InputError(kWhere, shown(object), "must be a mapping");
  for (const auto& [key, value] : object.items()) {
    if (std::find(kKnownFields.begin(), kKnownFields.end(), key) != kKnownFields.end()) continue;
    std::string rule = "unknown field";
    if (auto guess = did_you_mean(key, kKnownFields); !guess.empty()) rule += " (did you mean '" + guess + "'?)";
    throw InputError(field(key), shown(value), rule);
  }
  PredictionInput input;
  read_model_version(object, input);
  input.data_format = read_format(object, "dataFormat", std::nullopt);
  input.output_data_format = read_format(object, "outputDataFormat", DataFormat::kJson);
  if (input.output_data_format == DataFormat::kTfRecord || input.output_data_format == DataFormat::kTfRecordGzip)
    throw InputError(field("outputDataFormat"), data_format_name(input.output_data_format),
                     "is an input format only (the API: currently available only for input data); use JSON, TEXT "
                     "or CSV");
  input.input_paths = read_input_paths(object);
  input.output_path = read_string(object, "outputPath");
  if (input.output_path.empty())
    throw InputError(field("outputPath"), "", "is required: the folder the results are written to");
  input.max_worker_count = read_bounded(object, "maxWorkerCount", 10, kMaxWorkerCount);
  input.batch_size = read_bounded(object, "batchSize", 64, kMaxBatchSize);
  input.runtime_version = read_string(object, "runtimeVersion");
  input.signature_name = read_string(object, "signatureName");
  input.region = read_string(object, "region");
  return input;
}

json to_json(const PredictionInput& input) {
  json out = json::object();
  if (!input.model_name.empty()) out["modelName"] = input.model_name;
  if (!input.version_name.empty()) out["versionName"] = input.version_name;
  if (!input.uri.empty()) out["uri"] = input.uri;
  out["dataFormat"] = data_format_name(input.data_format);
  out["outputDataFormat"] = data_format_name(input.output_data_format);
  out["inputPaths"] = input.input_paths;
  out["outputPath"] = input.output_path;
  // int64 fields are decimal strings in API JSON.
  out["maxWorkerCount"] = std::to_string(input.max_worker_count);
  out["batchSize"] = std::to_string(input.batch_size);
  if (!input.runtime_version.empty()) out["runtimeVersion"] = input.runtime_version;
  if (!input.signature_name.empty()) out["signatureName"] = input.signature_name;
  if (!input.region.empty()) out["region"] = input.region;
  return out;
}

}  // namespace mljob
