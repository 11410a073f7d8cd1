#include "prediction/shard_worker.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "base/test_support.h"
#include "prediction/predictor_source.h"
#include "prediction/tfrecord_test_support.h"

namespace mljob::prediction {
namespace {

namespace fs = std::filesystem;
using mljob::testing::read_file;
using mljob::testing::write_file;
using nlohmann::json;

// A custom prediction routine in plain Python (no numpy, no torch: the test stays quick): the
// sum of an instance's values, after `delay` seconds a call; a "boom" instance fails.
constexpr const char* kRoutine = R"(import json, os, time
class Summer:
    @classmethod
    def from_path(cls, model_dir):
        self = cls()
        self.delay = json.load(open(os.path.join(model_dir, "delay.json")))
        return self
    def predict(self, instances, **kwargs):
        time.sleep(self.delay)
        if "boom" in instances:
            raise ValueError("boom is no instance")
        return [sum(x) for x in instances]
)";

class ShardWorker : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(at("code") / "summer.py", kRoutine);
    write_file(at("model") / "delay.json", "0");
    fs::create_directories(at("job") / "progress");
    fs::create_directories(at("out"));
  }
  fs::path at(const std::string& name) const { return scratch_.path() / name; }

  // One shard: the whole of `input`, in `format`, with batches of `batch`.
  ShardRun shard_of(const fs::path& input, const std::string& format, int batch = 2) const {
    json server = {{"predictor", "custom"},
                   {"modelDir", at("model").string()},
                   {"predictionClass", "summer.Summer"},
                   {"pythonPath", {at("code").string()}},
                   {"signatureName", ""},
                   {"threads", 1}};
    json config = {{"dataFormat", format},
                   {"outputDataFormat", "JSON"},
                   {"batchSize", batch},
                   {"maxRecordBytes", 1 << 20},
                   {"shardCount", 1},
                   {"outputFolder", at("out").string()},
                   {"python", "/usr/bin/python3"},
                   {"server", server},
                   {"shards",
                    {{{"pieces", {{{"path", input.string()}, {"begin", 0}, {"end", fs::file_size(input)}}}},
                      {"bytes", fs::file_size(input)}}}}};
    return {config, 0, at("job"), kPredictorSource, "7_0"};
  }
  json progress() const { return json::parse(read_file(at("job") / "progress" / "00000.json")); }
  std::vector<json> lines(const std::string& name) const {
    std::vector<json> out;
    std::istringstream text(read_file(at("out") / name));
    for (std::string line; std::getline(text, line);) out.push_back(json::parse(line));
    return out;
  }

  std::atomic<bool> stop_{false};
  mljob::testing::ScratchFolder scratch_{"mljob-shard-worker"};
};

TEST_F(ShardWorker, PredictsCountsAndNamesEveryError) {
  write_file(at("in.json"), "[1, 2]\n{not json\n\"boom\"\n[3, 4]\n[5]\n");
  ASSERT_EQ(run_shard(shard_of(at("in.json"), "JSON"), stop_), kShardDone);
  std::vector<json> results = lines("prediction.results-00000-of-00001");
  ASSERT_EQ(results.size(), 4u);  // the unreadable line has no instance to report
  EXPECT_EQ(results[0], (json{{"instance", {1, 2}}, {"prediction", 3}}));
  EXPECT_EQ(results[1]["instance"], "boom");  // failed alone, its batch-mate predicted
  EXPECT_NE(results[1]["error"].get<std::string>().find("boom is no instance"), std::string::npos);
  EXPECT_EQ(results[2]["prediction"], 7);
  std::vector<json> errors = lines("prediction.errors_stats-00000-of-00001");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0]["offset"], 7);  // "{not json", the second line
  EXPECT_EQ(errors[0]["file"], at("in.json").string());
  json seen = progress();
  EXPECT_EQ(seen["predictions"], 3);
  EXPECT_EQ(seen["errors"], 2);
  EXPECT_EQ(seen["complete"], true);
  EXPECT_EQ(seen["attempt"], "7_0");
}

TEST_F(ShardWorker, AGzipShardLongerThanAProgressTickCompletes) {
  std::string records;
  for (int i = 0; i < 8; ++i) records += testing::frame("[" + std::to_string(i) + ", 1]");
  gzFile file = gzopen(at("in.tfrecord.gz").c_str(), "wb");
  ASSERT_EQ(gzwrite(file, records.data(), static_cast<unsigned>(records.size())), static_cast<int>(records.size()));
  ASSERT_EQ(gzclose(file), Z_OK);
  write_file(at("model") / "delay.json", "0.4");  // 4 batches: past the first progress tick
  ASSERT_EQ(run_shard(shard_of(at("in.tfrecord.gz"), "TF_RECORD_GZIP"), stop_), kShardDone);
  EXPECT_EQ(lines("prediction.results-00000-of-00001").size(), 8u);
  EXPECT_EQ(progress()["recordsTotal"], 8);
}

TEST_F(ShardWorker, AModelThatDoesNotLoadFailsTheShardWithItsReasonAndNoFiles) {
  fs::remove(at("model") / "delay.json");
  write_file(at("in.json"), "[1]\n");
  ASSERT_EQ(run_shard(shard_of(at("in.json"), "JSON"), stop_), kShardFailed);
  EXPECT_NE(progress()["failure"].get<std::string>().find("delay.json"), std::string::npos) << progress();
  EXPECT_TRUE(fs::is_empty(at("out")));  // no partial file, no final one
}

TEST_F(ShardWorker, AStoppedShardLeavesNoFile) {
  write_file(at("in.json"), "[1]\n[2]\n[3]\n[4]\n");
  stop_ = true;
  ASSERT_EQ(run_shard(shard_of(at("in.json"), "JSON"), stop_), kShardStopped);
  EXPECT_TRUE(fs::is_empty(at("out")));
  EXPECT_EQ(progress()["failure"], "stopped by a signal");
}

}  // namespace
}  // namespace mljob::prediction
