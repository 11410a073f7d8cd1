// A job's metrics as describe shows them: AI Platform's finalMetric {trainingStep,
// objectiveValue} for the hyperparameterMetricTag, SageMaker's FinalMetricDataList for the
// MetricDefinitions (the last value of each), and on a terminal a sparkline of the objective.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/job_store.h"

namespace mljob::jobs {

// Adds trainingOutput.finalMetric / FinalMetricDataList to the Job resource when the job has them.
void add_metric_outputs(nlohmann::json& resource, const JobRecord& record);

// "objective NAME: ▁▃▅▇ VALUE (step N)", or "" when the job has no objective values yet. The
// objective: the hyperparameterMetricTag, else the first MetricDefinition, else `loss`.
std::string objective_sparkline(const JobRecord& record);

// RFC 3339 UTC with milliseconds.
std::string rfc3339_ms(std::int64_t epoch_ms);

}  // namespace mljob::jobs
