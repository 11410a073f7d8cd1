#include "tuner/study_command.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/test_support.h"

namespace mljob::tuner {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class StudyCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_ / "job.yaml") << R"(trainingInput:
  scaleTier: BASIC
  hyperparameters:
    goal: MAXIMIZE
    maxTrials: 4
    maxParallelTrials: 2
    params:
      - {parameterName: lr, type: DOUBLE, minValue: 0.001, maxValue: 0.1, scaleType: UNIT_LOG_SCALE}
      - {parameterName: opt, type: CATEGORICAL, categoricalValues: [adam, sgd]}
)";
  }

  int run(std::vector<std::string> args, const std::string& input = "") {
    std::istringstream in(input);
    out_.str("");
    err_.str("");
    return run_study_command(args, in, out_, err_);
  }
  std::vector<json> output_lines() const {
    std::vector<json> lines;
    std::istringstream text(out_.str());
    for (std::string line; std::getline(text, line);) lines.push_back(json::parse(line));
    return lines;
  }
  std::string study() const { return (dir_ / "study.json").string(); }
  std::string spec() const { return (dir_ / "job.yaml").string(); }

  mljob::testing::ScratchFolder scratch_{"mljob_study_test"};
  const fs::path& dir_ = scratch_.path();
  std::ostringstream out_, err_;
};

TEST_F(StudyCommand, InitAskTellShow) {
  ASSERT_EQ(run({"init", study(), "--spec", spec(), "--seed", "7"}), 0) << err_.str();
  ASSERT_EQ(run({"ask", study(), "--count", "5"}), 0) << err_.str();
  auto trials = output_lines();
  ASSERT_EQ(trials.size(), 2u);  // maxParallelTrials
  EXPECT_EQ(trials[0]["trialId"], "1");
  EXPECT_TRUE(trials[0]["parameters"]["lr"].is_number());
  EXPECT_EQ(trials[0]["args"].size(), 2u);
  ASSERT_EQ(run({"tell", study(), "--trial", "1", "--value", "0.7"}), 0) << err_.str();
  ASSERT_EQ(run({"tell", study()}, "{\"trialId\": \"2\", \"value\": 0.9}\n"), 0) << err_.str();
  ASSERT_EQ(run({"show", study()}), 0);
  json output = json::parse(out_.str());
  EXPECT_EQ(output["trials"][0]["trialId"], "2");  // MAXIMIZE: 0.9 first
  EXPECT_EQ(output["completedTrialCount"], "2");
}

TEST_F(StudyCommand, ReportAnswersWhetherToStop) {
  ASSERT_EQ(run({"init", study(), "--spec", spec()}), 0);
  ASSERT_EQ(run({"ask", study()}), 0);
  ASSERT_EQ(run({"report", study(), "--trial", "1", "--step", "10", "--value", "0.3"}), 0) << err_.str();
  EXPECT_EQ(output_lines()[0], (json{{"trialId", "1"}, {"shouldStop", false}}));
}

TEST_F(StudyCommand, BadInputExitsTwoAndChangesNothing) {
  ASSERT_EQ(run({"init", study(), "--spec", spec()}), 0);
  std::string before;
  std::getline(std::ifstream(study()), before, '\0');
  EXPECT_EQ(run({"tell", study(), "--trial", "9", "--value", "1"}), 2);
  EXPECT_NE(err_.str().find("trialId: value '9': is not a trial of this study"), std::string::npos) << err_.str();
  EXPECT_EQ(run({"init", study(), "--spec", spec()}), 2);
  EXPECT_NE(err_.str().find("already exists"), std::string::npos);
  EXPECT_EQ(run({"frobnicate"}), 2);
  std::string after;
  std::getline(std::ifstream(study()), after, '\0');
  EXPECT_EQ(before, after);

  std::ofstream(dir_ / "broken.json")
      << R"({"spec": {"params": [{"parameterName": "x", "type": "DOUBLE", "minValue": 0, "maxValue": 1}]}, "trials": [{"trialId": "one"}]})";
  EXPECT_EQ(run({"ask", (dir_ / "broken.json").string()}), 2);
  EXPECT_NE(err_.str().find("is not a study file"), std::string::npos) << err_.str();

  std::ofstream(dir_ / "bad.json")
      << R"({"params": [{"parameterName": "x", "type": "DOUBLE", "minValue": 2, "maxValue": 1}]})";
  EXPECT_EQ(run({"init", (dir_ / "other.json").string(), "--spec", (dir_ / "bad.json").string()}), 2);
  EXPECT_NE(err_.str().find("hyperparameters.params[0].maxValue: value '1': must be greater than minValue"),
            std::string::npos)
      << err_.str();
  EXPECT_FALSE(fs::exists(dir_ / "other.json"));
}

// Found by fuzz/study_protocol_fuzzer: {"failed": 0.5} threw nlohmann's type_error out of the
// protocol, an exit 1 (a failure of the system) for what is bad input (exit 2, field named).
TEST_F(StudyCommand, ResultFieldsOfTheWrongTypeAreBadInput) {
  for (const auto& [line, named] : std::vector<std::pair<std::string, std::string>>{
           {R"({"trialId": "1", "failed": 0.5})", "failed: value '0.5': must be true or false"},
           {R"({"trialId": "1", "step": 1, "value": 0.5, "final": "yes"})",
            "final: value '\"yes\"': must be true or false"},
           {R"({"trialId": "1", "failed": true, "reason": 7})", "reason: value '7': must be a string"}}) {
    SCOPED_TRACE(line);
    err_.str("");
    EXPECT_EQ(run({"serve", "--spec", spec()}, line + "\n"), 2);
    EXPECT_NE(err_.str().find(named), std::string::npos) << err_.str();
  }
}

TEST_F(StudyCommand, ServeFillsTheFreeSlotsAndEndsWithTheBestTrial) {
  std::string results =
      "{\"trialId\": \"1\", \"value\": 0.5}\n"
      "{\"trialId\": \"2\", \"step\": 3, \"value\": 0.1}\n"
      "{\"trialId\": \"2\", \"value\": 0.8, \"step\": 9, \"final\": true}\n"
      "{\"trialId\": \"3\", \"failed\": true, \"reason\": \"crashed\"}\n"
      "{\"trialId\": \"4\", \"value\": 0.6}\n";
  ASSERT_EQ(run({"serve", "--spec", spec(), "--study", study()}, results), 0) << err_.str();
  auto lines = output_lines();
  // Two suggestions at once, one after each freed slot, the stop decision, then the end.
  ASSERT_EQ(lines.size(), 6u) << out_.str();
  EXPECT_EQ(lines[0]["trialId"], "1");
  EXPECT_EQ(lines[1]["trialId"], "2");
  EXPECT_EQ(lines[2]["trialId"], "3");
  EXPECT_EQ(lines[3], (json{{"trialId", "2"}, {"shouldStop", false}}));
  EXPECT_EQ(lines[4]["trialId"], "4");
  EXPECT_EQ(lines[5]["done"], true);
  EXPECT_EQ(lines[5]["bestTrial"]["trialId"], "2");
  EXPECT_EQ(lines[5]["bestTrial"]["finalMetric"]["trainingStep"], "9");
  // The study file holds the whole story.
  ASSERT_EQ(run({"show", study()}), 0);
  json output = json::parse(out_.str());
  EXPECT_EQ(output["trials"][3]["state"], "FAILED");
  EXPECT_EQ(output["trials"][3]["errorMessage"], "crashed");
}

TEST_F(StudyCommand, ServeResumesFromItsStudyFile) {
  ASSERT_EQ(
      run({"serve", "--spec", spec(), "--study", study(), "--seed", "3"}, "{\"trialId\": \"1\", \"value\": 0.5}\n"), 0);
  auto first = output_lines();  // trials 1, 2 then 3: input ended with 2 and 3 running
  ASSERT_EQ(first.size(), 3u);
  ASSERT_EQ(run({"serve", "--study", study()},
                "{\"trialId\": \"2\", \"value\": 0.1}\n{\"trialId\": \"3\", \"value\": 0.2}\n"),
            0)
      << err_.str();
  auto second = output_lines();
  ASSERT_EQ(second.size(), 1u);  // trial 4 only: no trial asked twice
  EXPECT_EQ(second[0]["trialId"], "4");
  EXPECT_EQ(run({"tell", study()}, "{\"trialId\": \"4\", \"value\": 0.0}\n"), 0);
  ASSERT_EQ(run({"show", study()}), 0);
  EXPECT_EQ(json::parse(out_.str())["trials"].size(), 4u);
}

TEST_F(StudyCommand, ASageMakerTuningRequestWarmStartsFromItsParentsStudyFile) {
  std::ofstream(dir_ / "parent.json") << R"({"HyperParameterTuningJobConfig": {
      "Strategy": "Random", "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "acc"},
      "ResourceLimits": {"MaxNumberOfTrainingJobs": 3, "MaxParallelTrainingJobs": 3},
      "ParameterRanges": {"ContinuousParameterRanges": [{"Name": "lr", "MinValue": "0.001", "MaxValue": "0.1"}]}}})";
  std::string parent = (dir_ / "p.study").string(), child = (dir_ / "c.study").string();
  ASSERT_EQ(run({"init", parent, "--spec", (dir_ / "parent.json").string()}), 0) << err_.str();
  ASSERT_EQ(run({"ask", parent, "--count", "3"}), 0) << err_.str();
  for (const auto& line : output_lines()) {
    ASSERT_EQ(run({"tell", parent, "--trial", line["trialId"].get<std::string>(), "--value", "0.5"}), 0) << err_.str();
  }
  std::ofstream(dir_ / "child.json") << R"({"HyperParameterTuningJobConfig": {
      "Strategy": "Bayesian", "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "acc"},
      "ResourceLimits": {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 1},
      "ParameterRanges": {"ContinuousParameterRanges": [{"Name": "lr", "MinValue": "0.001", "MaxValue": "0.1"}]}},
    "WarmStartConfig": {"ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": "tune-1"}],
                        "WarmStartType": "IdenticalDataAndAlgorithm"}})";
  // The parent's study file must be named.
  EXPECT_EQ(run({"init", child, "--spec", (dir_ / "child.json").string()}), 2);
  EXPECT_NE(
      err_.str().find("WarmStartConfig.ParentHyperParameterTuningJobs[0].HyperParameterTuningJobName: value 'tune-1': "
                      "needs its study file: --parent tune-1=FILE"),
      std::string::npos)
      << err_.str();
  EXPECT_FALSE(fs::exists(child));
  ASSERT_EQ(run({"init", child, "--spec", (dir_ / "child.json").string(), "--parent", "tune-1=" + parent}), 0)
      << err_.str();
  ASSERT_EQ(run({"ask", child}), 0) << err_.str();
  auto asked = output_lines();
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0]["trialId"], "4");  // trials 1-3 are the parent's
}

}  // namespace
}  // namespace mljob::tuner
