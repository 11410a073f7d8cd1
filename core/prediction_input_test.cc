#include "core/prediction_input.h"

#include "base/test_support.h"
#include "core/spec_parser.h"

namespace mljob {
namespace {

using nlohmann::json;
using testing::expect_input_error;

json minimal() {
  return {{"uri", "/models/m"}, {"dataFormat", "JSON"}, {"inputPaths", {"/data/*.json"}}, {"outputPath", "/out"}};
}

json with(json input, const std::string& key, json value) {
  input[key] = std::move(value);
  return input;
}

TEST(PredictionInput, DefaultsAsTheApiGivesThem) {
  PredictionInput input = parse_prediction_input(minimal());
  EXPECT_EQ(input.max_worker_count, 10);
  EXPECT_EQ(input.batch_size, 64);
  EXPECT_EQ(input.output_data_format, DataFormat::kJson);
  EXPECT_EQ(input.input_paths, std::vector<std::string>{"/data/*.json"});
  EXPECT_EQ(to_json(input)["maxWorkerCount"], "10");  // int64 as a decimal string, as API JSON has it
}

TEST(PredictionInput, Int64FieldsTakeNumbersAndDecimalStrings) {
  EXPECT_EQ(parse_prediction_input(with(minimal(), "maxWorkerCount", "4")).max_worker_count, 4);
  EXPECT_EQ(parse_prediction_input(with(minimal(), "batchSize", 128)).batch_size, 128);
  expect_input_error([] { parse_prediction_input(with(minimal(), "batchSize", "12x")); }, "predictionInput.batchSize",
                     "integer");
}

TEST(PredictionInput, CountsAtTheirBoundsAreTakenAndPastThemRefused) {
  EXPECT_EQ(parse_prediction_input(with(minimal(), "maxWorkerCount", 10000)).max_worker_count, 10000);
  expect_input_error([] { parse_prediction_input(with(minimal(), "maxWorkerCount", 10001)); },
                     "predictionInput.maxWorkerCount", "at most 10000");
  EXPECT_EQ(parse_prediction_input(with(minimal(), "batchSize", 100000)).batch_size, 100000);
  expect_input_error([] { parse_prediction_input(with(minimal(), "batchSize", 100001)); }, "predictionInput.batchSize",
                     "at most 100000");
}

TEST(PredictionInput, EachRuleNamesItsField) {
  expect_input_error([] { parse_prediction_input(with(minimal(), "maxWorkerCount", 0)); },
                     "predictionInput.maxWorkerCount", "positive");
  expect_input_error([] { parse_prediction_input(with(minimal(), "maxWorkerCount", -2)); },
                     "predictionInput.maxWorkerCount", "positive");
  expect_input_error([] { parse_prediction_input(with(minimal(), "maxWorkerCount", 10001)); },
                     "predictionInput.maxWorkerCount", "at most 10000");
  expect_input_error([] { parse_prediction_input(with(minimal(), "batchSize", 0)); }, "predictionInput.batchSize",
                     "positive");
  expect_input_error([] { parse_prediction_input(with(minimal(), "dataFormat", "PARQUET")); },
                     "predictionInput.dataFormat", "must be one of");
  expect_input_error([] { parse_prediction_input(with(minimal(), "dataFormat", "DATA_FORMAT_UNSPECIFIED")); },
                     "predictionInput.dataFormat", "required");
  expect_input_error([] { parse_prediction_input(with(minimal(), "outputDataFormat", "TF_RECORD_GZIP")); },
                     "predictionInput.outputDataFormat", "input format only");
  expect_input_error([] { parse_prediction_input(with(minimal(), "inputPaths", json::array())); },
                     "predictionInput.inputPaths", "required");
  expect_input_error([] { parse_prediction_input(with(minimal(), "inputPaths", {"/data/*/x.json"})); },
                     "predictionInput.inputPaths[0]", "last part");
  expect_input_error([] { parse_prediction_input(with(minimal(), "inputPaths", {""})); },
                     "predictionInput.inputPaths[0]", "non-empty");
  expect_input_error([] { parse_prediction_input(with(minimal(), "outputPath", "")); }, "predictionInput.outputPath",
                     "required");
  expect_input_error([] { parse_prediction_input(with(minimal(), "inputPath", "x")); }, "predictionInput.inputPath",
                     "did you mean 'inputPaths'");
}

TEST(PredictionInput, TheModelIsAUnion) {
  json none = minimal();
  none.erase("uri");
  expect_input_error([&] { parse_prediction_input(none); }, "predictionInput.modelName", "required");
  expect_input_error([] { parse_prediction_input(with(minimal(), "modelName", "census")); }, "predictionInput.uri",
                     "union (model_version): modelName is set too");
  json by_version = with(none, "versionName", "projects/p/models/census/versions/v1");
  EXPECT_EQ(parse_prediction_input(by_version).version_name, "projects/p/models/census/versions/v1");
}

TEST(PredictionInput, CsvIsReadAndWrittenTfRecordOnlyRead) {
  EXPECT_EQ(parse_prediction_input(with(minimal(), "dataFormat", "CSV")).data_format, DataFormat::kCsv);
  EXPECT_EQ(parse_prediction_input(with(minimal(), "outputDataFormat", "CSV")).output_data_format, DataFormat::kCsv);
  EXPECT_EQ(parse_prediction_input(with(minimal(), "dataFormat", "TF_RECORD_GZIP")).data_format,
            DataFormat::kTfRecordGzip);
  EXPECT_FALSE(splittable(DataFormat::kTfRecordGzip));
  EXPECT_TRUE(splittable(DataFormat::kTfRecord));
}

TEST(PredictionInput, AJobSpecWithPredictionInput) {
  Job job = parse_job_spec(
      "jobId: score_1\nlabels: {team: vision}\npredictionInput:\n  uri: /m\n  dataFormat: TEXT\n"
      "  inputPaths: [0x10]\n  outputPath: /o\n",
      "t");
  ASSERT_TRUE(job.prediction_input);
  EXPECT_EQ(job.prediction_input->data_format, DataFormat::kText);
  EXPECT_EQ(job.prediction_input->input_paths, std::vector<std::string>{"0x10"});  // a path, as written
  EXPECT_TRUE(to_json(job).contains("predictionInput"));
  EXPECT_FALSE(to_json(job).contains("trainingInput"));
}

}  // namespace
}  // namespace mljob
