// The rules the AI Platform API reference states for a training Job, checked before anything
// is submitted. Each violation is a SpecError naming the field, the value and the rule.
#pragma once

#include "core/job.h"
#include "tiers/catalog.h"

namespace mljob {

// Rules that need nothing but the job itself (job ID syntax, unions, counts, labels...).
void validate_job(const Job& job);

// Rules that need the site's catalog: machine types legacy vs Compute Engine, accelerators.
void validate_against_catalog(const Job& job, const tiers::TierCatalog& catalog);

}  // namespace mljob
