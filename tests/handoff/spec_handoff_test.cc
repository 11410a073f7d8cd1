// What the job-spec parser (core) keeps of a spec, the layers above read as they should: the
// metrics collector's declarations and the tuner's HyperparameterSpec. Here because these
// cross layers: metrics/ and tuner/ link only base/, and their own tests link nothing more.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/spec_parser.h"
#include "metrics/line_batch.h"
#include "metrics/log_extractor.h"
#include "metrics/metrics_spec.h"
#include "tuner/hyperparameter_spec.h"

namespace mljob {
namespace {

using metrics::EMetrics;
using metrics::LineBatch;
using metrics::make_ffdl_extractor;
using metrics::MetricsSpec;
using metrics::parse_metrics_spec;
using tuner::HyperparameterSpec;
using tuner::parse_hyperparameter_spec;
using tuner::ScaleType;

// FfDL tries a manifest's groups in the order they are written and the first that matches
// emits the record. Here both groups match every loss line; "zeta" is written first but sorts
// after "alpha", so a parser that sorted the keys would label the records "alpha".
TEST(MetricsSpec, FfdlGroupsAreTriedInManifestOrderFromSpecToExtractor) {
  Job job = parse_job_spec(R"(
trainingInput: {scaleTier: BASIC}
evaluation_metrics:
  type: regex_extractor
  line_lookahead: 1
  groups:
    zeta:
      regex: "loss=%{FLOAT:loss}"
      scalars: {loss: {type: FLOAT, value: $loss}}
    alpha:
      regex: "loss=%{FLOAT:value}"
      scalars: {loss: {type: FLOAT, value: $value}}
)",
                           "manifest.yml");
  // As the bridge stores it in metrics.json and the collector reads it back.
  auto stored = nlohmann::ordered_json::parse(
      nlohmann::ordered_json{{"evaluation_metrics", job.metric_declarations["evaluation_metrics"]}}.dump(2));
  MetricsSpec spec = parse_metrics_spec(stored);
  ASSERT_TRUE(spec.ffdl);
  ASSERT_EQ(spec.ffdl->groups.size(), 2u);
  EXPECT_EQ(spec.ffdl->groups[0].name, "zeta");
  EXPECT_EQ(spec.ffdl->groups[1].name, "alpha");
  auto extractor = make_ffdl_extractor(*spec.ffdl);
  LineBatch batch;
  batch.add("loss=0.5", 0);
  batch.add("loss=0.25", 0);
  std::vector<std::string> labels;
  extractor->process(batch, [&](EMetrics&& record) { labels.push_back(record.grouplabel); });
  EXPECT_EQ(labels, (std::vector<std::string>{"zeta", "zeta"}));
}

TEST(HyperparameterSpec, ReadsWhatTheJobSpecParserKept) {
  Job job = parse_job_spec(R"(trainingInput:
  scaleTier: BASIC
  pythonModule: trainer.task
  hyperparameters:
    goal: MINIMIZE
    maxTrials: 10
    params:
      - parameterName: lr
        type: DOUBLE
        minValue: 0.0001
        maxValue: 0.1
        scaleType: UNIT_LOG_SCALE
)",
                           "test");
  HyperparameterSpec spec = parse_hyperparameter_spec(job.training_input.hyperparameters);
  EXPECT_EQ(spec.max_trials, 10);
  EXPECT_EQ(spec.params[0].scale, ScaleType::kLog);
}

}  // namespace
}  // namespace mljob
