// The AI Platform front door: a Job or gcloud --config file (YAML or JSON) as `mljob submit
// training --config` reads it: the spec parser, the API's defaults and rules, the catalog's
// rules, and the pure planner down to the batch script.
#include "base/input_error.h"
#include "core/batch_script.h"
#include "core/planner.h"
#include "core/spec_parser.h"
#include "core/validation.h"
#include "fuzz/fuzz_support.h"
#include "tiers/catalog.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const mljob::tiers::TierCatalog& catalog = mljob::fuzz::sample_catalog();
  try {
    mljob::Job job = mljob::parse_job_spec(std::string(mljob::fuzz::as_text(data, size)), "fuzz.yaml");
    mljob::apply_api_defaults(job);
    mljob::validate_job(job);
    mljob::validate_against_catalog(job, catalog);
    mljob::render_batch_script(mljob::plan_job(job, catalog, {"/tmp/job", {}}));
  } catch (const mljob::InputError&) {
  }
  return 0;
}
