// One trial of a study as a plain training job: its job ID and its job spec, derived from the
// study's spec. Free of Slurm (the controller in bridge/study_controller.cc submits it).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "tuner/hyperparameter_spec.h"
#include "tuner/study.h"

namespace mljob::tuner {

// "<study>_trial_<n>": deterministic, so a restarted controller finds the trials it submitted.
std::string trial_job_id(const std::string& study_job_id, int trial_id);

// The study's Job resource made into the trial's: its own jobId; SageMaker's static
// hyperparameters, then the trial's own, appended to the args as --name=value (AI Platform's
// convention); a jobDir of its own (JOB_DIR/<trial>, as AI Platform gives each trial);
// hyperparameters reduced to the metric tag, so the trial is one run whose objective the metrics
// collector names; and the rest of a SageMaker TrainingJobDefinition (spec.trial_definition):
// its MetricDefinitions added to the job's, its StoppingCondition as the job's scheduling.
// Throws InputError where the definition contradicts the job (a metric name with two regexes, two
// different time limits).
nlohmann::json trial_job_spec(const nlohmann::json& study_job, const Trial& trial, const HyperparameterSpec& spec);

// The trial's hyperparameters.json (SageMaker's file, and SM_HPS): the static hyperparameters
// and the trial's own, every value a string.
nlohmann::json trial_hyperparameters(const HyperparameterSpec& spec, const Trial& trial);

// What a trial's ended job means for the study: a result (its finalMetric) or a failure with
// the reason the user reads in the trial's errorMessage.
struct TrialOutcome {
  std::optional<double> value;  // set: the trial succeeded with this objective value
  long long step = 0;
  std::string failure;  // set when value is not
};

// `resource`: the trial job's Job resource once its state is final, with finalMetric added
// from its metrics (jobs/metrics_view.h). A SUCCEEDED job that never reported `metric_tag`
// is a failed trial, as the API says.
TrialOutcome trial_outcome(const nlohmann::json& resource, const std::string& metric_tag);

}  // namespace mljob::tuner
