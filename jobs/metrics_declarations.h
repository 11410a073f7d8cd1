// The bridge's side of metrics: what a job declares (FfDL's evaluation_metrics, SageMaker's
// MetricDefinitions, AI Platform's hyperparameterMetricTag) checked at submit, stored beside
// the job for the collector, and the collector put in front of the training step.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/job.h"
#include "metrics/metrics_spec.h"

namespace mljob::jobs {

// {evaluation_metrics, MetricDefinitions, hyperparameterMetricTag}, those the job has.
nlohmann::ordered_json metric_declarations(const Job& job);

// Parses and checks them (a regex that cannot run is an InputError with its part quoted);
// warnings worth showing go to stderr.
metrics::MetricsSpec check_metric_declarations(const Job& job);

// The words that run the training step under mljob-collect, the one beside the running
// program (jobs/sibling_program.h), or nothing, with a warning, when it is not there.
// max_log_bytes: the site's cap on the job's stored log (the catalog's logs.maxBytesPerJob).
std::vector<std::string> collector_wrapper(const std::filesystem::path& job_folder, std::uint64_t max_log_bytes);

}  // namespace mljob::jobs
