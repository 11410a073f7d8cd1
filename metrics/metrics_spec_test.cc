#include "metrics/metrics_spec.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/spec_error.h"
#include "core/spec_parser.h"
#include "metrics/log_extractor.h"

namespace mljob::metrics {
namespace {

using nlohmann::json;

json read_json(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

// The field a SpecError names for `action`, and its message.
std::pair<std::string, std::string> spec_error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const SpecError& e) {
    return {e.field(), e.what()};
  }
  return {"", ""};
}

TEST(MetricsSpec, SynonymsAndBadTypes) {
  EXPECT_EQ(parse_ffdl_spec(json{{"type", "optivist"}}, "em", nullptr).type, "emetrics_file");
  EXPECT_EQ(parse_ffdl_spec(json{{"type", "file"}}, "em", nullptr).type, "emetrics_file");
  EXPECT_EQ(spec_error_of([] { parse_ffdl_spec(json{{"type", "regex"}}, "em", nullptr); }).first, "em.type");
  EXPECT_EQ(spec_error_of([] { parse_ffdl_spec(json{{"type", "logger"}, {"line_lookahed", 3}}, "em", nullptr); }).first,
            "em.line_lookahed");
}

TEST(MetricsSpec, AFfdlRegexThatCannotRunIsRefusedAtSubmitWithItsPartQuoted) {
  json em = {{"type", "regex_extractor"},
             {"groups", {{"g", {{"regex", "loss = %{FLOAT:loss}(?=;)"}, {"scalars", {{"loss", {{"type", "FLOAT"}, {"value", "$loss"}}}}}}}}}};
  auto [field, message] = spec_error_of([&] { parse_ffdl_spec(em, "evaluation_metrics", nullptr); });
  EXPECT_EQ(field, "evaluation_metrics.groups.g.regex");
  EXPECT_NE(message.find("'(?=;)'"), std::string::npos) << message;
  EXPECT_NE(message.find("lookahead"), std::string::npos) << message;
}

TEST(MetricsSpec, ACaptureReferenceMustNameACapture) {
  json em = {{"type", "regex_extractor"},
             {"groups", {{"g", {{"regex", "loss = %{FLOAT:loss}"}, {"scalars", {{"loss", {{"type", "FLOAT"}, {"value", "$los"}}}}}}}}}};
  EXPECT_EQ(spec_error_of([&] { parse_ffdl_spec(em, "em", nullptr); }).first, "em.groups.g.scalars.loss.value");
}

TEST(MetricsSpec, APlaceholderWithoutGroupIsAcceptedWithAWarning) {
  std::vector<std::string> warnings;
  parse_metric_definitions(json::array({{{"Name", "base_metric"}, {"Regex", "<><><><><><>"}}}), "M", &warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("no capture group"), std::string::npos);
}

TEST(MetricsSpec, TheDefaultAppliesWhenNothingReadsTheLogs) {
  EXPECT_TRUE(parse_metrics_spec(json::object()).uses_default_extractor());
  EXPECT_TRUE(parse_metrics_spec(json{{"evaluation_metrics", {{"type", "tensorboard"}}}}).uses_default_extractor());
  EXPECT_FALSE(parse_metrics_spec(json{{"MetricDefinitions", json::array({{{"Name", "a"}, {"Regex", "a=(.*)"}}})}})
                   .uses_default_extractor());
}

TEST(MetricsSpec, SageMakerDefinitionsHaveTheirLimits) {
  json many = json::array();
  for (int i = 0; i < 41; ++i) many.push_back({{"Name", "m" + std::to_string(i)}, {"Regex", "m=(\\d+)"}});
  EXPECT_EQ(spec_error_of([&] { parse_metric_definitions(many, "MetricDefinitions", nullptr); }).first, "MetricDefinitions");
  auto [field, message] = spec_error_of(
      [] { parse_metric_definitions(json::array({{{"Name", "a"}, {"Regex", "(x)\\1"}}}), "MetricDefinitions", nullptr); });
  EXPECT_EQ(field, "MetricDefinitions[0].Regex");
  EXPECT_NE(message.find("'\\1'"), std::string::npos) << message;
  EXPECT_EQ(spec_error_of([] { parse_metric_definitions(json::array({{{"Nme", "a"}, {"Regex", "x"}}}), "M", nullptr); }).first,
            "M[0].Nme");
}

}  // namespace
}  // namespace mljob::metrics

namespace mljob::metrics {
namespace {

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
)", "manifest.yml");
  // As the bridge stores it in metrics.json and the collector reads it back.
  auto stored = nlohmann::ordered_json::parse(nlohmann::ordered_json{{"evaluation_metrics", job.metric_declarations["evaluation_metrics"]}}.dump(2));
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

}  // namespace
}  // namespace mljob::metrics
