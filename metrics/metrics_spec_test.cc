#include "metrics/metrics_spec.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/input_error.h"
#include "metrics/log_extractor.h"

namespace mljob::metrics {
namespace {

using nlohmann::json;

// The field an InputError names for `action`, and its message.
std::pair<std::string, std::string> input_error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const InputError& e) {
    return {e.field(), e.what()};
  }
  return {"", ""};
}

TEST(MetricsSpec, SynonymsAndBadTypes) {
  EXPECT_EQ(parse_ffdl_spec(json{{"type", "optivist"}}, "em", nullptr).type, "emetrics_file");
  EXPECT_EQ(parse_ffdl_spec(json{{"type", "file"}}, "em", nullptr).type, "emetrics_file");
  EXPECT_EQ(input_error_of([] { parse_ffdl_spec(json{{"type", "regex"}}, "em", nullptr); }).first, "em.type");
  EXPECT_EQ(input_error_of([] {
              parse_ffdl_spec(json{{"type", "logger"}, {"line_lookahed", 3}}, "em", nullptr);
            }).first,
            "em.line_lookahed");
}

TEST(MetricsSpec, AFfdlRegexThatCannotRunIsRefusedAtSubmitWithItsPartQuoted) {
  json em = {
      {"type", "regex_extractor"},
      {"groups",
       {{"g",
         {{"regex", "loss = %{FLOAT:loss}(?=;)"}, {"scalars", {{"loss", {{"type", "FLOAT"}, {"value", "$loss"}}}}}}}}}};
  auto [field, message] = input_error_of([&] { parse_ffdl_spec(em, "evaluation_metrics", nullptr); });
  EXPECT_EQ(field, "evaluation_metrics.groups.g.regex");
  EXPECT_NE(message.find("'(?=;)'"), std::string::npos) << message;
  EXPECT_NE(message.find("lookahead"), std::string::npos) << message;
}

TEST(MetricsSpec, ACaptureReferenceMustNameACapture) {
  json em = {
      {"type", "regex_extractor"},
      {"groups",
       {{"g", {{"regex", "loss = %{FLOAT:loss}"}, {"scalars", {{"loss", {{"type", "FLOAT"}, {"value", "$los"}}}}}}}}}};
  EXPECT_EQ(input_error_of([&] { parse_ffdl_spec(em, "em", nullptr); }).first, "em.groups.g.scalars.loss.value");
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
  EXPECT_EQ(input_error_of([&] { parse_metric_definitions(many, "MetricDefinitions", nullptr); }).first,
            "MetricDefinitions");
  auto [field, message] = input_error_of([] {
    parse_metric_definitions(json::array({{{"Name", "a"}, {"Regex", "(x)\\1"}}}), "MetricDefinitions", nullptr);
  });
  EXPECT_EQ(field, "MetricDefinitions[0].Regex");
  EXPECT_NE(message.find("'\\1'"), std::string::npos) << message;
  EXPECT_EQ(input_error_of([] {
              parse_metric_definitions(json::array({{{"Nme", "a"}, {"Regex", "x"}}}), "M", nullptr);
            }).first,
            "M[0].Nme");
}

}  // namespace
}  // namespace mljob::metrics
