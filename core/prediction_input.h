// AI Platform's PredictionInput (projects.jobs, batch prediction): the fields mljob reads and
// the API's rules on them. Pure: parsing and checking only; what a job's files, model and
// shards are is decided above (jobs/prediction_submission.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mljob {

// The API's DataFormat. TF_RECORD and TF_RECORD_GZIP are input formats only; CSV is an
// output format in the API, and mljob also reads it (one instance a row).
enum class DataFormat { kJson, kText, kCsv, kTfRecord, kTfRecordGzip };

// "JSON", "TEXT", ... as the API spells them.
std::string data_format_name(DataFormat format);
// nullopt for a name that is none of them.
std::optional<DataFormat> data_format_from_name(const std::string& name);
// Whether records of this format may be cut inside a file (a shard starting mid-file): line
// formats and TF_RECORD; a gzip stream is read from its start.
bool splittable(DataFormat format);

struct PredictionInput {
  // The model_version union: exactly one of model_name (with an optional version_name), or uri.
  std::string model_name;    // "projects/P/models/M" or "M"
  std::string version_name;  // "projects/P/models/M/versions/V" or "V"; empty: the model's default
  std::string uri;           // a model folder (or an object-store URI the catalog maps)
  DataFormat data_format = DataFormat::kJson;
  DataFormat output_data_format = DataFormat::kJson;
  std::vector<std::string> input_paths;  // files; a '*' is a wildcard
  std::string output_path;
  std::int64_t max_worker_count = 10;
  std::int64_t batch_size = 64;
  std::string runtime_version;
  std::string signature_name;
  std::string region;
  nlohmann::json extra = nlohmann::json::object();  // other known fields, verbatim
};

// The predictionInput object of a Job, checked: every rule an InputError naming the field
// (predictionInput.FIELD), its value and the rule.
PredictionInput parse_prediction_input(const nlohmann::json& object);
nlohmann::json to_json(const PredictionInput& input);

}  // namespace mljob
