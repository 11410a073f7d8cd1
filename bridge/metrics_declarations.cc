#include "bridge/metrics_declarations.h"

#include <unistd.h>

#include <iostream>

#include "core/spec_error.h"

namespace mljob::cli {

namespace fs = std::filesystem;

nlohmann::ordered_json metric_declarations(const Job& job) {
  nlohmann::ordered_json out = job.metric_declarations;
  const nlohmann::json& hyperparameters = job.training_input.hyperparameters;
  if (hyperparameters.is_object() && hyperparameters.contains("hyperparameterMetricTag")) {
    const auto& tag = hyperparameters["hyperparameterMetricTag"];
    if (!tag.is_string()) {
      throw SpecError("trainingInput.hyperparameters.hyperparameterMetricTag", tag.dump(), "must be a string");
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

std::vector<std::string> collector_wrapper(const fs::path& job_folder) {
  std::error_code error;
  fs::path self = fs::read_symlink("/proc/self/exe", error);
  fs::path collector = self.parent_path() / "mljob-collect";
  if (error || ::access(collector.c_str(), X_OK) != 0) {
    std::cerr << "mljob: warning: " << collector.string() << " not found: this job's metrics will not be collected\n";
    return {};
  }
  return {collector.string(), "--job-folder", job_folder.string(), "--"};
}

}  // namespace mljob::cli
