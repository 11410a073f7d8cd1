#include "core/sagemaker_training.h"

#include <gtest/gtest.h>

#include "base/input_error.h"
#include "core/planner.h"

namespace mljob {
namespace {

using json = nlohmann::ordered_json;

tiers::TierCatalog catalog() {
  tiers::TierCatalog c;
  c.source = "test";
  tiers::MachineType m5;
  m5.name = "ml.m5.xlarge";
  m5.cpus = 4;
  m5.memory_mb = 16384;
  c.machine_types[m5.name] = m5;
  c.runtimes["default"] = {"default", "python3", "", "", ""};
  c.runtimes["sklearn"] = {"sklearn", "/opt/sk/bin/python", "module load sklearn", "", ""};
  c.images["123.dkr.ecr.us-east-1.amazonaws.com/xgb:1"] = {
      "123.dkr.ecr.us-east-1.amazonaws.com/xgb:1", {"python3", "-m", "lab.xgb_train"}, false, "default"};
  c.images["683313688378.dkr.ecr.*/sagemaker-scikit-learn:*"] = {"x", {}, true, "sklearn"};
  c.images["683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn*"] = {
      "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn*", {}, true, "sklearn"};
  c.storage["s3://lab-data/"] = "/lustre/lab-data/";
  c.storage["s3://lab-data/private/"] = "/secure/private/";
  return c;
}

json request() {
  return json::parse(R"j({
    "TrainingJobName": "xgb-2024-01-01",
    "RoleArn": "arn:aws:iam::123:role/SageMaker",
    "AlgorithmSpecification": {"TrainingImage": "123.dkr.ecr.us-east-1.amazonaws.com/xgb:1",
                               "TrainingInputMode": "File",
                               "MetricDefinitions": [{"Name": "rmse", "Regex": "rmse=([0-9.]+)"}]},
    "HyperParameters": {"max_depth": "5", "eta": "0.2"},
    "InputDataConfig": [
      {"ChannelName": "train", "ContentType": "text/csv",
       "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://lab-data/abalone/train",
                                       "S3DataDistributionType": "ShardedByS3Key"}}},
      {"ChannelName": "validation", "CompressionType": "None",
       "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://lab-data/abalone/validation/"}}}],
    "OutputDataConfig": {"S3OutputPath": "s3://lab-data/models/"},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 2, "VolumeSizeInGB": 5},
    "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    "Tags": [{"Key": "Project", "Value": "Abalone 2"}]
  })j");
}

SageMakerTraining parse(const json& r) {
  return parse_sagemaker_training(r, catalog(), {"/home/u/.mljob/jobs/J"});
}

// The error a request with `pointer` set to `value` gets (pointer "" + value null: removed).
std::string error_with(const std::string& pointer, const json& value, bool remove = false) {
  json r = request();
  if (remove)
    r.erase(pointer);
  else
    r[json::json_pointer(pointer)] = value;
  try {
    parse(r);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(SageMakerTraining, ARequestBecomesOneJobOfItsInstances) {
  SageMakerTraining t = parse(request());
  EXPECT_EQ(t.job.job_id, "xgb-2024-01-01");
  EXPECT_EQ(t.job.training_input.scale_tier, "CUSTOM");
  EXPECT_EQ(t.job.training_input.master_type, "ml.m5.xlarge");
  EXPECT_EQ(t.job.training_input.worker_type, "ml.m5.xlarge");
  EXPECT_EQ(t.job.training_input.worker_count, 1);
  EXPECT_EQ(*t.job.training_input.scheduling.max_running_seconds, 3600);
  EXPECT_EQ(t.job.labels.at("project"), "abalone_2");
  ASSERT_EQ(t.channels.size(), 2u);
  EXPECT_EQ(t.channels[0].local_path, "/lustre/lab-data/abalone/train");
  EXPECT_TRUE(t.channels[0].sharded);
  EXPECT_EQ(t.channels[1].local_path, "/lustre/lab-data/abalone/validation/");
  EXPECT_EQ(t.model_artifacts_uri, "s3://lab-data/models/xgb-2024-01-01/output/model.tar.gz");
  EXPECT_EQ(t.model_artifacts_path, "/lustre/lab-data/models/xgb-2024-01-01/output/model.tar.gz");
  EXPECT_EQ(t.job.metric_declarations["MetricDefinitions"][0]["Name"], "rmse");
  ASSERT_TRUE(t.job.launch);
  const Launch& launch = *t.job.launch;
  EXPECT_EQ(launch.api, "sagemaker");
  EXPECT_EQ(launch.request, request());
  EXPECT_EQ(launch.command, (std::vector<std::string>{"/bin/sh", "/home/u/.mljob/jobs/J/sagemaker/task.sh", "python3",
                                                      "-m", "lab.xgb_train"}));
  EXPECT_EQ(launch.term_seconds_before_end, 120);
  EXPECT_TRUE(launch.one_task_per_node);
  EXPECT_EQ(launch.environment[0],
            (std::pair<std::string, std::string>{"MLJOB_HPS", R"({"max_depth":"5","eta":"0.2"})"}));
  EXPECT_EQ(launch.environment[1].first, "MLJOB_CHANNEL_train");
  EXPECT_EQ(launch.environment[1].second, "/home/u/.mljob/jobs/J/sagemaker/input/data/train");
  // VolumeSizeInGB is accepted and said to have no effect.
  ASSERT_EQ(t.no_effect.size(), 1u);
  EXPECT_EQ(t.no_effect[0].field, "ResourceConfig.VolumeSizeInGB");
}

TEST(SageMakerTraining, ThePlanRunsEveryInstanceOnAHostOfItsOwnWithSageMakersWarning) {
  SageMakerTraining t = parse(request());
  SlurmPlan plan = plan_job(t.job, catalog(), {"/unused", {}});
  ASSERT_EQ(plan.components.size(), 1u);
  EXPECT_EQ(plan.components[0].tasks, 2);
  EXPECT_TRUE(plan.components[0].one_task_per_node);
  EXPECT_EQ(plan.components[0].time_limit, "0-01:00:00");
  EXPECT_EQ(plan.term_seconds_before_end, 120);
  EXPECT_EQ(plan.job_dir, "/home/u/.mljob/jobs/J/sagemaker");
  EXPECT_EQ(plan.working_dir, "/home/u/.mljob/jobs/J/sagemaker");
  EXPECT_EQ(plan.command[0], "/bin/sh");
  EXPECT_FALSE(plan.after_step.empty());
}

TEST(SageMakerTraining, ScriptModeRunsTheEntryPointWithTheHyperparametersAsArguments) {
  json r = request();
  r["AlgorithmSpecification"]["TrainingImage"] =
      "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:0.23-1-cpu-py3";
  r["HyperParameters"] = {{"sagemaker_program", "\"train.py\""},
                          {"sagemaker_submit_directory", "\"s3://lab-data/code/sourcedir.tar.gz\""},
                          {"n_estimators", "10"}};
  SageMakerTraining t = parse(r);
  EXPECT_EQ(t.entry_point, "train.py");
  EXPECT_EQ(t.code_source, "/lustre/lab-data/code/sourcedir.tar.gz");
  EXPECT_EQ(t.job.training_input.runtime_version, "sklearn");
  std::vector<std::string> program(t.job.launch->command.begin() + 2, t.job.launch->command.end());
  EXPECT_EQ(program, (std::vector<std::string>{"/opt/sk/bin/python", "train.py", "--n_estimators", "10"}));
  EXPECT_EQ(t.job.launch->working_dir, "/home/u/.mljob/jobs/J/sagemaker/code");
}

// SageMaker's own limits on a request (docs/reliability.md), each at the limit and one past it.
TEST(SageMakerTraining, TheRequestsLimitsAreAcceptedAtTheLimitAndRefusedPastIt) {
  auto hyperparameters = [](std::size_t count, std::size_t key_length, std::size_t value_length) {
    json given = json::object();
    for (std::size_t i = 0; i < count; ++i) {
      std::string key = std::to_string(i);
      given[key + std::string(key_length - key.size(), 'k')] = std::string(value_length, 'v');
    }
    return given;
  };
  auto tags = [](std::size_t count) {
    json list = json::array();
    for (std::size_t i = 0; i < count; ++i) list.push_back({{"Key", "k" + std::to_string(i)}, {"Value", "v"}});
    return list;
  };
  auto environment = [](std::size_t count) {
    json given = json::object();
    for (std::size_t i = 0; i < count; ++i) given["VAR_" + std::to_string(i)] = "x";
    return given;
  };
  auto channels = [](std::size_t count) {
    json list = json::array();
    for (std::size_t i = 0; i < count; ++i) {
      list.push_back({{"ChannelName", "c" + std::to_string(i)},
                      {"DataSource", {{"S3DataSource", {{"S3DataType", "S3Prefix"}, {"S3Uri", "s3://lab-data/c/"}}}}}});
    }
    return list;
  };
  struct Case {
    std::string pointer;
    json at, past;
    std::string refusal;
  };
  for (const auto& [pointer, at, past, refusal] : std::vector<Case>{
           {"/HyperParameters", hyperparameters(kMaxSageMakerHyperParameters, 8, 1),
            hyperparameters(kMaxSageMakerHyperParameters + 1, 8, 1), "HyperParameters"},
           {"/HyperParameters", hyperparameters(1, kMaxHyperParameterKeyLength, 1),
            hyperparameters(1, kMaxHyperParameterKeyLength + 1, 1), "HyperParameters"},
           {"/HyperParameters", hyperparameters(1, 4, kMaxHyperParameterValueLength),
            hyperparameters(1, 4, kMaxHyperParameterValueLength + 1), "HyperParameters"},
           {"/Tags", tags(kMaxSageMakerTags), tags(kMaxSageMakerTags + 1), "Tags: value '51 tags': at most 50"},
           {"/Environment", environment(kMaxSageMakerEnvironment), environment(kMaxSageMakerEnvironment + 1),
            "Environment"},
           {"/InputDataConfig", channels(kMaxSageMakerChannels), channels(kMaxSageMakerChannels + 1),
            "InputDataConfig"}}) {
    SCOPED_TRACE(pointer + " " + refusal);
    EXPECT_EQ(error_with(pointer, at), "(accepted)");
    std::string error = error_with(pointer, past);
    EXPECT_EQ(error.rfind(refusal, 0), 0u) << error;
  }
}

// Found by fuzz/sagemaker_training_fuzzer: a number past a double's range made nlohmann throw
// out_of_range, which is not a parse_error, out of the parser.
TEST(SageMakerTraining, ARequestThatIsNotJsonOrTooDeepIsRefused) {
  for (const char* text : {"{\"MaxRuntimeInSeconds\": 1e999}", "{\"a\": ",
                           "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                           "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}) {
    SCOPED_TRACE(text);
    try {
      parse_sagemaker_training_text(text, "request.json", catalog(), {"/home/u/.mljob/jobs/J"});
      ADD_FAILURE() << "accepted";
    } catch (const InputError& error) {
      EXPECT_EQ(error.field(), "request.json");
      EXPECT_NE(error.rule().find("(a CreateTrainingJob request)"), std::string::npos) << error.what();
    }
  }
}

TEST(SageMakerTraining, TheLongestStoragePrefixMaps) {
  json r = request();
  r["OutputDataConfig"]["S3OutputPath"] = "s3://lab-data/private/out";
  EXPECT_EQ(parse(r).model_artifacts_path, "/secure/private/out/xgb-2024-01-01/output/model.tar.gz");
}

TEST(SageMakerTraining, EveryRefusalNamesTheFieldTheValueAndTheRule) {
  EXPECT_NE(error_with("/TrainingJobName", "my_job").find("TrainingJobName: value 'my_job': must match"),
            std::string::npos);
  EXPECT_NE(error_with("/TrainingJobName", "-a").find("must match"), std::string::npos);
  EXPECT_NE(error_with("/TrainingJobName", std::string(64, 'a')).find("must match"), std::string::npos);
  EXPECT_NE(error_with("/AlgorithmSpecification/TrainingImage", "unknown:1")
                .find("AlgorithmSpecification.TrainingImage: value 'unknown:1': is not mapped by this site's tier "
                      "catalog (images: 123.dkr.ecr.us-east-1.amazonaws.com/xgb:1"),
            std::string::npos);
  EXPECT_NE(error_with("/AlgorithmSpecification/TrainingInputMode", "Pipe").find("Pipe mode streams"),
            std::string::npos);
  EXPECT_NE(error_with("/InputDataConfig/0/DataSource/S3DataSource/S3Uri", "s3://other/x")
                .find("InputDataConfig[0].DataSource.S3DataSource.S3Uri: value 's3://other/x': no storage prefix of "
                      "this site maps s3://other/ to the cluster's file systems (mapped: s3://lab-data/, "
                      "s3://lab-data/private/)"),
            std::string::npos);
  EXPECT_NE(error_with("/InputDataConfig/0/DataSource/S3DataSource/S3Uri", "s3://lab-data/../etc").find("'..' segment"),
            std::string::npos);
  EXPECT_NE(error_with("/InputDataConfig/1/CompressionType", "Gzip").find("only in Pipe mode"), std::string::npos);
  EXPECT_NE(error_with("/InputDataConfig/1/ChannelName", "TRAIN").find("another channel"), std::string::npos);
  EXPECT_NE(error_with("/InputDataConfig/1/ChannelName", "a/b").find("must be 1 to 64"), std::string::npos);
  EXPECT_NE(
      error_with("/InputDataConfig/0/DataSource/S3DataSource/S3DataType", "AugmentedManifestFile").find("Pipe mode"),
      std::string::npos);
  EXPECT_NE(error_with("/ResourceConfig/InstanceCount", 0)
                .find("ResourceConfig.InstanceCount: value '0': must be "
                      "between 1 and 1000"),
            std::string::npos);
  EXPECT_NE(error_with("/ResourceConfig/InstanceGroups", json::array()).find("heterogeneous"), std::string::npos);
  EXPECT_NE(error_with("/StoppingCondition/MaxRuntimeInSeconds", 0).find("must be between 1 and 2419200"),
            std::string::npos);
  EXPECT_NE(error_with("/StoppingCondition/MaxWaitTimeInSeconds", 7200).find("managed spot"), std::string::npos);
  EXPECT_NE(error_with("/HyperParameters/eta", 0.2).find("HyperParameters.eta: value '0.2': must be a string"),
            std::string::npos);
  EXPECT_NE(error_with("/Environment", json{{"SLURM_JOB_ID", "1"}}).find("set by mljob or Slurm"), std::string::npos);
  EXPECT_NE(error_with("/EnableNetworkIsolation", true).find("does not cut a job off"), std::string::npos);
  EXPECT_NE(error_with("/DebugHookConfig", json::object()).find("SageMaker Debugger"), std::string::npos);
  EXPECT_NE(error_with("/RoleArn", "${role}").find("template placeholder"), std::string::npos);
  EXPECT_NE(error_with("/ResorceConfig", json::object()).find("did you mean 'ResourceConfig'"), std::string::npos);
  EXPECT_NE(error_with("OutputDataConfig", nullptr, true).find("OutputDataConfig: value '': is required"),
            std::string::npos);
  EXPECT_NE(error_with("/CheckpointConfig", json{{"S3Uri", "s3://lab-data/ck"}, {"LocalPath", "/tmp/x"}})
                .find("CheckpointConfig.LocalPath: value '/tmp/x': must be a folder under /opt/ml/"),
            std::string::npos);
}

TEST(SageMakerTraining, ScriptModeNeedsItsEntryPoint) {
  json r = request();
  r["AlgorithmSpecification"]["TrainingImage"] =
      "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1";
  EXPECT_THROW(
      {
        try {
          parse(r);
        } catch (const InputError& e) {
          EXPECT_EQ(e.field(), "HyperParameters.sagemaker_program");
          throw;
        }
      },
      InputError);
}

TEST(SageMakerTraining, ATuningStudysTrialIsTheDefinitionsRequestWithItsHyperparameters) {
  json definition = request();
  definition.erase("TrainingJobName");
  definition.erase("HyperParameters");
  definition.erase("Tags");
  definition["StaticHyperParameters"] = {{"eta", "0.2"}};
  definition["HyperParameterRanges"] = json::object();
  definition["DefinitionName"] = "d";
  json trial = sagemaker_trial_request(definition, "tune-1_trial_3", {{"max_depth", "7"}, {"eta", "0.2"}});
  EXPECT_EQ(trial["TrainingJobName"], "tune-1_trial_3");
  EXPECT_EQ(trial["HyperParameters"], (json{{"max_depth", "7"}, {"eta", "0.2"}}));
  EXPECT_EQ(trial["InputDataConfig"], request()["InputDataConfig"]);
  for (const char* tuning_only : {"StaticHyperParameters", "HyperParameterRanges", "DefinitionName"})
    EXPECT_FALSE(trial.contains(tuning_only)) << tuning_only;
  // The study names it: <study>_trial_<n> is not SageMaker's rule, and is taken from a study only.
  SageMakerTraining parsed = parse_sagemaker_training(trial, catalog(), {"/jobs/tune-1_trial_3", true});
  EXPECT_EQ(parsed.model_artifacts_uri, "s3://lab-data/models/tune-1_trial_3/output/model.tar.gz");
  EXPECT_THROW(parse_sagemaker_training(trial, catalog(), {"/jobs/x", false}), InputError);
  trial["TrainingJobName"] = "tune-1_trial_x";
  EXPECT_THROW(parse_sagemaker_training(trial, catalog(), {"/jobs/x", true}), InputError);
}

TEST(SageMakerTraining, TheTaskScriptGivesEachHostItsOwnRootAndChannels) {
  std::string script = sagemaker_task_script(parse(request()));
  EXPECT_NE(script.find("root='/home/u/.mljob/jobs/J/sagemaker'"), std::string::npos);
  EXPECT_NE(script.find("ml=\"$root/hosts/${SLURM_NODEID:-0}\""), std::string::npos);
  EXPECT_NE(script.find("exec env \"SM_CHANNEL_TRAIN=$ml/input/data/train\" "
                        "\"SM_CHANNEL_VALIDATION=$ml/input/data/validation\" \"$@\""),
            std::string::npos);
}

}  // namespace
}  // namespace mljob
