#include "core/validation.h"

#include "core/spec_parser.h"
#include "core/test_support.h"
#include "tiers/catalog_loader.h"

namespace mljob {
namespace {

using testing::expect_spec_error;

Job job_from(const std::string& training_input_yaml, const std::string& id = "job_1") {
  Job job = parse_job_spec("trainingInput:\n" + training_input_yaml, "test");
  job.job_id = id;
  return job;
}

const tiers::TierCatalog& catalog() {
  static tiers::TierCatalog loaded = tiers::load_catalog(std::string(MLJOB_SOURCE_DIR) + "/etc/tiers.yaml");
  return loaded;
}

TEST(Validation, AcceptsAPlainTier) {
  Job job = job_from("  scaleTier: STANDARD_1\n  pythonModule: trainer.task\n");
  EXPECT_NO_THROW(validate_job(job));
  EXPECT_NO_THROW(validate_against_catalog(job, catalog()));
}

TEST(Validation, JobIdRules) {
  const std::string ok_input = "  scaleTier: BASIC\n  pythonModule: t\n";
  expect_spec_error([&] { validate_job(job_from(ok_input, "")); }, "jobId", "required");
  expect_spec_error([&] { validate_job(job_from(ok_input, "1abc")); }, "jobId", "start with a letter");
  expect_spec_error([&] { validate_job(job_from(ok_input, "a-b")); }, "jobId", "letters, digits and underscores");
  expect_spec_error([&] { validate_job(job_from(ok_input, "a$(rm -rf /)")); }, "jobId", "letters, digits");
  expect_spec_error([&] { validate_job(job_from(ok_input, std::string(129, 'a'))); }, "jobId", "128");
  EXPECT_NO_THROW(validate_job(job_from(ok_input, std::string(128, 'a'))));
}

TEST(Validation, ApiRules) {
  expect_spec_error([] { validate_job(job_from("  pythonModule: t\n")); }, "trainingInput.scaleTier", "required");
  expect_spec_error([] { validate_job(job_from("  scaleTier: HUGE\n  pythonModule: t\n")); }, "trainingInput.scaleTier",
                    "must be one of");
  expect_spec_error([] { validate_job(job_from("  scaleTier: CUSTOM\n  pythonModule: t\n")); },
                    "trainingInput.masterType", "required when scaleTier is CUSTOM");
  expect_spec_error([] { validate_job(job_from("  scaleTier: CUSTOM\n  masterType: m\n  workerCount: 2\n  pythonModule: t\n")); },
                    "trainingInput.workerType", "required when workerCount");
  expect_spec_error([] { validate_job(job_from("  scaleTier: CUSTOM\n  masterType: m\n  parameterServerCount: 1\n  pythonModule: t\n")); },
                    "trainingInput.parameterServerType", "required when parameterServerCount");
  expect_spec_error([] { validate_job(job_from("  scaleTier: BASIC\n  workerCount: 2\n  pythonModule: t\n")); },
                    "trainingInput.workerCount", "only when scaleTier is CUSTOM");
  expect_spec_error([] { validate_job(job_from("  scaleTier: BASIC\n")); }, "trainingInput.pythonModule", "required");
  std::string many = "  scaleTier: BASIC\n  pythonModule: t\n  packageUris:\n";
  for (int i = 0; i < 101; ++i) many += "    - p" + std::to_string(i) + ".whl\n";
  expect_spec_error([&] { validate_job(job_from(many)); }, "trainingInput.packageUris", "at most 100");
}

TEST(Validation, CatalogRules) {
  expect_spec_error([] { validate_against_catalog(job_from("  scaleTier: BASIC_TPU\n  pythonModule: t\n"), catalog()); },
                    "trainingInput.scaleTier", "not offered at this site");
  expect_spec_error([] {
    validate_against_catalog(job_from("  scaleTier: CUSTOM\n  masterType: standard\n  workerType: n1-standard-4\n"
                                      "  workerCount: 1\n  pythonModule: t\n"), catalog());
  }, "trainingInput.workerType", "all be legacy machine types or all Compute Engine");
  expect_spec_error([] {
    validate_against_catalog(job_from("  scaleTier: CUSTOM\n  masterType: complex_model_m\n"
                                      "  masterConfig: {acceleratorConfig: {count: 1, type: NVIDIA_TESLA_T4}}\n"
                                      "  pythonModule: t\n"), catalog());
  }, "trainingInput.masterConfig.acceleratorConfig", "only with Compute Engine");
  expect_spec_error([] { validate_against_catalog(job_from("  scaleTier: CUSTOM\n  masterType: n9-giant\n  pythonModule: t\n"), catalog()); },
                    "trainingInput.masterType", "not a machine type offered");
}

TEST(Validation, Labels) {
  Job job = job_from("  scaleTier: BASIC\n  pythonModule: t\n");
  job.labels = {{"Team", "x"}};
  expect_spec_error([&] { validate_job(job); }, "labels.Team", "lowercase");
  job.labels = {{"team", "a b"}};
  expect_spec_error([&] { validate_job(job); }, "labels.team", "label value");
}

}  // namespace
}  // namespace mljob

namespace mljob {
namespace {

TEST(ApiDefaults, MissingScaleTierIsBasicAsTheServiceRunsIt) {
  Job job = parse_job_spec("trainingInput: {pythonModule: t}\n", "t");
  job.job_id = "j";
  auto filled = apply_api_defaults(job);
  EXPECT_EQ(job.training_input.scale_tier, "BASIC");
  ASSERT_EQ(filled.size(), 1u);
  EXPECT_NO_THROW(validate_job(job));
  Job given = parse_job_spec("trainingInput: {scaleTier: STANDARD_1, pythonModule: t}\n", "t");
  EXPECT_TRUE(apply_api_defaults(given).empty());
  EXPECT_EQ(given.training_input.scale_tier, "STANDARD_1");
}

TEST(Validation, CustomContainersAreRefusedNotRunAsPython) {
  Job job = parse_job_spec("trainingInput: {scaleTier: BASIC, masterConfig: {imageUri: 'gcr.io/p/i'}}\n", "t");
  job.job_id = "j";
  testing::expect_spec_error([&] { validate_job(job); }, "trainingInput.masterConfig.imageUri", "custom containers");
}

TEST(Validation, CountsHaveUpperBounds) {
  const std::string custom = "  scaleTier: CUSTOM\n  masterType: m\n  pythonModule: t\n";
  expect_spec_error([&] { validate_job(job_from(custom + "  workerType: w\n  workerCount: 4294967297\n")); },
                    "trainingInput.workerCount", "must be at most 10000");
  expect_spec_error([&] { validate_job(job_from(custom + "  workerType: w\n  workerCount: 10001\n")); },
                    "trainingInput.workerCount", "must be at most 10000");
  EXPECT_NO_THROW(validate_job(job_from(custom + "  workerType: w\n  workerCount: 10000\n")));
  expect_spec_error([&] { validate_job(job_from(custom + "  parameterServerType: p\n  parameterServerCount: 2147483648\n")); },
                    "trainingInput.parameterServerCount", "must be at most 10000");
  expect_spec_error([&] { validate_job(job_from(custom + "  parameterServerType: p\n  parameterServerCount: -1\n")); },
                    "trainingInput.parameterServerCount", "must not be negative");
  expect_spec_error(
      [&] { validate_job(job_from(custom + "  masterConfig: {acceleratorConfig: {count: 2147483648, type: NVIDIA_TESLA_T4}}\n")); },
      "trainingInput.masterConfig.acceleratorConfig.count", "must be at most 64");
  EXPECT_NO_THROW(validate_job(job_from(custom + "  masterConfig: {acceleratorConfig: {count: 64, type: NVIDIA_TESLA_T4}}\n")));
}

TEST(Validation, NulBytesAreRefusedWhereTheyWouldBeLost) {
  const std::string ok = "  scaleTier: BASIC\n  pythonModule: t\n";
  expect_spec_error([&] { validate_job(job_from(ok + "  args: [--a, \"x\\0y\"]\n")); }, "trainingInput.args[1]",
                    "must not contain a NUL byte");
  expect_spec_error([&] { validate_job(job_from(ok + "  jobDir: \"/data/\\0run\"\n")); }, "trainingInput.jobDir",
                    "must not contain a NUL byte");
  expect_spec_error([&] { validate_job(job_from(ok + "  packageUris: [\"/p\\0.whl\"]\n")); },
                    "trainingInput.packageUris[0]", "NUL");
  expect_spec_error([&] { validate_job(job_from("  scaleTier: BASIC\n  pythonModule: \"t\\0x\"\n")); },
                    "trainingInput.pythonModule", "NUL");
  try {
    validate_job(job_from(ok + "  jobDir: \"/a\\0b\"\n"));
  } catch (const SpecError& e) {
    EXPECT_EQ(e.value(), "/a\\0b");  // shown escaped, not as a raw NUL
  }
}

}  // namespace
}  // namespace mljob
