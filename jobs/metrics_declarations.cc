#include "jobs/metrics_declarations.h"

#include <iostream>
#include <stdexcept>

#include "base/input_error.h"
#include "jobs/sibling_program.h"

namespace mljob::jobs {

namespace fs = std::filesystem;

nlohmann::ordered_json metric_declarations(const Job& job) {
  nlohmann::ordered_json out = job.metric_declarations;
  const nlohmann::json& hyperparameters = job.training_input.hyperparameters;
  if (hyperparameters.is_object() && hyperparameters.contains("hyperparameterMetricTag")) {
    const auto& tag = hyperparameters["hyperparameterMetricTag"];
    if (!tag.is_string()) {
      throw InputError("trainingInput.hyperparameters.hyperparameterMetricTag", tag.dump(), "must be a string");
    }
    out["hyperparameterMetricTag"] = tag;
  }
  return out;
}

metrics::MetricsSpec check_metric_declarations(const Job& job) {
  metrics::MetricsSpec spec = metrics::parse_metrics_spec(metric_declarations(job));
  for (const auto& warning : spec.warnings) std::cerr << "mljob: warning: " << warning << "\n";
  return spec;
}

std::vector<std::string> collector_wrapper(const fs::path& job_folder, std::uint64_t max_log_bytes) {
  try {
    std::vector<std::string> wrapper{sibling_program("mljob-collect").string(), "--job-folder", job_folder.string()};
    if (max_log_bytes > 0) {
      wrapper.push_back("--max-log-bytes");
      wrapper.push_back(std::to_string(max_log_bytes));
    }
    wrapper.push_back("--");
    return wrapper;
  } catch (const std::runtime_error& error) {
    // The job can still run: only its metrics are lost, so this is said and not refused.
    std::cerr << "mljob: warning: " << error.what() << ": this job's metrics will not be collected\n";
    return {};
  }
}

}  // namespace mljob::jobs
