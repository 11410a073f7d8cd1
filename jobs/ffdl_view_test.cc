#include "jobs/ffdl_view.h"

#include <gtest/gtest.h>

namespace mljob::jobs {
namespace {

JobRecord ffdl_record() {
  JobRecord record;
  record.job = {{"jobId", "training-Ab3dE5gH7"}};
  record.folder = "/home/alice/.mljob/jobs/training-Ab3dE5gH7";
  record.front_door = {
      {"api", "ffdl"},
      {"request",
       {{"name", "mnist"},
        {"description", "a small model"},
        {"version", "1.0"},
        {"gpus", 0},
        {"memory", "1GiB"},
        {"learners", 2},
        {"data_stores",
         {{{"id", "lab"},
           {"type", "s3_datastore"},
           {"training_data", {{"container", "lab-data"}}},
           {"connection", {{"auth_url", "http://s3"}, {"user_name", "alice"}, {"password", "(not kept)"}}}}}},
        {"framework", {{"name", "custom"}, {"version", "1"}, {"command", "python3 train.py"}}}}}};
  return record;
}

nlohmann::json resource(const std::string& state) {
  return {{"jobId", "training-Ab3dE5gH7"},
          {"state", state},
          {"createTime", "2026-01-02T03:04:05Z"},
          {"endTime", "2026-01-02T03:14:05Z"},
          {"errorMessage", "The replica master 0 exited with a non-zero status of 3."}};
}

TEST(FfdlView, StatusesFromTheJobResourcesState) {
  FfdlPhases none;
  FfdlPhases processing = read_ffdl_phases("Processing 100\n");
  FfdlPhases ended = read_ffdl_phases("Processing 100\nEnded 120 0\n");
  EXPECT_EQ(ffdl_status("QUEUED", false, none), "PENDING");
  EXPECT_EQ(ffdl_status("PREPARING", false, none), "PENDING");
  EXPECT_EQ(ffdl_status("RUNNING", false, none), "DOWNLOADING");
  EXPECT_EQ(ffdl_status("RUNNING", false, processing), "PROCESSING");
  EXPECT_EQ(ffdl_status("RUNNING", false, ended), "STORING");
  EXPECT_EQ(ffdl_status("SUCCEEDED", false, ended), "COMPLETED");
  EXPECT_EQ(ffdl_status("FAILED", false, ended), "FAILED");
  EXPECT_EQ(ffdl_status("CANCELLING", true, processing), "HALTED");
  EXPECT_EQ(ffdl_status("CANCELLED", true, processing), "HALTED");
  EXPECT_EQ(ffdl_status("RUNNING", true, processing), "HALTED");     // the halt answered at once
  EXPECT_EQ(ffdl_status("CANCELLED", false, processing), "FAILED");  // ended by someone else
  EXPECT_EQ(ffdl_status("SUCCEEDED", true, ended), "COMPLETED");     // it ended before the halt came
}

TEST(FfdlView, ReadsThePhasesFile) {
  FfdlPhases phases = read_ffdl_phases("Processing 100\nEnded 120 3\n");
  EXPECT_EQ(phases.processing, 100);
  EXPECT_EQ(phases.ended, 120);
  EXPECT_EQ(phases.exit_status, 3);
  EXPECT_FALSE(read_ffdl_phases("").processing);
  EXPECT_FALSE(read_ffdl_phases("garbage\nProcessing x\n").processing);
}

TEST(FfdlView, GetTrainingJobsShape) {
  nlohmann::ordered_json model = ffdl_model(resource("SUCCEEDED"), ffdl_record(), read_ffdl_phases("Ended 1 0\n"));
  EXPECT_EQ(model["model_id"], "training-Ab3dE5gH7");
  EXPECT_EQ(model["name"], "mnist");
  EXPECT_EQ(model["description"], "a small model");
  EXPECT_EQ(model["location"], "/v1/models/training-Ab3dE5gH7");
  EXPECT_EQ(model["framework"], (nlohmann::ordered_json{{"name", "custom"}, {"version", "1"}}));
  const auto& training = model["training"];
  EXPECT_EQ(training["command"], "python3 train.py");
  EXPECT_EQ(training["cpus"], 5);  // FfDL's default
  EXPECT_EQ(training["gpus"], 0);
  EXPECT_EQ(training["memory"], 1024);
  EXPECT_EQ(training["memory_unit"], "MiB");
  EXPECT_EQ(training["learners"], 2);
  EXPECT_EQ(training["input_data"], nlohmann::ordered_json::array({"lab"}));
  EXPECT_EQ(training["training_status"]["status"], "COMPLETED");
  EXPECT_EQ(training["training_status"]["submitted"], "2026-01-02T03:04:05Z");
  EXPECT_EQ(training["training_status"]["completed"], "2026-01-02T03:14:05Z");
  EXPECT_FALSE(training["training_status"].contains("error_code"));
  const auto& store = model["data_stores"][0];
  EXPECT_EQ(store["data_store_id"], "lab");
  EXPECT_EQ(store["type"], "s3_datastore");
  EXPECT_EQ(store["connection"]["auth_url"], "http://s3");
  EXPECT_EQ(store["connection"]["user_name"], "(not shown)");
  EXPECT_EQ(store["connection"]["password"], "(not shown)");
}

TEST(FfdlView, AFailedTrainingSaysWhy) {
  nlohmann::ordered_json model = ffdl_model(resource("FAILED"), ffdl_record(), read_ffdl_phases("Ended 1 3\n"));
  const auto& status = model["training"]["training_status"];
  EXPECT_EQ(status["status"], "FAILED");
  EXPECT_EQ(status["error_code"], "3");
  EXPECT_EQ(status["status_message"], "The replica master 0 exited with a non-zero status of 3.");
}

TEST(FfdlView, AHaltedTrainingIsCompletedOnlyOnceSlurmEndedIt) {
  JobRecord record = ffdl_record();
  record.front_door["halted"] = true;
  auto halting = ffdl_model(resource("CANCELLING"), record, {});
  EXPECT_EQ(halting["training"]["training_status"]["status"], "HALTED");
  EXPECT_FALSE(halting["training"]["training_status"].contains("completed"));
  auto halted = ffdl_model(resource("CANCELLED"), record, {});
  EXPECT_EQ(halted["training"]["training_status"]["completed"], "2026-01-02T03:14:05Z");
}

TEST(FfdlView, FoldersKeptInTheRecordOrFfdlsLayout) {
  JobRecord record = ffdl_record();
  EXPECT_EQ(model_dir_of(record), record.folder / "model-definition");
  EXPECT_EQ(result_dir_of(record), record.folder / "results" / "training-Ab3dE5gH7");
  FfdlFolders folders;
  folders.model_dir = "/m";
  folders.result_dir = "/lab/results/training-Ab3dE5gH7";
  record.front_door["folders"] = ffdl_folders_json(folders);
  EXPECT_EQ(model_dir_of(record), "/m");
  EXPECT_EQ(result_dir_of(record), "/lab/results/training-Ab3dE5gH7");
  EXPECT_TRUE(is_ffdl_job(record));
  record.front_door["api"] = "sagemaker";
  EXPECT_FALSE(is_ffdl_job(record));
}

}  // namespace
}  // namespace mljob::jobs
