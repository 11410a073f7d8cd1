#include "tuner/hyperparameter_spec.h"

#include <gtest/gtest.h>

#include "base/input_error.h"

namespace mljob::tuner {
namespace {

using nlohmann::json;

const char* kAt = "trainingInput.hyperparameters";

json spec_with(const std::vector<json>& params, const json& extra = json::object()) {
  json spec = {{"params", json(params)}};
  spec.update(extra);
  return spec;
}

json a_double() {
  return {{"parameterName", "lr"}, {"type", "DOUBLE"}, {"minValue", 0.001}, {"maxValue", 0.1}};
}

// The error names the field, the value and the rule.
void expect_error(const json& spec, const std::string& field, const std::string& value, const std::string& rule_part) {
  try {
    parse_hyperparameter_spec(spec);
    ADD_FAILURE() << "accepted " << spec.dump();
  } catch (const InputError& error) {
    EXPECT_EQ(error.field(), field) << error.what();
    EXPECT_EQ(error.value(), value) << error.what();
    EXPECT_NE(error.rule().find(rule_part), std::string::npos) << error.what();
  }
}

TEST(HyperparameterSpec, DefaultsAreTheApis) {
  HyperparameterSpec spec = parse_hyperparameter_spec(spec_with({a_double()}));
  EXPECT_EQ(spec.goal, Goal::kMaximize);
  EXPECT_EQ(spec.max_trials, 1);
  EXPECT_EQ(spec.max_parallel_trials, 1);
  EXPECT_FALSE(spec.max_failed_trials.has_value());
  EXPECT_EQ(spec.metric_tag, "training/hptuning/metric");
  EXPECT_FALSE(spec.enable_trial_early_stopping);
  EXPECT_EQ(spec.algorithm, Algorithm::kBayesian);
  EXPECT_EQ(spec.params[0].scale, ScaleType::kLinear);
}

TEST(HyperparameterSpec, ReadsEveryField) {
  json spec = {{"goal", "MINIMIZE"},
               {"params",
                {a_double(),
                 {{"parameterName", "layers"},
                  {"type", "INTEGER"},
                  {"minValue", 1},
                  {"maxValue", 8},
                  {"scaleType", "UNIT_LOG_SCALE"}},
                 {{"parameterName", "opt"}, {"type", "CATEGORICAL"}, {"categoricalValues", {"adam", "sgd"}}},
                 {{"parameterName", "batch"},
                  {"type", "DISCRETE"},
                  {"discreteValues", {16, 32, 64}},
                  {"scaleType", "UNIT_REVERSE_LOG_SCALE"}}}},
               {"maxTrials", 40},
               {"maxParallelTrials", 4},
               {"maxFailedTrials", 3},
               {"hyperparameterMetricTag", "accuracy"},
               {"resumePreviousJobId", "old_job"},
               {"enableTrialEarlyStopping", true},
               {"algorithm", "RANDOM_SEARCH"}};
  HyperparameterSpec parsed = parse_hyperparameter_spec(spec);
  EXPECT_EQ(parsed.goal, Goal::kMinimize);
  ASSERT_EQ(parsed.params.size(), 4u);
  EXPECT_EQ(parsed.params[1].type, ParameterType::kInteger);
  EXPECT_EQ(parsed.params[1].scale, ScaleType::kLog);
  EXPECT_EQ(parsed.params[2].categorical_values, (std::vector<std::string>{"adam", "sgd"}));
  EXPECT_EQ(parsed.params[3].discrete_values, (std::vector<double>{16, 32, 64}));
  EXPECT_EQ(parsed.params[3].scale, ScaleType::kReverseLog);
  EXPECT_EQ(parsed.max_trials, 40);
  EXPECT_EQ(parsed.max_parallel_trials, 4);
  EXPECT_EQ(parsed.max_failed_trials, 3);
  EXPECT_EQ(parsed.metric_tag, "accuracy");
  EXPECT_EQ(parsed.resume_previous_job_id, "old_job");
  EXPECT_TRUE(parsed.enable_trial_early_stopping);
  EXPECT_EQ(parsed.algorithm, Algorithm::kRandomSearch);
  // And back: the JSON form reads to the same spec.
  EXPECT_EQ(to_json(parse_hyperparameter_spec(to_json(parsed))), to_json(parsed));
}

TEST(HyperparameterSpec, TopLevelRules) {
  expect_error(json{{"params", json::array({a_double()})}, {"maxTrails", 3}}, std::string(kAt) + ".maxTrails", "3",
               "did you mean 'maxTrials'");
  expect_error(json::object(), std::string(kAt) + ".params", "", "non-empty list");
  expect_error(spec_with({}), std::string(kAt) + ".params", "[]", "non-empty list");
  expect_error(spec_with({a_double()}, {{"goal", "BIGGER"}}), std::string(kAt) + ".goal", "BIGGER",
               "MAXIMIZE, MINIMIZE");
  expect_error(spec_with({a_double()}, {{"maxTrials", 0}}), std::string(kAt) + ".maxTrials", "0", "between 1");
  expect_error(spec_with({a_double()}, {{"maxTrials", 2.5}}), std::string(kAt) + ".maxTrials", "2.5", "integer");
  expect_error(spec_with({a_double()}, {{"maxParallelTrials", 0}}), std::string(kAt) + ".maxParallelTrials", "0",
               "between 1");
  expect_error(spec_with({a_double()}, {{"maxFailedTrials", -1}}), std::string(kAt) + ".maxFailedTrials", "-1",
               "between 0");
  expect_error(spec_with({a_double()}, {{"hyperparameterMetricTag", ""}}),
               std::string(kAt) + ".hyperparameterMetricTag", "", "must not be empty");
  expect_error(spec_with({a_double()}, {{"enableTrialEarlyStopping", "yes"}}),
               std::string(kAt) + ".enableTrialEarlyStopping", "yes", "true or false");
  expect_error(spec_with({a_double()}, {{"algorithm", "HYPERBAND"}}), std::string(kAt) + ".algorithm", "HYPERBAND",
               "GRID_SEARCH");
}

TEST(HyperparameterSpec, ParameterRules) {
  const std::string p0 = std::string(kAt) + ".params[0]";
  json no_name = a_double();
  no_name.erase("parameterName");
  expect_error(spec_with({no_name}), p0 + ".parameterName", "", "required");
  expect_error(spec_with({a_double(), a_double()}), std::string(kAt) + ".params[1].parameterName", "lr", "unique");
  json untyped = a_double();
  untyped.erase("type");
  expect_error(spec_with({untyped}), p0 + ".type", "", "required");
  json float_type = a_double();
  float_type["type"] = "FLOAT";
  expect_error(spec_with({float_type}), p0 + ".type", "FLOAT", "DOUBLE");
  json missing_max = a_double();
  missing_max.erase("maxValue");
  expect_error(spec_with({missing_max}), p0 + ".maxValue", "", "required");
  json reversed = a_double();
  reversed["minValue"] = 0.5;
  expect_error(spec_with({reversed}), p0 + ".maxValue", "0.1", "greater than minValue");
  json fractional = {{"parameterName", "n"}, {"type", "INTEGER"}, {"minValue", 1.5}, {"maxValue", 4}};
  expect_error(spec_with({fractional}), p0 + ".minValue", "1.5", "integer");
  json stray = a_double();
  stray["categoricalValues"] = {"a"};
  expect_error(spec_with({stray}), p0 + ".categoricalValues", "[\"a\"]", "not allowed for a DOUBLE");
  json bad_scale = a_double();
  bad_scale["scaleType"] = "LOG";
  expect_error(spec_with({bad_scale}), p0 + ".scaleType", "LOG", "UNIT_LOG_SCALE");
}

TEST(HyperparameterSpec, LogScalesNeedAStrictlyPositiveRange) {
  const std::string p0 = std::string(kAt) + ".params[0]";
  json zero = {
      {"parameterName", "lr"}, {"type", "DOUBLE"}, {"minValue", 0}, {"maxValue", 1}, {"scaleType", "UNIT_LOG_SCALE"}};
  expect_error(spec_with({zero}), p0 + ".minValue", "0", "strictly positive");
  zero["scaleType"] = "UNIT_REVERSE_LOG_SCALE";
  expect_error(spec_with({zero}), p0 + ".minValue", "0", "strictly positive");
  json discrete = {
      {"parameterName", "b"}, {"type", "DISCRETE"}, {"discreteValues", {-1, 2}}, {"scaleType", "UNIT_LOG_SCALE"}};
  expect_error(spec_with({discrete}), p0 + ".discreteValues[0]", "-1", "strictly positive");
  zero["scaleType"] = "UNIT_LINEAR_SCALE";
  EXPECT_NO_THROW(parse_hyperparameter_spec(spec_with({zero})));
}

TEST(HyperparameterSpec, DiscreteAndCategoricalRules) {
  const std::string p0 = std::string(kAt) + ".params[0]";
  json discrete = {{"parameterName", "b"}, {"type", "DISCRETE"}, {"discreteValues", {1, 4, 4}}};
  expect_error(spec_with({discrete}), p0 + ".discreteValues[2]", "4", "strictly increasing");
  discrete["discreteValues"] = json::array();
  expect_error(spec_with({discrete}), p0 + ".discreteValues", "[]", "non-empty");
  std::vector<double> many(1001);
  for (std::size_t i = 0; i < many.size(); ++i) many[i] = static_cast<double>(i);
  discrete["discreteValues"] = many;
  expect_error(spec_with({discrete}), p0 + ".discreteValues", "1001 values", "at most 1000");
  many.pop_back();
  discrete["discreteValues"] = many;
  EXPECT_NO_THROW(parse_hyperparameter_spec(spec_with({discrete})));

  json categorical = {{"parameterName", "o"}, {"type", "CATEGORICAL"}, {"categoricalValues", {"a", "b", "a"}}};
  expect_error(spec_with({categorical}), p0 + ".categoricalValues[2]", "a", "duplicate");
  categorical["categoricalValues"] = {"a", 3};
  expect_error(spec_with({categorical}), p0 + ".categoricalValues[1]", "3", "string");
  categorical["categoricalValues"] = {"a"};
  categorical["scaleType"] = "UNIT_LOG_SCALE";
  expect_error(spec_with({categorical}), p0 + ".scaleType", "UNIT_LOG_SCALE", "not allowed for a CATEGORICAL");
}

TEST(HyperparameterSpec, GoalTypeUnspecifiedIsMaximizeAsTheApiDefinesIt) {
  HyperparameterSpec spec = parse_hyperparameter_spec(spec_with({a_double()}, {{"goal", "GOAL_TYPE_UNSPECIFIED"}}));
  EXPECT_EQ(spec.goal, Goal::kMaximize);
  EXPECT_EQ(to_json(spec)["goal"], "MAXIMIZE");
}

TEST(HyperparameterSpec, ADiscreteParametersMinAndMaxAreIgnoredAsTheApiSaysAndTheUserIsTold) {
  json discrete = {{"parameterName", "b"},
                   {"type", "DISCRETE"},
                   {"discreteValues", {16, 32, 64}},
                   {"minValue", 16},
                   {"maxValue", 4096}};
  ::testing::internal::CaptureStderr();
  HyperparameterSpec spec = parse_hyperparameter_spec(spec_with({discrete}));
  std::string said = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(spec.params[0].discrete_values, (std::vector<double>{16, 32, 64}));
  EXPECT_EQ(to_json(spec)["params"][0].contains("maxValue"), false);  // decides nothing, so not kept
  EXPECT_NE(said.find("mljob: warning: trainingInput.hyperparameters.params[0].maxValue: value '4096': ignored: "
                      "a DISCRETE parameter takes only its discreteValues"),
            std::string::npos)
      << said;
  EXPECT_NE(said.find("params[0].minValue: value '16': ignored"), std::string::npos) << said;
}

TEST(HyperparameterSpec, GridSearchRefusesDoubleParameters) {
  json integer = {{"parameterName", "n"}, {"type", "INTEGER"}, {"minValue", 1}, {"maxValue", 4}};
  expect_error(spec_with({integer, a_double()}, {{"algorithm", "GRID_SEARCH"}}), std::string(kAt) + ".params[1].type",
               "DOUBLE", "GRID_SEARCH needs INTEGER, CATEGORICAL or DISCRETE");
  EXPECT_NO_THROW(parse_hyperparameter_spec(spec_with({integer}, {{"algorithm", "GRID_SEARCH"}})));
}

}  // namespace
}  // namespace mljob::tuner
