#include "tuner/search_space.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "base/input_error.h"

namespace mljob::tuner {
namespace {

using nlohmann::json;

ParameterSpec double_param(const std::string& name, double low, double high, ScaleType scale = ScaleType::kLinear) {
  ParameterSpec p;
  p.name = name;
  p.type = ParameterType::kDouble;
  p.min_value = low;
  p.max_value = high;
  p.scale = scale;
  return p;
}

ParameterSpec integer_param(const std::string& name, double low, double high, ScaleType scale = ScaleType::kLinear) {
  ParameterSpec p = double_param(name, low, high, scale);
  p.type = ParameterType::kInteger;
  return p;
}

ParameterSpec categorical_param(const std::string& name, std::vector<std::string> values) {
  ParameterSpec p;
  p.name = name;
  p.type = ParameterType::kCategorical;
  p.categorical_values = std::move(values);
  return p;
}

ParameterSpec discrete_param(const std::string& name, std::vector<double> values,
                             ScaleType scale = ScaleType::kLinear) {
  ParameterSpec p;
  p.name = name;
  p.type = ParameterType::kDiscrete;
  p.discrete_values = std::move(values);
  p.scale = scale;
  return p;
}

Eigen::VectorXd point(std::initializer_list<double> values) {
  Eigen::VectorXd out(static_cast<Eigen::Index>(values.size()));
  Eigen::Index i = 0;
  for (double value : values) out[i++] = value;
  return out;
}

TEST(SearchSpace, ScalesMapTheUnitIntervalAsTheirNamesSay) {
  SearchSpace space({double_param("lin", 1, 1001), double_param("log", 1, 1000, ScaleType::kLog),
                     double_param("rev", 1, 1000, ScaleType::kReverseLog)});
  Assignment middle = space.decode(point({0.5, 0.5, 0.5}));
  EXPECT_DOUBLE_EQ(middle["lin"].get<double>(), 501);
  EXPECT_NEAR(middle["log"].get<double>(), std::sqrt(1000.0), 1e-9);         // geometric middle
  EXPECT_NEAR(middle["rev"].get<double>(), 1001 - std::sqrt(1000.0), 1e-9);  // fine near the top
  Assignment ends = space.decode(point({0, 1, 1}));
  EXPECT_DOUBLE_EQ(ends["lin"].get<double>(), 1);
  EXPECT_NEAR(ends["log"].get<double>(), 1000, 1e-9);
  EXPECT_NEAR(ends["rev"].get<double>(), 1000, 1e-9);
  Eigen::VectorXd back = space.encode(middle);
  EXPECT_NEAR(back[0], 0.5, 1e-12);
  EXPECT_NEAR(back[1], 0.5, 1e-12);
  EXPECT_NEAR(back[2], 0.5, 1e-12);
}

TEST(SearchSpace, IntegersAndDiscreteValuesSnapToValidValues) {
  SearchSpace space({integer_param("n", 1, 10), discrete_param("batch", {16, 32, 64, 128}, ScaleType::kLog),
                     integer_param("width", 1, 1024, ScaleType::kLog)});
  Assignment a = space.decode(point({0.52, 0.40, 0.5}));
  EXPECT_EQ(a["n"], 6);  // 1 + 0.52 * 9 = 5.68
  EXPECT_TRUE(a["n"].is_number_integer());
  EXPECT_EQ(a["batch"], 32);  // 0.40 is nearest to 1/3 on the log scale
  EXPECT_TRUE(a["batch"].is_number_integer());
  EXPECT_EQ(a["width"], 32);
  EXPECT_EQ(space.snap(space.snap(point({0.52, 0.4, 0.5}))), space.snap(point({0.52, 0.4, 0.5})));
}

TEST(SearchSpace, CategoricalIsOneHotAndSharesOneParameter) {
  SearchSpace space({categorical_param("opt", {"adam", "sgd", "rms"}), double_param("x", 0, 1)});
  EXPECT_EQ(space.dimensions(), 4u);
  EXPECT_EQ(space.parameter_of_dimension(), (std::vector<std::size_t>{0, 0, 0, 1}));
  Assignment a = space.decode(point({0.2, 0.9, 0.4, 0.25}));
  EXPECT_EQ(a["opt"], "sgd");
  EXPECT_EQ(space.encode(a), point({0, 1, 0, 0.25}));
}

TEST(SearchSpace, EncodeRefusesValuesOutsideTheDomain) {
  SearchSpace space({integer_param("n", 1, 10), categorical_param("opt", {"adam"}), discrete_param("b", {1, 2})});
  EXPECT_THROW(space.encode(json{{"n", 11}, {"opt", "adam"}, {"b", 1}}), InputError);
  EXPECT_THROW(space.encode(json{{"n", 2.5}, {"opt", "adam"}, {"b", 1}}), InputError);
  EXPECT_THROW(space.encode(json{{"n", 2}, {"opt", "sgd"}, {"b", 1}}), InputError);
  EXPECT_THROW(space.encode(json{{"n", 2}, {"opt", "adam"}, {"b", 3}}), InputError);
  EXPECT_THROW(space.encode(json{{"n", 2}, {"opt", "adam"}}), InputError);
  EXPECT_NO_THROW(space.encode(json{{"n", 2}, {"opt", "adam"}, {"b", 2}}));
}

TEST(SearchSpace, GridEnumeratesEveryAssignmentOnce) {
  SearchSpace space({integer_param("n", 1, 3), categorical_param("opt", {"a", "b"}), discrete_param("d", {0.5, 1.5})});
  ASSERT_EQ(space.grid_size(), 12u);
  std::set<std::string> seen;
  for (std::uint64_t i = 0; i < space.grid_size(); ++i) seen.insert(space.grid_point(i).dump());
  EXPECT_EQ(seen.size(), 12u);
  EXPECT_EQ(space.grid_point(0), (json{{"n", 1}, {"opt", "a"}, {"d", 0.5}}));
  EXPECT_EQ(space.grid_point(11), (json{{"n", 3}, {"opt", "b"}, {"d", 1.5}}));
}

TEST(SearchSpace, ArgumentsFollowAiPlatformsConvention) {
  auto args = SearchSpace::as_arguments(json{{"lr", 0.5}, {"n", 3}, {"opt", "adam"}});
  EXPECT_EQ(args, (std::vector<std::string>{"--lr=0.5", "--n=3", "--opt=adam"}));
}

}  // namespace
}  // namespace mljob::tuner
