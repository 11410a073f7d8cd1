// One trial of a study as a plain training job: its job ID and its job spec, derived from the
// study's spec. Free of Slurm (the controller in bridge/study_controller.cc submits it).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "tuner/study.h"

namespace mljob::tuner {

// "<study>_trial_<n>": deterministic, so a restarted controller finds the trials it submitted.
std::string trial_job_id(const std::string& study_job_id, int trial_id);

// The study's Job resource made into the trial's: its own jobId; the trial's hyperparameters
// appended to the args as --name=value (AI Platform's convention); a jobDir of its own
// (JOB_DIR/<trial>, as AI Platform gives each trial); hyperparameters reduced to the metric tag,
// so the trial is one run whose objective the metrics collector names.
nlohmann::json trial_job_spec(const nlohmann::json& study_job, const Trial& trial, const std::string& metric_tag);

}  // namespace mljob::tuner
