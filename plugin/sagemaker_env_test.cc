#include "sagemaker_env.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "environment_limits.h"
#include "test_environment.h"
#include "test_messages.h"

namespace mljob::plugin {
namespace {

using test_support::hostile_value;
using test_support::is_one_safe_line;
using test_support::lookup_in;
using test_support::Variables;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::ThrowsMessage;
using Json = nlohmann::json;

std::map<std::string, std::string> as_map(const std::vector<std::pair<std::string, std::string>>& variables) {
  return {variables.begin(), variables.end()};
}

SageMakerJob job_of(const Variables& environment, std::vector<std::string_view> entries = {},
                    std::vector<std::string> hosts = {"n3", "n1", "n2", "n1"}, std::string master = "n2") {
  return make_sagemaker_job(hosts, master, 77, lookup_in(environment), entries);
}

SageMakerTask task_on(std::string host, unsigned gpus = 0, unsigned cpus = 4,
                      std::optional<std::string> cwd = "/home/u/run") {
  return SageMakerTask{
      .current_host = std::move(host), .num_gpus = gpus, .num_cpus = cpus, .working_directory = std::move(cwd)};
}

// --- hyperparameters -----------------------------------------------------------------

TEST(SageMakerHyperparameters, UnsetIsAnEmptyObjectWithoutWarning) {
  const Hyperparameters hps = parse_hyperparameters(std::nullopt);
  EXPECT_EQ(hps.values, nlohmann::ordered_json::object());
  EXPECT_FALSE(hps.warning.has_value());
}

TEST(SageMakerHyperparameters, AnObjectIsKeptAsWrittenKeyOrderIncluded) {
  const Hyperparameters hps =
      parse_hyperparameters(R"({"epochs": 3, "lr": 0.1, "arch": "resnet", "aug": {"flip": true}})");
  EXPECT_FALSE(hps.warning.has_value());
  EXPECT_EQ(hps.values.dump(), R"({"epochs":3,"lr":0.1,"arch":"resnet","aug":{"flip":true}})");
}

TEST(SageMakerHyperparameters, AnythingButAnObjectGivesEmptyAndAWarning) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "is not valid JSON"},
      {"{", "is not valid JSON"},
      {"epochs=3", "is not valid JSON"},
      {R"({"a": 1} trailing)", "is not valid JSON"},
      {"[1, 2]", "is a JSON array, not an object"},
      {"3", "is a JSON number, not an object"},
      {R"("text")", "is a JSON string, not an object"},
      {"null", "is a JSON null, not an object"},
      {"{\"bad\": \"\xff\"}", "is not valid JSON"},  // not UTF-8
  };
  for (const auto& [text, why] : cases) {
    const Hyperparameters hps = parse_hyperparameters(text);
    EXPECT_EQ(hps.values, nlohmann::ordered_json::object()) << text;
    ASSERT_TRUE(hps.warning.has_value()) << text;
    EXPECT_THAT(*hps.warning, HasSubstr(why)) << text;
    EXPECT_THAT(*hps.warning, HasSubstr("SM_HPS and the hyperparameters of SM_TRAINING_ENV are {}"));
  }
}

TEST(SageMakerHyperparameters, BoundsOnSizeAndNesting) {
  std::string deep = R"({"a":)";
  for (unsigned i = 0; i < kMaxHyperparametersDepth; ++i) deep += "[";
  for (unsigned i = 0; i < kMaxHyperparametersDepth; ++i) deep += "]";
  deep += "}";
  EXPECT_THAT(*parse_hyperparameters(deep).warning, HasSubstr("nested more than 64 levels"));
  // Brackets inside strings are text, not nesting.
  const std::string brackets = R"({"a": ")" + std::string(1000, '[') + R"("})";
  EXPECT_FALSE(parse_hyperparameters(brackets).warning.has_value());
  const std::string big = R"({"a": ")" + std::string(kMaxHyperparametersText, 'x') + R"("})";
  EXPECT_THAT(*parse_hyperparameters(big).warning, HasSubstr("more than 65536"));
}

// --- channels --------------------------------------------------------------------------

TEST(SageMakerChannels, FromMljobChannelVariables) {
  const std::vector<std::string_view> entries = {"PATH=/usr/bin", "MLJOB_CHANNEL_TRAINING=/data/train",
                                                 "MLJOB_CHANNEL_eval=/data/eval", "MLJOB_CHANNELS=x",
                                                 "MLJOB_CHANNEL_my-set.v2=/data/v2=odd"};
  const Channels channels = channels_from_environment(entries);
  EXPECT_THAT(channels.warnings, IsEmpty());
  EXPECT_THAT(channels.channels, ElementsAre(Channel{"eval", "SM_CHANNEL_EVAL", "/data/eval"},
                                             Channel{"my-set.v2", "SM_CHANNEL_MY-SET.V2", "/data/v2=odd"},
                                             Channel{"training", "SM_CHANNEL_TRAINING", "/data/train"}));
}

TEST(SageMakerChannels, BadEntriesAreLeftOutWithAWarning) {
  const std::vector<std::string_view> entries = {"MLJOB_CHANNEL_=/x",        "MLJOB_CHANNEL_a b=/x",
                                                 "MLJOB_CHANNEL_EMPTY=",     "MLJOB_CHANNEL_train=/one",
                                                 "MLJOB_CHANNEL_TRAIN=/two", "MLJOB_CHANNEL_NOVALUE"};
  const Channels channels = channels_from_environment(entries);
  // "MLJOB_CHANNEL_TRAIN" sorts before "MLJOB_CHANNEL_train": it takes the channel.
  EXPECT_THAT(channels.channels, ElementsAre(Channel{"train", "SM_CHANNEL_TRAIN", "/two"}));
  EXPECT_THAT(channels.warnings, ElementsAre(HasSubstr("\"MLJOB_CHANNEL_\" ignored: a channel name is 1 to 64"),
                                             HasSubstr("MLJOB_CHANNEL_EMPTY ignored: it is empty"),
                                             HasSubstr("\"MLJOB_CHANNEL_a b\" ignored"),
                                             HasSubstr("MLJOB_CHANNEL_train ignored: MLJOB_CHANNEL_TRAIN already "
                                                       "names channel \"train\"")));
}

TEST(SageMakerChannels, AtMost256AndFewWarnings) {
  std::vector<std::string> storage;
  for (int i = 0; i < 300; ++i) storage.push_back("MLJOB_CHANNEL_C" + std::to_string(1000 + i) + "=/d");
  for (int i = 0; i < 20; ++i) storage.push_back("MLJOB_CHANNEL_B" + std::to_string(i) + "=");
  const std::vector<std::string_view> entries(storage.begin(), storage.end());
  const Channels channels = channels_from_environment(entries);
  EXPECT_EQ(channels.channels.size(), kMaxChannels);
  EXPECT_EQ(channels.warnings.size(), 9u);
  EXPECT_THAT(channels.warnings.back(), HasSubstr("and 13 more MLJOB_CHANNEL_* variable(s)"));
}

// --- GPUs and CPUs ---------------------------------------------------------------------

TEST(SageMakerDevices, GpusAreTheEntriesOfCudaVisibleDevices) {
  EXPECT_EQ(count_visible_gpus(std::nullopt), 0u);
  EXPECT_EQ(count_visible_gpus(""), 0u);
  EXPECT_EQ(count_visible_gpus("NoDevFiles"), 0u);
  EXPECT_EQ(count_visible_gpus("0"), 1u);
  EXPECT_EQ(count_visible_gpus("0,1,2,3"), 4u);
  EXPECT_EQ(count_visible_gpus("GPU-8f6c1e2a-0000,MIG-1234"), 2u);
  EXPECT_EQ(count_visible_gpus(",0,,1,"), 2u);
}

TEST(SageMakerDevices, CpusFromSlurmElseTheAffinityMask) {
  EXPECT_EQ(cpus_of_task("6", 2).count, 6u);
  EXPECT_FALSE(cpus_of_task("6", 2).warning.has_value());
  EXPECT_EQ(cpus_of_task(std::nullopt, 12).count, 12u);
  EXPECT_FALSE(cpus_of_task(std::nullopt, 12).warning.has_value());
  for (const char* bad : {"", "0", "-1", "4x", "four", "99999999999"}) {
    const CpuCount cpus = cpus_of_task(bad, 3);
    EXPECT_EQ(cpus.count, 3u) << bad;
    ASSERT_TRUE(cpus.warning.has_value()) << bad;
    EXPECT_THAT(*cpus.warning, HasSubstr("SLURM_CPUS_PER_TASK=\"")) << bad;
  }
  const CpuCount unknown = cpus_of_task(std::nullopt, 0);
  EXPECT_EQ(unknown.count, 1u);
  EXPECT_THAT(*unknown.warning, HasSubstr("could not be counted"));
}

// The warnings reach the user's output: what the job's environment holds is shown escaped.
TEST(SageMakerWarnings, ShowHostileValuesEscapedOnOneShortLine) {
  const std::string value = hostile_value();
  const CpuCount cpus = cpus_of_task(value, 3);
  ASSERT_TRUE(cpus.warning.has_value());
  EXPECT_TRUE(is_one_safe_line(*cpus.warning, 1024));
  EXPECT_THAT(*cpus.warning, HasSubstr(R"(SLURM_CPUS_PER_TASK="bad\nslurmstepd: error: forged)"));

  const Hyperparameters hps = parse_hyperparameters("{\n" + value.substr(0, 60000));
  ASSERT_TRUE(hps.warning.has_value());
  EXPECT_TRUE(is_one_safe_line(*hps.warning, 1024));
  EXPECT_THAT(*hps.warning, HasSubstr(R"(MLJOB_HPS="{\nbad\nslurmstepd: error: forged)"));

  const std::string entry = "MLJOB_CHANNEL_x\x1b]2;" + std::string(5000, 't') + "=/data";
  const std::vector<std::string_view> entries = {entry};
  const Channels channels = channels_from_environment(entries);
  ASSERT_EQ(channels.warnings.size(), 1u);
  EXPECT_TRUE(is_one_safe_line(channels.warnings[0], 1024));
  EXPECT_THAT(channels.warnings[0], HasSubstr(R"("MLJOB_CHANNEL_x\x1b]2;ttt)"));
}

// --- the job and its tasks -----------------------------------------------------------

TEST(SageMakerJob, HostsAreSortedOnceEachAsSageMakerSortsThem) {
  const SageMakerJob job = job_of({}, {}, {"n10", "n9", "n1", "n10", "gpu-2"});
  EXPECT_THAT(job.hosts, ElementsAre("gpu-2", "n1", "n10", "n9"));  // lexicographic
  EXPECT_EQ(job.hosts_text, R"(["gpu-2","n1","n10","n9"])");
}

TEST(SageMakerJob, MasterHostDefaultsToTheFirstHost) {
  EXPECT_EQ(job_of({}, {}, {"n2", "n1"}, "").master_host, "n1");
  EXPECT_EQ(job_of({}, {}, {"n2", "n1"}, "n2").master_host, "n2");
}

TEST(SageMakerJob, JobNameIsSlurmsElseTheJobId) {
  EXPECT_EQ(job_of({{"SLURM_JOB_NAME", "my_job_1"}}).job_name, "my_job_1");
  EXPECT_EQ(job_of({}).job_name, "77");
}

TEST(SageMakerJob, RefusesAStepWithoutHosts) {
  EXPECT_THAT([] { job_of({}, {}, {}); }, ThrowsMessage<std::invalid_argument>(HasSubstr("the step has no host")));
}

TEST(SageMakerJob, RefusesATrainingEnvironmentTooLargeForLinux) {
  std::vector<std::string> hosts;
  for (int i = 0; i < 3000; ++i) hosts.push_back("a-rather-long-node-name-" + std::to_string(i));
  EXPECT_THAT([&] { job_of({}, {}, hosts, ""); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("SM_TRAINING_ENV would take")));
  EXPECT_NO_THROW(job_of({}, {}, std::vector<std::string>(hosts.begin(), hosts.begin() + 1000), ""));
}

TEST(SageMakerTask, EveryVariableOfATask) {
  const std::vector<std::string_view> entries = {"MLJOB_CHANNEL_TRAINING=/data/train", "MLJOB_CHANNEL_test=/data/test"};
  const SageMakerJob job = job_of(
      {{"MLJOB_HPS", R"({"epochs": 2, "lr": 0.01})"}, {"MLJOB_JOB_DIR", "/scratch/jobs/j1/"}, {"SLURM_JOB_NAME", "j1"}},
      entries);
  EXPECT_THAT(job.warnings, IsEmpty());
  const auto variables = sagemaker_variables(job, task_on("n2", 2, 8, std::nullopt));
  std::vector<std::string> names;
  for (const auto& [name, value] : variables) names.push_back(name);
  EXPECT_THAT(names, ElementsAre("SM_HOSTS", "SM_CURRENT_HOST", "SM_NUM_GPUS", "SM_NUM_CPUS", "SM_MODEL_DIR",
                                 "SM_OUTPUT_DATA_DIR", "SM_CHANNELS", "SM_CHANNEL_TEST", "SM_CHANNEL_TRAINING",
                                 "SM_HPS", "SM_RESOURCE_CONFIG", "SM_TRAINING_ENV"));
  const auto by_name = as_map(variables);
  EXPECT_EQ(by_name.at("SM_HOSTS"), R"(["n1","n2","n3"])");
  EXPECT_EQ(by_name.at("SM_CURRENT_HOST"), "n2");
  EXPECT_EQ(by_name.at("SM_NUM_GPUS"), "2");
  EXPECT_EQ(by_name.at("SM_NUM_CPUS"), "8");
  EXPECT_EQ(by_name.at("SM_MODEL_DIR"), "/scratch/jobs/j1/model");
  EXPECT_EQ(by_name.at("SM_OUTPUT_DATA_DIR"), "/scratch/jobs/j1/output");
  EXPECT_EQ(by_name.at("SM_CHANNELS"), R"(["test","training"])");
  EXPECT_EQ(by_name.at("SM_CHANNEL_TEST"), "/data/test");
  EXPECT_EQ(by_name.at("SM_CHANNEL_TRAINING"), "/data/train");
  EXPECT_EQ(by_name.at("SM_HPS"), R"({"epochs":2,"lr":0.01})");
  EXPECT_EQ(by_name.at("SM_RESOURCE_CONFIG"), R"({"current_host":"n2","hosts":["n1","n2","n3"]})");
  EXPECT_EQ(by_name.at("SM_TRAINING_ENV"),
            R"({"channel_input_dirs":{"test":"/data/test","training":"/data/train"},)"
            R"("current_host":"n2","hosts":["n1","n2","n3"],)"
            R"("hyperparameters":{"epochs":2,"lr":0.01},"job_name":"j1",)"
            R"("master_hostname":"n2","model_dir":"/scratch/jobs/j1/model","num_cpus":8,)"
            R"("num_gpus":2,"output_data_dir":"/scratch/jobs/j1/output",)"
            R"("resource_config":{"current_host":"n2","hosts":["n1","n2","n3"]}})");
}

TEST(SageMakerTask, DirectoriesUnderTheWorkingDirectoryWithoutAnAbsoluteJobDir) {
  const SageMakerJob plain = job_of({});
  EXPECT_TRUE(needs_working_directory(plain));
  auto variables = as_map(sagemaker_variables(plain, task_on("n1", 0, 1, "/home/u/run")));
  EXPECT_EQ(variables.at("SM_MODEL_DIR"), "/home/u/run/model");
  EXPECT_EQ(variables.at("SM_OUTPUT_DATA_DIR"), "/home/u/run/output");
  variables = as_map(sagemaker_variables(plain, task_on("n1", 0, 1, "/")));
  EXPECT_EQ(variables.at("SM_MODEL_DIR"), "/model");

  const SageMakerJob relative = job_of({{"MLJOB_JOB_DIR", "out/j1"}});
  EXPECT_TRUE(needs_working_directory(relative));
  variables = as_map(sagemaker_variables(relative, task_on("n1", 0, 1, "/home/u")));
  EXPECT_EQ(variables.at("SM_MODEL_DIR"), "/home/u/out/j1/model");

  EXPECT_FALSE(needs_working_directory(job_of({{"MLJOB_JOB_DIR", "/j"}})));
  EXPECT_FALSE(needs_working_directory(job_of({{"MLJOB_JOB_DIR", "/"}})));
  variables = as_map(sagemaker_variables(job_of({{"MLJOB_JOB_DIR", "///"}}), task_on("n1")));
  EXPECT_EQ(variables.at("SM_MODEL_DIR"), "/model");
  EXPECT_TRUE(needs_working_directory(job_of({{"MLJOB_JOB_DIR", ""}})));  // empty = unset

  EXPECT_THAT([&] { sagemaker_variables(plain, task_on("n1", 0, 1, std::nullopt)); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("working directory is unknown")));
}

TEST(SageMakerTask, TheTrainingEnvironmentAgreesWithTheSingleVariables) {
  const SageMakerJob job = job_of({{"MLJOB_HPS", R"({"b": [1, 2], "a": "x"})"}}, {"MLJOB_CHANNEL_X=/x"});
  for (const std::string host : {"n1", "n2", "n3"}) {
    const auto variables = as_map(sagemaker_variables(job, task_on(host, 1, 3)));
    const Json training = Json::parse(variables.at("SM_TRAINING_ENV"));
    EXPECT_EQ(training["hosts"], Json::parse(variables.at("SM_HOSTS")));
    EXPECT_EQ(training["current_host"], variables.at("SM_CURRENT_HOST"));
    EXPECT_EQ(training["num_gpus"].dump(), variables.at("SM_NUM_GPUS"));
    EXPECT_EQ(training["num_cpus"].dump(), variables.at("SM_NUM_CPUS"));
    EXPECT_EQ(training["model_dir"], variables.at("SM_MODEL_DIR"));
    EXPECT_EQ(training["output_data_dir"], variables.at("SM_OUTPUT_DATA_DIR"));
    EXPECT_EQ(training["hyperparameters"], Json::parse(variables.at("SM_HPS")));
    EXPECT_EQ(training["channel_input_dirs"]["x"], variables.at("SM_CHANNEL_X"));
    EXPECT_EQ(training["resource_config"], Json::parse(variables.at("SM_RESOURCE_CONFIG")));
  }
}

TEST(SageMakerTask, WarningsOfTheJobAreCollected) {
  const SageMakerJob job = job_of({{"MLJOB_HPS", "lr=0.1"}}, {"MLJOB_CHANNEL_=/x", "MLJOB_CHANNEL_OK=/ok"});
  EXPECT_THAT(job.warnings, ElementsAre(HasSubstr("MLJOB_HPS=\"lr=0.1\" is not valid JSON"),
                                        HasSubstr("\"MLJOB_CHANNEL_\" ignored")));
  const auto variables = as_map(sagemaker_variables(job, task_on("n1")));
  EXPECT_EQ(variables.at("SM_HPS"), "{}");
  EXPECT_EQ(variables.at("SM_CHANNEL_OK"), "/ok");
}

TEST(SageMakerTask, BytesThatAreNotUtf8AreReplacedInJsonOnly) {
  const std::string path = "/data/caf\xe9";  // Latin-1, not UTF-8
  const std::string entry = "MLJOB_CHANNEL_A=" + path;
  const SageMakerJob job = job_of({{"SLURM_JOB_NAME", "j\xff"}}, {entry});
  const auto variables = as_map(sagemaker_variables(job, task_on("n1", 0, 1, "/w\xfe")));
  EXPECT_EQ(variables.at("SM_CHANNEL_A"), path);  // verbatim
  EXPECT_EQ(variables.at("SM_MODEL_DIR"), "/w\xfe/model");
  const Json training = Json::parse(variables.at("SM_TRAINING_ENV"));  // valid UTF-8 JSON
  EXPECT_EQ(training["channel_input_dirs"]["a"], "/data/caf\xef\xbf\xbd");
  EXPECT_EQ(training["job_name"], "j\xef\xbf\xbd");
}

TEST(SageMakerTask, RefusesAnOversizedTrainingEnvironment) {
  // Channels are checked per task: the job's probe already covers hosts and hyperparameters.
  const std::string long_path(kMaxEnvironmentString / 2, 'p');
  const std::string a = "MLJOB_CHANNEL_A=/" + long_path;
  const std::string b = "MLJOB_CHANNEL_B=/" + long_path;
  EXPECT_THAT(
      [&] {
        job_of({}, {a, b});
      },
      ThrowsMessage<std::invalid_argument>(HasSubstr("leave sagemaker out of --ml-env")));
}

}  // namespace
}  // namespace mljob::plugin
