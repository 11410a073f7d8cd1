#include "core/spec_parser.h"

#include "base/test_support.h"

namespace mljob {
namespace {

using testing::expect_input_error;

TEST(SpecParser, GcloudConfigShape) {
  Job job = parse_job_spec(R"(
trainingInput:
  scaleTier: CUSTOM
  masterType: n1-standard-8
  masterConfig:
    acceleratorConfig: {count: 2, type: NVIDIA_TESLA_T4}
  workerType: n1-standard-4
  workerCount: 3
  args: ["--epochs", 5, "--lr=0.1"]
  hyperparameters: {goal: MAXIMIZE, maxTrials: 4}
labels: {team: vision}
)",
                           "test");
  const TrainingInput& in = job.training_input;
  EXPECT_EQ(in.scale_tier, "CUSTOM");
  EXPECT_EQ(in.master_config.accelerator_config->count, 2);
  EXPECT_EQ(in.worker_count, 3);
  EXPECT_EQ(in.args, (std::vector<std::string>{"--epochs", "5", "--lr=0.1"}));
  EXPECT_EQ(in.hyperparameters["maxTrials"], 4);
  EXPECT_EQ(job.labels.at("team"), "vision");
}

TEST(SpecParser, ApiJsonWithInt64Strings) {
  Job job = parse_job_spec(R"({"jobId": "j1", "trainingInput": {"scaleTier": "CUSTOM", "masterType": "m",
    "workerCount": "4", "workerType": "w", "pythonModule": "t.task"}, "state": "RUNNING"})",
                           "api.json");
  EXPECT_EQ(job.job_id, "j1");
  EXPECT_EQ(job.training_input.worker_count, 4);
}

TEST(SpecParser, UnknownFieldSuggestsTheNearest) {
  expect_input_error([] { parse_job_spec("trainingInput:\n  scaleTeir: BASIC\n", "t"); }, "trainingInput.scaleTeir",
                     "did you mean 'scaleTier'");
  expect_input_error([] { parse_job_spec("trainingInput:\n  masterConfig: {acceleratorConfig: {cuont: 1}}\n", "t"); },
                     "trainingInput.masterConfig.acceleratorConfig.cuont", "did you mean 'count'");
}

TEST(SpecParser, TrainingAndPredictionAreAUnion) {
  expect_input_error([] { parse_job_spec("trainingInput: {scaleTier: BASIC}\npredictionInput: {}\n", "t"); },
                     "predictionInput", "union");
}

TEST(SpecParser, TypeErrorsNameTheField) {
  expect_input_error([] { parse_job_spec("trainingInput: {workerCount: many}\n", "t"); }, "trainingInput.workerCount",
                     "integer");
  expect_input_error([] { parse_job_spec("trainingInput: {args: [{a: 1}]}\n", "t"); }, "trainingInput.args[0]",
                     "string");
  expect_input_error([] { parse_job_spec("trainingInput: [1, 2]\n", "t"); }, "trainingInput", "mapping");
}

TEST(SpecParser, MetricDeclarationsAreKeptForTheMetricsChecks) {
  Job job = parse_job_spec(R"(
trainingInput: {scaleTier: BASIC}
evaluation_metrics: {type: tensorboard, in: "$JOB_STATE_DIR/logs/tb"}
MetricDefinitions: [{Name: "train:loss", Regex: "loss=(.*?);"}]
)",
                           "t");
  EXPECT_EQ(job.metric_declarations["evaluation_metrics"]["type"], "tensorboard");
  EXPECT_EQ(job.metric_declarations["MetricDefinitions"][0]["Regex"], "loss=(.*?);");
  EXPECT_EQ(to_json(job)["MetricDefinitions"][0]["Name"], "train:loss");
}

TEST(SpecParser, QuotedNumbersStayStrings) {
  Job job = parse_job_spec("trainingInput:\n  runtimeVersion: \"2.1\"\n  pythonVersion: '3.7'\n", "t");
  EXPECT_EQ(job.training_input.runtime_version, "2.1");
  EXPECT_EQ(job.training_input.python_version, "3.7");
}

TEST(SpecParser, InvalidYamlIsAnInputError) {
  EXPECT_THROW(parse_job_spec("trainingInput: [unclosed\n", "t"), InputError);
}

}  // namespace
}  // namespace mljob

namespace mljob {
namespace {

TEST(SpecParserScheduling, ReadAndGivenBackAsWritten) {
  Job job = parse_job_spec(
      "trainingInput:\n  scaleTier: BASIC\n  scheduling:\n    maxRunningTime: 3600s\n"
      "    maxWaitTime: 1.5s\n    priority: 7\n",
      "t");
  EXPECT_EQ(job.training_input.scheduling.max_running_seconds, 3600);
  EXPECT_EQ(job.training_input.scheduling.max_wait_seconds, 2);
  nlohmann::json back = to_json(job.training_input)["scheduling"];
  EXPECT_EQ(back, (nlohmann::json{{"maxRunningTime", "3600s"}, {"maxWaitTime", "1.5s"}, {"priority", 7}}));
}

TEST(SpecParserScheduling, BadValuesNameTheField) {
  testing::expect_input_error([] { parse_job_spec("trainingInput:\n  scheduling: {maxRunningTime: 2h}\n", "t"); },
                              "trainingInput.scheduling.maxRunningTime", "duration in seconds");
  testing::expect_input_error([] { parse_job_spec("trainingInput:\n  scheduling: {priority: 1001}\n", "t"); },
                              "trainingInput.scheduling.priority", "between 0 and 1000");
  testing::expect_input_error([] { parse_job_spec("trainingInput:\n  scheduling: {maxRunnigTime: 60s}\n", "t"); },
                              "trainingInput.scheduling.maxRunnigTime", "did you mean 'maxRunningTime'");
}

// The API's args are strings, and gcloud passes them on as given: YAML's reading of a plain
// scalar as a number must not change what the trainer gets (0x10 is not 16.0, inf is not null).
TEST(SpecParser, ArgsReachTheTrainerAsWritten) {
  Job job = parse_job_spec(
      "trainingInput:\n  args: [0x10, inf, .inf, -.Inf, nan, .NaN, 1e3, 1.50, 007, true, True, -0, 1_000, 0o17, '5']\n",
      "t");
  EXPECT_EQ(job.training_input.args,
            (std::vector<std::string>{"0x10", "inf", ".inf", "-.Inf", "nan", ".NaN", "1e3", "1.50", "007", "true",
                                      "True", "-0", "1_000", "0o17", "5"}));
  Job from_json =
      parse_job_spec(R"({"trainingInput": {"args": [1e400, 5, 1.0, -2.50E+3], "packageUris": ["a.whl"]}})", "api.json");
  EXPECT_EQ(from_json.training_input.args, (std::vector<std::string>{"1e400", "5", "1.0", "-2.50E+3"}));
  expect_input_error([] { parse_job_spec("trainingInput: {args: [--a, ~]}\n", "t"); }, "trainingInput.args[1]",
                     "must be a string");
  expect_input_error([] { parse_job_spec("trainingInput: {args: [--a, null]}\n", "t"); }, "trainingInput.args[1]",
                     "must be a string");
  // Elsewhere numbers stay numbers.
  EXPECT_EQ(parse_job_spec("trainingInput: {workerCount: 3}\n", "t").training_input.worker_count, 3);
}

TEST(SpecParser, LabelValuesAreTakenAsWritten) {
  Job job = parse_job_spec("labels: {version: 010, flag: true}\ntrainingInput: {scaleTier: BASIC}\n", "t");
  EXPECT_EQ(job.labels.at("version"), "010");
  EXPECT_EQ(job.labels.at("flag"), "true");
}

TEST(SpecParser, ReplicaFieldsASlurmJobCannotUseAreSaidNotDroppedSilently) {
  ::testing::internal::CaptureStderr();
  Job job = parse_job_spec(R"(
trainingInput:
  scaleTier: CUSTOM
  masterType: n1-standard-8
  workerConfig: {tpuTfVersion: '2.11-parser-test', diskConfig: {bootDiskSizeGb: 200}}
)",
                           "test");
  std::string said = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(job.training_input.master_type, "n1-standard-8");
  EXPECT_NE(said.find("mljob: warning: trainingInput.workerConfig.tpuTfVersion: value '2.11-parser-test': ignored: "
                      "mljob runs no TPUs"),
            std::string::npos)
      << said;
  EXPECT_NE(
      said.find("mljob: warning: trainingInput.workerConfig.diskConfig: value '{\"bootDiskSizeGb\":200}': ignored: "),
      std::string::npos)
      << said;
}

}  // namespace
}  // namespace mljob
