#include "jobs/sagemaker_staging.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "base/test_support.h"

namespace mljob::jobs {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using mljob::testing::expect_input_error;
using mljob::testing::read_file;
using mljob::testing::ScratchFolder;
using mljob::testing::write_file;

// Every file under `folder`, following links (as a trainer's os.walk does), relative to it.
std::set<std::string> files_under(const fs::path& folder) {
  std::set<std::string> files;
  for (auto it = fs::recursive_directory_iterator(folder, fs::directory_options::follow_directory_symlink);
       it != fs::recursive_directory_iterator(); ++it) {
    if (it->is_regular_file()) files.insert(it->path().lexically_relative(folder).string());
  }
  return files;
}

class SageMakerStaging : public ::testing::Test {
 protected:
  SageMakerStaging() : scratch_("mljob-sagemaker-staging") {
    data_ = scratch_.path() / "lab-data";
    for (int part = 0; part < 5; ++part) write_file(data_ / "train" / ("part-" + std::to_string(part)), "x\n");
    write_file(data_ / "train" / "deeper" / "part-5", "x\n");
    write_file(data_ / "valid.csv", "v\n");
    write_file(data_ / "validation-extra.csv", "w\n");
    write_file(data_ / "other.csv", "o\n");
    catalog_.runtimes["default"] = {"default", "python3", "", "", ""};
    catalog_.images["img"] = {"img", {"train"}, false, "default"};
    catalog_.storage["s3://lab/"] = data_.string() + "/";
    tiers::MachineType machine;
    machine.name = "ml.m5.xlarge";
    catalog_.machine_types[machine.name] = machine;
  }

  json request(int instances) const {
    return json{{"TrainingJobName", "j"},
                {"RoleArn", "arn:aws:iam::1:role/r"},
                {"AlgorithmSpecification", {{"TrainingImage", "img"}, {"TrainingInputMode", "File"}}},
                {"HyperParameters", {{"a", "1"}}},
                {"OutputDataConfig", {{"S3OutputPath", "s3://lab/out"}}},
                {"ResourceConfig", {{"InstanceType", "ml.m5.xlarge"}, {"InstanceCount", instances}}}};
  }

  static json channel(const std::string& name, const std::string& uri, const std::string& type = "S3Prefix",
                      bool sharded = false) {
    return {{"ChannelName", name},
            {"DataSource",
             {{"S3DataSource",
               {{"S3DataType", type},
                {"S3Uri", uri},
                {"S3DataDistributionType", sharded ? "ShardedByS3Key" : "FullyReplicated"}}}}}};
  }

  SageMakerTraining stage(const json& r, const StagingLimits& limits = {}) {
    fs::path folder = scratch_.path() / "jobs" / r["TrainingJobName"].get<std::string>();
    fs::create_directories(folder);
    SageMakerTraining training = parse_sagemaker_training(r, catalog_, {folder.string()});
    stage_sagemaker_job(training, catalog_, limits);
    return training;
  }

  ScratchFolder scratch_;
  fs::path data_;
  tiers::TierCatalog catalog_;
};

TEST_F(SageMakerStaging, AFolderPrefixIsLinkedWholeAndAPartialPrefixFileByFile) {
  json r = request(1);
  r["InputDataConfig"] = {channel("train", "s3://lab/train"), channel("validation", "s3://lab/valid")};
  SageMakerTraining t = stage(r);
  fs::path data = t.folders.input_data();
  EXPECT_TRUE(fs::is_symlink(data / "train"));  // the mapped folder itself: nothing copied, nothing listed
  EXPECT_EQ(files_under(data / "train"),
            (std::set<std::string>{"part-0", "part-1", "part-2", "part-3", "part-4", "deeper/part-5"}));
  // "valid" names no folder: the files in lab-data/ whose names start with it, under those names.
  EXPECT_EQ(files_under(data / "validation"), (std::set<std::string>{"valid.csv", "validation-extra.csv"}));
  EXPECT_EQ(read_file(data / "validation" / "valid.csv"), "v\n");
  // The config files, as SageMaker writes them, and every host's view of them.
  EXPECT_EQ(json::parse(read_file(fs::path(t.folders.input_config()) / "hyperparameters.json")), r["HyperParameters"]);
  json config = json::parse(read_file(fs::path(t.folders.host(0)) / "input/config/inputdataconfig.json"));
  EXPECT_EQ(config["train"]["S3DistributionType"], "FullyReplicated");
  EXPECT_EQ(files_under(fs::path(t.folders.host(0)) / "input/data/validation"),
            (std::set<std::string>{"valid.csv", "validation-extra.csv"}));
  EXPECT_NE(read_file(t.folders.task_script()).find("exec env"), std::string::npos);
}

TEST_F(SageMakerStaging, ShardedByS3KeyDealsEveryFileToExactlyOneHost) {
  json r = request(3);
  r["InputDataConfig"] = {channel("train", "s3://lab/train/", "S3Prefix", true)};
  SageMakerTraining t = stage(r);
  std::multiset<std::string> dealt;
  for (int host = 0; host < 3; ++host) {
    auto share = files_under(fs::path(t.folders.host(host)) / "input/data/train");
    EXPECT_EQ(share.size(), 2u) << "host " << host;  // 6 files over 3 hosts
    dealt.insert(share.begin(), share.end());
  }
  EXPECT_EQ(dealt, (std::multiset<std::string>{"part-0", "part-1", "part-2", "part-3", "part-4", "deeper/part-5"}));
  // The whole channel stays in input/data for whoever wants it (SM_TRAINING_ENV names it).
  EXPECT_EQ(files_under(fs::path(t.folders.input_data()) / "train").size(), 6u);
}

TEST_F(SageMakerStaging, AManifestListsItsFilesUnderItsPrefix) {
  write_file(data_ / "manifests" / "m.json", R"([{"prefix": "s3://lab/train/"}, "part-1", "deeper/part-5"])");
  json r = request(1);
  r["InputDataConfig"] = {channel("train", "s3://lab/manifests/m.json", "ManifestFile")};
  SageMakerTraining t = stage(r);
  EXPECT_EQ(files_under(fs::path(t.folders.input_data()) / "train"),
            (std::set<std::string>{"part-1", "deeper/part-5"}));
}

TEST_F(SageMakerStaging, MissingDataIsRefusedNamingTheChannel) {
  json r = request(1);
  r["InputDataConfig"] = {channel("train", "s3://lab/nothing-here")};
  expect_input_error([&] { stage(r); }, "InputDataConfig[0].DataSource.S3DataSource.S3Uri",
                     "no file is under this prefix");
  write_file(data_ / "manifests" / "bad.json", R"([{"prefix": "s3://lab/train/"}, "../../etc/passwd"])");
  r["TrainingJobName"] = "j2";
  r["InputDataConfig"] = {channel("train", "s3://lab/manifests/bad.json", "ManifestFile")};
  expect_input_error([&] { stage(r); }, "InputDataConfig[0].DataSource.S3DataSource.S3Uri", "leaves its prefix");
  write_file(data_ / "manifests" / "gone.json", R"([{"prefix": "s3://lab/train/"}, "part-9"])");
  r["TrainingJobName"] = "j3";
  r["InputDataConfig"] = {channel("train", "s3://lab/manifests/gone.json", "ManifestFile")};
  expect_input_error([&] { stage(r); }, "InputDataConfig[0].DataSource.S3DataSource.S3Uri", "is no file here");
}

TEST_F(SageMakerStaging, CheckpointsLiveOutsideTheJobAndEveryHostSeesThem) {
  json r = request(2);
  r["CheckpointConfig"] = {{"S3Uri", "s3://lab/checkpoints/run-1"}};
  SageMakerTraining t = stage(r);
  EXPECT_TRUE(fs::is_directory(data_ / "checkpoints" / "run-1"));
  for (int host = 0; host < 2; ++host) {
    fs::path view = fs::path(t.folders.host(host)) / "checkpoints";
    EXPECT_TRUE(fs::is_symlink(view));
    EXPECT_EQ(fs::canonical(view), fs::canonical(data_ / "checkpoints" / "run-1"));
  }
}

TEST_F(SageMakerStaging, ScriptModesEntryPointMustBeInTheCode) {
  catalog_.images["script"] = {"script", {}, true, "default"};
  write_file(data_ / "code" / "src" / "train.py", "print('hi')\n");
  json r = request(1);
  r["AlgorithmSpecification"]["TrainingImage"] = "script";
  r["HyperParameters"] = {{"sagemaker_program", "train.py"}, {"sagemaker_submit_directory", "s3://lab/code/src"}};
  SageMakerTraining t = stage(r);
  EXPECT_EQ(read_file(fs::path(t.folders.code()) / "train.py"), "print('hi')\n");
  r["TrainingJobName"] = "j2";
  r["HyperParameters"]["sagemaker_program"] = "absent.py";
  expect_input_error([&] { stage(r); }, "HyperParameters.sagemaker_program", "is not a file of the code");
}

}  // namespace
}  // namespace mljob::jobs

namespace mljob::jobs {
namespace {

// The bound on a channel's files, lowered to 6 here (a million files take minutes to make):
// the 6 files of train/, by a folder prefix, a partial prefix or a manifest, are staged; one
// more is refused, naming the channel, whichever way it is reached.
TEST_F(SageMakerStaging, AChannelOfTheBoundsFileCountIsStagedAndOnePastItRefused) {
  const StagingLimits six{6, kMaxManifestBytes};
  const std::string field = "InputDataConfig[0].DataSource.S3DataSource.S3Uri";
  write_file(data_ / "manifests" / "six.json",
             R"([{"prefix": "s3://lab/train/"}, "part-0", "part-1", "part-2", "part-3", "part-4", "deeper/part-5"])");
  int job = 0;
  auto with_channel = [&](const std::string& uri, const std::string& type) {
    json r = request(1);
    r["TrainingJobName"] = "j" + std::to_string(++job);
    r["InputDataConfig"] = {channel("train", uri, type)};
    return r;
  };
  EXPECT_EQ(files_under(fs::path(stage(with_channel("s3://lab/train", "S3Prefix"), six).folders.input_data()) / "train")
                .size(),
            6u);
  EXPECT_EQ(
      files_under(fs::path(stage(with_channel("s3://lab/tr", "S3Prefix"), six).folders.input_data()) / "train").size(),
      6u);
  stage(with_channel("s3://lab/manifests/six.json", "ManifestFile"), six);

  write_file(data_ / "train" / "part-6", "x\n");
  write_file(data_ / "manifests" / "seven.json", R"([{"prefix": "s3://lab/train/"}, "part-0", "part-1", "part-2",
                                                    "part-3", "part-4", "deeper/part-5", "part-6"])");
  for (auto [uri, type] : {std::pair{"s3://lab/train", "S3Prefix"}, std::pair{"s3://lab/tr", "S3Prefix"},
                           std::pair{"s3://lab/manifests/seven.json", "ManifestFile"}}) {
    expect_input_error([&] { stage(with_channel(uri, type), six); }, field, "more than 6 files");
  }
  // A partial prefix whose matches are plain files, not folders, counts them too.
  for (int i = 0; i < 7; ++i) write_file(data_ / ("many-" + std::to_string(i)), "m\n");
  expect_input_error([&] { stage(with_channel("s3://lab/many-", "S3Prefix"), six); }, field, "more than 6 files");
}

// A manifest of exactly 64 MiB (kMaxManifestBytes) is read; one byte more is refused unread,
// and one nested past the documents' bound is refused, not walked.
TEST_F(SageMakerStaging, AManifestOf64MiBIsReadAndOneBytePastItRefused) {
  const std::string field = "InputDataConfig[0].DataSource.S3DataSource.S3Uri";
  std::string head = R"([{"prefix": "s3://lab/train/"}, "part-1")";
  std::string manifest = head + std::string(kMaxManifestBytes - head.size() - 1, ' ') + "]";
  ASSERT_EQ(manifest.size(), kMaxManifestBytes);
  write_file(data_ / "manifests" / "at.json", manifest);
  json r = request(1);
  r["InputDataConfig"] = {channel("train", "s3://lab/manifests/at.json", "ManifestFile")};
  SageMakerTraining t = stage(r);
  EXPECT_EQ(files_under(fs::path(t.folders.input_data()) / "train"), (std::set<std::string>{"part-1"}));

  write_file(data_ / "manifests" / "past.json", " " + manifest);
  r["TrainingJobName"] = "j2";
  r["InputDataConfig"] = {channel("train", "s3://lab/manifests/past.json", "ManifestFile")};
  expect_input_error([&] { stage(r); }, field, "larger than 67108864 bytes");

  write_file(data_ / "manifests" / "deep.json", std::string(100000, '[') + std::string(100000, ']'));
  r["TrainingJobName"] = "j3";
  r["InputDataConfig"] = {channel("train", "s3://lab/manifests/deep.json", "ManifestFile")};
  expect_input_error([&] { stage(r); }, field, "deeper than");
}

}  // namespace
}  // namespace mljob::jobs
