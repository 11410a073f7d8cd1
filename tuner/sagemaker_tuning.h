// SageMaker's tuning job, as CreateHyperParameterTuningJob takes it: the whole request
// (HyperParameterTuningJobConfig, WarmStartConfig, ...) or the HyperParameterTuningJobConfig
// alone, read into the tuner's HyperparameterSpec. Every rule is checked in SageMaker's own
// terms: an InputError names the SageMaker field, the value and the rule.
//
// What it maps: Strategy Bayesian | Random | Grid (Hyperband is refused); the objective's Type
// and MetricName (the metric tag); ResourceLimits' MaxNumberOfTrainingJobs and
// MaxParallelTrainingJobs; Continuous, Integer and Categorical ranges with ScalingType (Auto is
// linear); TrainingJobEarlyStoppingType Auto (the median stopping rule, as SageMaker's Auto is);
// RandomSeed; WarmStartConfig (its parents are resolved by the caller); and of the
// TrainingJobDefinition what a trial on Slurm can honour (TrialDefinition): StaticHyperParameters,
// AlgorithmSpecification.MetricDefinitions, StoppingCondition's MaxRuntimeInSeconds and
// MaxPendingTimeInSeconds, Environment, ResourceConfig's InstanceType and InstanceCount. Its AWS
// resources (TrainingImage, channels, roles) are accepted and not read: what a trial runs is the
// job spec's (mljob submit) or the user's own loop's (ask/tell). Several TrainingJobDefinitions
// are refused.
#pragma once

#include <nlohmann/json.hpp>

#include "tuner/hyperparameter_spec.h"

namespace mljob::tuner {

// Whether `value` is in SageMaker's form (has HyperParameterTuningJobConfig, or is one).
bool is_sagemaker_tuning(const nlohmann::json& value);

HyperparameterSpec parse_sagemaker_tuning(const nlohmann::json& value, const std::string& at);

}  // namespace mljob::tuner
