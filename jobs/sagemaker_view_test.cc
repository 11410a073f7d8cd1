#include "jobs/sagemaker_view.h"

#include <gtest/gtest.h>

#include <fstream>

#include "base/test_support.h"

namespace mljob::jobs {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using mljob::testing::ScratchFolder;

TEST(SageMakerView, StatusesAsSageMakerReportsThem) {
  SageMakerPhases none;
  SageMakerPhases training = read_phases("Training 100\n");
  SageMakerPhases uploading = read_phases("Training 100\nUploading 160\n");
  SageMakerPhases warned = read_phases("Training 100\nSignalled 150\nUploading 160\nEnded 161 0\n");
  auto status = [](const std::string& state, const SageMakerPhases& phases, bool cancel = false, bool limit = false) {
    SageMakerStatus s = sagemaker_status(state, cancel, limit, phases);
    return s.status + "/" + s.secondary;
  };
  EXPECT_EQ(status("QUEUED", none), "InProgress/Starting");
  EXPECT_EQ(status("RUNNING", none), "InProgress/Downloading");
  EXPECT_EQ(status("RUNNING", training), "InProgress/Training");
  EXPECT_EQ(status("RUNNING", uploading), "InProgress/Uploading");
  EXPECT_EQ(status("SUCCEEDED", uploading), "Completed/Completed");
  EXPECT_EQ(status("FAILED", training), "Failed/Failed");
  EXPECT_EQ(status("CANCELLING", training, true), "Stopping/Stopping");
  EXPECT_EQ(status("CANCELLED", training, true), "Stopped/Stopped");
  // SageMaker's warning came: Stopped by MaxRuntimeExceeded, whatever the program did then.
  EXPECT_EQ(status("SUCCEEDED", warned), "Stopped/MaxRuntimeExceeded");
  EXPECT_EQ(status("FAILED", training, false, true), "Stopped/MaxRuntimeExceeded");  // Slurm's limit
  // A cancel signals the job's shell too: the user's StopTrainingJob, not the limit.
  EXPECT_EQ(status("CANCELLED", warned, true), "Stopped/Stopped");
  EXPECT_EQ(*warned.signalled, 150);
  EXPECT_EQ(*warned.exit_status, 0);
}

TEST(SageMakerView, DescribeTrainingJobFromTheResourceAndThePhases) {
  ScratchFolder folder("mljob-sagemaker-view");
  fs::create_directories(folder.path() / "sagemaker/output");
  std::ofstream(folder.path() / "sagemaker/phases")
      << "Training 1796400060\nUploading 1796400100\nEnded 1796400101 0\n";
  JobRecord record;
  record.folder = folder.path();
  record.front_door = {{"api", "sagemaker"},
                       {"request",
                        {{"TrainingJobName", "xgb-1"},
                         {"HyperParameters", {{"eta", "0.2"}}},
                         {"OutputDataConfig", {{"S3OutputPath", "s3://lab/models/"}}},
                         {"ResourceConfig", {{"InstanceType", "ml.m5.xlarge"}, {"InstanceCount", 2}}}}}};
  EXPECT_TRUE(is_sagemaker_job(record));
  json resource = {{"jobId", "xgb-1"},
                   {"state", "SUCCEEDED"},
                   {"createTime", "2026-12-04T10:00:00Z"},
                   {"startTime", "2026-12-04T10:00:30Z"},
                   {"endTime", "2026-12-04T10:01:45Z"},
                   {"FinalMetricDataList", json::array({{{"MetricName", "rmse"}, {"Value", 0.5}}})}};
  auto out = describe_training_job(resource, record);
  EXPECT_EQ(out["TrainingJobStatus"], "Completed");
  EXPECT_EQ(out["ModelArtifacts"]["S3ModelArtifacts"], "s3://lab/models/xgb-1/output/model.tar.gz");
  EXPECT_EQ(out["StoppingCondition"]["MaxRuntimeInSeconds"], 86400);  // SageMaker's default
  EXPECT_EQ(out["TrainingTimeInSeconds"], 75);
  EXPECT_EQ(out["HyperParameters"]["eta"], "0.2");
  EXPECT_EQ(out["FinalMetricDataList"][0]["MetricName"], "rmse");
  std::vector<std::string> statuses;
  for (const auto& t : out["SecondaryStatusTransitions"]) statuses.push_back(t["Status"]);
  EXPECT_EQ(statuses, (std::vector<std::string>{"Starting", "Downloading", "Training", "Uploading", "Completed"}));
  EXPECT_EQ(out["SecondaryStatusTransitions"][0]["EndTime"], "2026-12-04T10:00:30Z");
  EXPECT_EQ(training_job_summary(resource, record)["TrainingJobStatus"], "Completed");

  // A failed program's own words (/opt/ml/output/failure) are the FailureReason.
  std::ofstream(folder.path() / "sagemaker/phases") << "Training 1796400060\nEnded 1796400101 1\n";
  std::ofstream(folder.path() / "sagemaker/output/failure") << "ValueError: no rows\n";
  resource["state"] = "FAILED";
  out = describe_training_job(resource, record);
  EXPECT_EQ(out["TrainingJobStatus"], "Failed");
  EXPECT_EQ(out["FailureReason"], "ValueError: no rows");
  EXPECT_FALSE(out["ModelArtifacts"].contains("S3ModelArtifacts"));
}

}  // namespace
}  // namespace mljob::jobs
