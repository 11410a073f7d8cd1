// Reads a training job spec: YAML or JSON, in the gcloud `--config` shape (top-level
// `trainingInput:` with optional `labels:` and `jobId:`) or a whole Job resource.
// Only structure and types are checked here; the API's rules are in validation.h.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "core/job.h"

namespace mljob {

// Throws InputError naming the field (as a dotted path), the value and the rule.
Job parse_job_spec(const std::string& text, const std::string& source_name);
Job parse_job_spec_file(const std::filesystem::path& file);

}  // namespace mljob
