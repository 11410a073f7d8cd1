// The rules the AI Platform API reference states for a training Job, checked before anything
// is submitted. Each violation is an InputError naming the field, the value and the rule.
#pragma once

#include <iostream>
#include <string>
#include <vector>

#include "base/ignored_field.h"
#include "core/job.h"
#include "tiers/catalog.h"

namespace mljob {

// Fills what the API fills when a field is left out. Today that is scaleTier: the reference
// calls it required, but it is a proto3 enum whose zero value is BASIC, so the service runs a
// job without one as BASIC, and many published configs (hptuning_config.yaml files, which
// gcloud merges with flags) rely on that. Returns the fields it filled, for --dry-run to show.
std::vector<std::string> apply_api_defaults(Job& job);

inline constexpr std::size_t kMaxJobIdLength = 128;

// The API's job ID rule: a letter, then letters, digits and underscores, at most 128 characters.
// An InputError at `field` otherwise. Every job ID that names a folder passes it first.
void check_job_id(const std::string& id, const std::string& field = "jobId");

// SageMaker's TrainingJobName rule: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}. An InputError at
// `field` otherwise.
void check_sagemaker_job_name(const std::string& name, const std::string& field);

// The name of a job in the user's store: an AI Platform job ID or a SageMaker job name (FfDL's
// training IDs are made to be both), or a SageMaker tuning study's trial (NAME_trial_N). Neither has '/' or '.', so a
// name that passes is a folder of the store, never a path outside it. An InputError at `field` naming both rules
// otherwise.
void check_stored_job_name(const std::string& name, const std::string& field);

// Google Cloud's label rules (InputError at labels.KEY).
void validate_labels(const std::map<std::string, std::string>& labels);

// Rules that need nothing but the job itself (job ID syntax, unions, counts, labels...).
void validate_job(const Job& job);

// Rules that need the site's catalog: machine types legacy vs Compute Engine, accelerators.
// Then says on stderr what the job sets that will have no effect here (ignored_fields), so that
// nothing the user wrote is dropped without a word.
void validate_against_catalog(const Job& job, const tiers::TierCatalog& catalog);

// What the job sets that has no effect at this site: region, a runtimeVersion or pythonVersion
// that the catalog's runtimes: section maps to no environment of its own (the job then runs in
// a broader one), scheduling.priority, and the fields kept only to be given back (evaluators,
// encryptionConfig, network, serviceAccount, enableWebAccess).
std::vector<IgnoredField> ignored_fields(const Job& job, const tiers::TierCatalog& catalog);

}  // namespace mljob
