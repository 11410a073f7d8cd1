// Reads a training job spec: YAML or JSON, in the gcloud `--config` shape (top-level
// `trainingInput:` with optional `labels:` and `jobId:`) or a whole Job resource.
// Only structure and types are checked here; the API's rules are in validation.h.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "core/job.h"

namespace mljob {

// Throws SpecError naming the field (as a dotted path), the value and the rule.
Job parse_job_spec(const std::string& text, const std::string& source_name);
Job parse_job_spec_file(const std::filesystem::path& file);

// YAML (a superset of JSON) to JSON: plain scalars become numbers or booleans where they
// read as such, quoted scalars stay strings.
nlohmann::json yaml_text_to_json(const std::string& text, const std::string& source_name);
// The same with every mapping's keys in the order the document gives them.
nlohmann::ordered_json yaml_text_to_ordered_json(const std::string& text, const std::string& source_name);

// The closest of `candidates` to `word` if it is close enough to be a likely typo.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace mljob
