#include "core/validation.h"

#include <sstream>

#include "base/test_support.h"
#include "core/spec_parser.h"
#include "tiers/catalog_loader.h"

namespace mljob {
namespace {

using testing::expect_input_error;

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
  expect_input_error([&] { validate_job(job_from(ok_input, "")); }, "jobId", "required");
  expect_input_error([&] { validate_job(job_from(ok_input, "1abc")); }, "jobId", "start with a letter");
  expect_input_error([&] { validate_job(job_from(ok_input, "a-b")); }, "jobId", "letters, digits and underscores");
  expect_input_error([&] { validate_job(job_from(ok_input, "a$(rm -rf /)")); }, "jobId", "letters, digits");
  expect_input_error([&] { validate_job(job_from(ok_input, std::string(129, 'a'))); }, "jobId", "128");
  EXPECT_NO_THROW(validate_job(job_from(ok_input, std::string(128, 'a'))));
}

TEST(Validation, ApiRules) {
  expect_input_error([] { validate_job(job_from("  pythonModule: t\n")); }, "trainingInput.scaleTier", "required");
  expect_input_error([] { validate_job(job_from("  scaleTier: HUGE\n  pythonModule: t\n")); },
                     "trainingInput.scaleTier", "must be one of");
  expect_input_error([] { validate_job(job_from("  scaleTier: CUSTOM\n  pythonModule: t\n")); },
                     "trainingInput.masterType", "required when scaleTier is CUSTOM");
  expect_input_error(
      [] { validate_job(job_from("  scaleTier: CUSTOM\n  masterType: m\n  workerCount: 2\n  pythonModule: t\n")); },
      "trainingInput.workerType", "required when workerCount");
  expect_input_error(
      [] {
        validate_job(job_from("  scaleTier: CUSTOM\n  masterType: m\n  parameterServerCount: 1\n  pythonModule: t\n"));
      },
      "trainingInput.parameterServerType", "required when parameterServerCount");
  expect_input_error([] { validate_job(job_from("  scaleTier: BASIC\n  workerCount: 2\n  pythonModule: t\n")); },
                     "trainingInput.workerCount", "only when scaleTier is CUSTOM");
  expect_input_error([] { validate_job(job_from("  scaleTier: BASIC\n")); }, "trainingInput.pythonModule", "required");
  std::string many = "  scaleTier: BASIC\n  pythonModule: t\n  packageUris:\n";
  for (int i = 0; i < 101; ++i) many += "    - p" + std::to_string(i) + ".whl\n";
  expect_input_error([&] { validate_job(job_from(many)); }, "trainingInput.packageUris", "at most 100");
}

TEST(Validation, CatalogRules) {
  expect_input_error(
      [] { validate_against_catalog(job_from("  scaleTier: BASIC_TPU\n  pythonModule: t\n"), catalog()); },
      "trainingInput.scaleTier", "not offered at this site");
  expect_input_error(
      [] {
        validate_against_catalog(job_from("  scaleTier: CUSTOM\n  masterType: standard\n  workerType: n1-standard-4\n"
                                          "  workerCount: 1\n  pythonModule: t\n"),
                                 catalog());
      },
      "trainingInput.workerType", "all be legacy machine types or all Compute Engine");
  expect_input_error(
      [] {
        validate_against_catalog(job_from("  scaleTier: CUSTOM\n  masterType: complex_model_m\n"
                                          "  masterConfig: {acceleratorConfig: {count: 1, type: NVIDIA_TESLA_T4}}\n"
                                          "  pythonModule: t\n"),
                                 catalog());
      },
      "trainingInput.masterConfig.acceleratorConfig", "only with Compute Engine");
  expect_input_error(
      [] {
        validate_against_catalog(job_from("  scaleTier: CUSTOM\n  masterType: n9-giant\n  pythonModule: t\n"),
                                 catalog());
      },
      "trainingInput.masterType", "not a machine type offered");
}

TEST(Validation, Labels) {
  Job job = job_from("  scaleTier: BASIC\n  pythonModule: t\n");
  job.labels = {{"Team", "x"}};
  expect_input_error([&] { validate_job(job); }, "labels.Team", "lowercase");
  job.labels = {{"team", "a b"}};
  expect_input_error([&] { validate_job(job); }, "labels.team", "label value");
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
  testing::expect_input_error([&] { validate_job(job); }, "trainingInput.masterConfig.imageUri", "custom containers");
}

TEST(Validation, CountsHaveUpperBounds) {
  const std::string custom = "  scaleTier: CUSTOM\n  masterType: m\n  pythonModule: t\n";
  expect_input_error([&] { validate_job(job_from(custom + "  workerType: w\n  workerCount: 4294967297\n")); },
                     "trainingInput.workerCount", "must be at most 10000");
  expect_input_error([&] { validate_job(job_from(custom + "  workerType: w\n  workerCount: 10001\n")); },
                     "trainingInput.workerCount", "must be at most 10000");
  EXPECT_NO_THROW(validate_job(job_from(custom + "  workerType: w\n  workerCount: 10000\n")));
  expect_input_error(
      [&] { validate_job(job_from(custom + "  parameterServerType: p\n  parameterServerCount: 2147483648\n")); },
      "trainingInput.parameterServerCount", "must be at most 10000");
  expect_input_error([&] { validate_job(job_from(custom + "  parameterServerType: p\n  parameterServerCount: -1\n")); },
                     "trainingInput.parameterServerCount", "must not be negative");
  expect_input_error(
      [&] {
        validate_job(
            job_from(custom + "  masterConfig: {acceleratorConfig: {count: 2147483648, type: NVIDIA_TESLA_T4}}\n"));
      },
      "trainingInput.masterConfig.acceleratorConfig.count", "must be at most 64");
  EXPECT_NO_THROW(
      validate_job(job_from(custom + "  masterConfig: {acceleratorConfig: {count: 64, type: NVIDIA_TESLA_T4}}\n")));
}

TEST(Validation, NulBytesAreRefusedWhereTheyWouldBeLost) {
  const std::string ok = "  scaleTier: BASIC\n  pythonModule: t\n";
  expect_input_error([&] { validate_job(job_from(ok + "  args: [--a, \"x\\0y\"]\n")); }, "trainingInput.args[1]",
                     "must not contain a NUL byte");
  expect_input_error([&] { validate_job(job_from(ok + "  jobDir: \"/data/\\0run\"\n")); }, "trainingInput.jobDir",
                     "must not contain a NUL byte");
  expect_input_error([&] { validate_job(job_from(ok + "  packageUris: [\"/p\\0.whl\"]\n")); },
                     "trainingInput.packageUris[0]", "NUL");
  expect_input_error([&] { validate_job(job_from("  scaleTier: BASIC\n  pythonModule: \"t\\0x\"\n")); },
                     "trainingInput.pythonModule", "NUL");
  try {
    validate_job(job_from(ok + "  jobDir: \"/a\\0b\"\n"));
  } catch (const InputError& e) {
    EXPECT_EQ(e.value(), "/a\\0b");  // shown escaped, not as a raw NUL
  }
}

std::vector<std::string> ignored_messages(const Job& job, const tiers::TierCatalog& catalog) {
  std::vector<std::string> out;
  for (const auto& ignored : ignored_fields(job, catalog))
    out.push_back(ignored.field + ": value '" + ignored.value + "': " + ignored.why);
  return out;
}

TEST(IgnoredFields, RegionAndTheFieldsKeptOnlyToBeGivenBackAreSaid) {
  Job job = job_from(
      "  scaleTier: BASIC\n  pythonModule: t\n  region: us-central1\n  scheduling: {priority: 700}\n"
      "  serviceAccount: robot@example.com\n  evaluatorCount: '0'\n  enableWebAccess: false\n");
  auto said = ignored_messages(job, catalog());
  ASSERT_EQ(said.size(), 3u) << ::testing::PrintToString(said);
  EXPECT_EQ(said[0].rfind("trainingInput.region: value 'us-central1': a Slurm cluster has no regions", 0), 0u)
      << said[0];
  EXPECT_EQ(said[1].rfind("trainingInput.scheduling.priority: value '700': ", 0), 0u) << said[1];
  EXPECT_EQ(said[2].rfind("trainingInput.serviceAccount: value 'robot@example.com': ", 0), 0u) << said[2];
  // Asking for nothing (no evaluators, no web access) is not worth a warning.
  EXPECT_TRUE(
      ignored_fields(job_from("  scaleTier: BASIC\n  pythonModule: t\n  evaluatorCount: 0\n"), catalog()).empty());
  EXPECT_EQ(
      ignored_fields(job_from("  scaleTier: BASIC\n  pythonModule: t\n  evaluatorCount: 2\n"), catalog()).front().field,
      "trainingInput.evaluatorCount");
}

TEST(IgnoredFields, ARuntimeOrPythonVersionTheCatalogDoesNotMapIsSaid) {
  Job job = job_from("  scaleTier: BASIC\n  pythonModule: t\n  runtimeVersion: '2.11'\n  pythonVersion: '3.7'\n");
  auto said = ignored_messages(job, catalog());  // etc/tiers.yaml maps only `default`
  ASSERT_EQ(said.size(), 2u) << ::testing::PrintToString(said);
  EXPECT_NE(said[0].find(
                "trainingInput.runtimeVersion: value '2.11': the tier catalog's runtimes: section has no entry for it, "
                "so the job runs in the catalog's 'default' environment (python3"),
            std::string::npos)
      << said[0];
  EXPECT_NE(
      said[1].find(
          "trainingInput.pythonVersion: value '3.7': the tier catalog's runtimes: section has no entry '2.11/3.7'"),
      std::string::npos)
      << said[1];

  tiers::TierCatalog site = catalog();
  site.runtimes["2.11"] = {"2.11", "/opt/tf211/bin/python", "", "", ""};
  said = ignored_messages(job, site);  // the runtime is mapped; its Python version is not
  ASSERT_EQ(said.size(), 1u) << ::testing::PrintToString(said);
  EXPECT_NE(said[0].find("runs in the catalog's '2.11' environment (/opt/tf211/bin/python"), std::string::npos)
      << said[0];
  site.runtimes["2.11/3.7"] = {"2.11/3.7", "/opt/tf211-py37/bin/python", "", "", ""};
  EXPECT_TRUE(ignored_fields(job, site).empty());

  // A refused runtime is the planner's error, not a warning.
  site.runtimes["default"].refusal = "pick a runtime";
  EXPECT_TRUE(
      ignored_fields(job_from("  scaleTier: BASIC\n  pythonModule: t\n  runtimeVersion: '1.0'\n"), site).empty());
}

TEST(IgnoredFields, EachWarningIsSaidOnceOnStderrBySubmitsCatalogCheck) {
  std::ostringstream err;
  IgnoredField ignored{"trainingInput.region", "warned-once-region", "a Slurm cluster has no regions"};
  warn_ignored(ignored, err);
  warn_ignored(ignored, err);  // a study's trials read the same spec again
  EXPECT_EQ(
      err.str(),
      "mljob: warning: trainingInput.region: value 'warned-once-region': ignored: a Slurm cluster has no regions\n");

  ::testing::internal::CaptureStderr();
  validate_against_catalog(job_from("  scaleTier: BASIC\n  pythonModule: t\n  region: europe-west4-catalog-check\n"),
                           catalog());
  std::string said = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(said.find("mljob: warning: trainingInput.region: value 'europe-west4-catalog-check': ignored: "),
            std::string::npos)
      << said;
}

}  // namespace
}  // namespace mljob
