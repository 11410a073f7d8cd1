#include "jobs/prediction_submission.h"

#include <gtest/gtest.h>

#include "base/test_support.h"
#include "prediction/output_line.h"

namespace mljob::jobs {
namespace {

namespace fs = std::filesystem;
using testing::expect_input_error;
using testing::write_file;

class PredictionSubmission : public ::testing::Test {
 protected:
  fs::path at(const std::string& name) const { return scratch_.path() / name; }
  PredictionInput input() const {
    PredictionInput in;
    in.uri = at("model").string();
    in.input_paths = {(at("data") / "part-*.json").string()};
    in.output_path = at("out").string();
    return in;
  }
  tiers::TierCatalog catalog_;
  mljob::testing::ScratchFolder scratch_{"mljob-prediction"};
};

TEST_F(PredictionSubmission, AUriModelIsServedByWhatItsFilesCallFor) {
  write_file(at("model") / "model.joblib", "x");
  catalog_.runtimes["default"] = {"default", "python3", "", "", ""};
  ResolvedModel model = resolve_model(input(), catalog_);
  EXPECT_EQ(model.predictor, "sklearn");
  EXPECT_EQ(model.folder, at("model").string());
  write_file(at("model") / "model.pt", "x");
  expect_input_error([&] { resolve_model(input(), catalog_); }, "predictionInput.uri", "both");
  catalog_.runtimes["default"].predictor = "torchscript";  // the runtime decides
  EXPECT_EQ(resolve_model(input(), catalog_).predictor, "torchscript");
}

TEST_F(PredictionSubmission, ModelRulesNameTheirFields) {
  catalog_.runtimes["default"] = {"default", "python3", "", "", ""};
  fs::create_directories(at("model"));
  expect_input_error([&] { resolve_model(input(), catalog_); }, "predictionInput.uri", "holds no model");
  write_file(at("model") / "model.pkl", "x");
  PredictionInput in = input();
  in.signature_name = "serving_default";
  expect_input_error([&] { resolve_model(in, catalog_); }, "predictionInput.signatureName", "predict_proba");
  in.signature_name = "predict_proba";
  EXPECT_EQ(resolve_model(in, catalog_).predictor, "sklearn");
  in.uri = "s3://bucket/model";
  expect_input_error([&] { resolve_model(in, catalog_); }, "predictionInput.uri", "no storage prefix");
  catalog_.storage["s3://bucket/"] = at("").string();
  EXPECT_EQ(resolve_model(in, catalog_).folder, at("model").string());
  in = input();
  in.uri.clear();
  in.model_name = "census";
  expect_input_error([&] { resolve_model(in, catalog_); }, "predictionInput.modelName", "no model registry");
}

TEST_F(PredictionSubmission, TheRegistryResolvesModelsAndVersions) {
  catalog_.runtimes["default"] = {"default", "python3", "", "", ""};
  write_file(at("v1") / "model.joblib", "x");
  write_file(at("models.yaml"), "models:\n  census:\n    versions:\n      v1: {path: v1, predictor: sklearn}\n");
  catalog_.model_registry = at("models.yaml").string();
  PredictionInput in = input();
  in.uri.clear();
  in.model_name = "projects/lab/models/census";
  EXPECT_EQ(resolve_model(in, catalog_).folder, at("v1").string());
  in.model_name.clear();
  in.version_name = "projects/lab/models/census/versions/v2";
  expect_input_error([&] { resolve_model(in, catalog_); }, "predictionInput.versionName", "no version v2");
  in.version_name = "projects/lab/models/iris/versions/v1";
  expect_input_error([&] { resolve_model(in, catalog_); }, "predictionInput.versionName", "models: census");
}

TEST_F(PredictionSubmission, InputFilesAreExpandedSortedAndChecked) {
  write_file(at("data") / "part-2.json", "{}\n");
  write_file(at("data") / "part-10.json", "{}\n{}\n");
  write_file(at("data") / "other.json", "{}\n");
  std::vector<prediction::InputFile> files = find_input_files(input(), catalog_);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].path, (at("data") / "part-10.json").string());
  EXPECT_EQ(files[0].size, 6u);
  PredictionInput in = input();
  in.input_paths.push_back((at("data") / "nothing-*").string());
  expect_input_error([&] { find_input_files(in, catalog_); }, "predictionInput.inputPaths[1]", "matches no file");
  in.input_paths = {(at("data") / "absent.json").string()};
  expect_input_error([&] { find_input_files(in, catalog_); }, "predictionInput.inputPaths[0]", "is not a file");
}

TEST_F(PredictionSubmission, AnOutputFolderWithResultsIsRefused) {
  EXPECT_EQ(checked_output_folder(input(), catalog_), at("out"));  // made at submit, not here
  EXPECT_FALSE(fs::exists(at("out")));
  write_file(at("out") / prediction::shard_file_name("prediction.results", 0, 4), "");
  expect_input_error([&] { checked_output_folder(input(), catalog_); }, "predictionInput.outputPath",
                     "already holds results");
  EXPECT_EQ(prediction::shard_file_name("prediction.errors_stats", 3, 12), "prediction.errors_stats-00003-of-00012");
}

}  // namespace
}  // namespace mljob::jobs
