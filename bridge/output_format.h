// How commands print what they answer: YAML (the default, as gcloud), JSON, or a table.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mljob::bridge {

// Prints `value` as YAML (default) or JSON.
void print_formatted(const nlohmann::json& value, const std::string& format);
// Throws InputError on --format unless `format` is one of `allowed`.
void require_format(const std::string& format, const std::vector<std::string>& allowed);
// One row per job: id, state, times, ML units and error, in aligned columns.
void print_job_table(const std::vector<nlohmann::json>& jobs);
std::string to_yaml(const nlohmann::json& value);

}  // namespace mljob::bridge
