#include "options.h"

#include <stdexcept>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_environment.h"
#include "test_messages.h"

namespace mljob::plugin {
namespace {

using test_support::hostile_value;
using test_support::is_one_safe_line;
using test_support::lookup_in;
using test_support::message_of;
using test_support::Variables;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

TEST(JobSettings, NothingGivenMeansTheJobDidNotOptIn) {
  EXPECT_FALSE(resolve_job_settings(OptionValues{}, lookup_in({})).has_value());
  EXPECT_FALSE(resolve_job_settings(OptionValues{}, lookup_in({{"MLJOB_PORT", "30000"}})).has_value());
}

TEST(JobSettings, FromOptions) {
  OptionValues options;
  options.roles = "master,worker";
  options.port = "30000";
  options.env = "tf";
  options.chief = true;
  const auto settings = resolve_job_settings(options, lookup_in({}));
  ASSERT_TRUE(settings.has_value());
  EXPECT_EQ(settings->roles_text, "master,worker");
  EXPECT_EQ(settings->roles.size(), 2u);
  EXPECT_EQ(settings->port_base, 30000u);
  EXPECT_EQ(settings->families, (EnvFamilies{.tf = true, .torch = false, .sagemaker = false}));
  EXPECT_TRUE(settings->use_chief);
}

TEST(JobSettings, FromTheEnvironment) {
  const auto settings = resolve_job_settings(OptionValues{}, lookup_in({{"MLJOB_ROLES", "master:1+worker"},
                                                                        {"MLJOB_PORT", "25000"},
                                                                        {"MLJOB_ENV", "torch"},
                                                                        {"MLJOB_USE_CHIEF", "1"}}));
  ASSERT_TRUE(settings.has_value());
  EXPECT_EQ(settings->roles.size(), 1u);
  EXPECT_EQ(settings->port_base, 25000u);
  EXPECT_EQ(settings->families, (EnvFamilies{.tf = false, .torch = true, .sagemaker = false}));
  EXPECT_TRUE(settings->use_chief);
}

TEST(JobSettings, DefaultsWhenOnlyRolesAreGiven) {
  const auto settings = resolve_job_settings(OptionValues{}, lookup_in({{"MLJOB_ROLES", "master,worker"}}));
  ASSERT_TRUE(settings.has_value());
  EXPECT_FALSE(settings->port_base.has_value());
  EXPECT_EQ(settings->families, EnvFamilies{});
  EXPECT_FALSE(settings->use_chief);
}

TEST(JobSettings, OptionsWinOverTheEnvironment) {
  OptionValues options;
  options.roles = "master,ps";
  options.port = "30000";
  const auto settings =
      resolve_job_settings(options, lookup_in({{"MLJOB_ROLES", "nonsense"}, {"MLJOB_PORT", "nonsense"}}));
  ASSERT_TRUE(settings.has_value());
  EXPECT_EQ(settings->roles_text, "master,ps");
  EXPECT_EQ(settings->port_base, 30000u);
}

TEST(JobSettings, ErrorsNameTheirSource) {
  OptionValues options;
  options.roles = "foo";
  EXPECT_THAT([&] { resolve_job_settings(options, lookup_in({})); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("--ml-roles: ml-roles \"foo\": unknown role \"foo\"")));
  EXPECT_THAT(
      [] {
        resolve_job_settings(OptionValues{}, lookup_in({{"MLJOB_ROLES", "bar"}}));
      },
      ThrowsMessage<std::invalid_argument>(HasSubstr("MLJOB_ROLES: ml-roles \"bar\"")));
  EXPECT_THAT(
      [] {
        resolve_job_settings(OptionValues{}, lookup_in({{"MLJOB_ROLES", "master"}, {"MLJOB_PORT", "80"}}));
      },
      ThrowsMessage<std::invalid_argument>(HasSubstr("MLJOB_PORT=\"80\": expected a port number from 1024 to 65000")));
  EXPECT_THAT(
      [] {
        resolve_job_settings(OptionValues{}, lookup_in({{"MLJOB_ROLES", "master"}, {"MLJOB_USE_CHIEF", "maybe"}}));
      },
      ThrowsMessage<std::invalid_argument>(HasSubstr("MLJOB_USE_CHIEF=\"maybe\"")));
}

TEST(EnvFamilies, Parsing) {
  EXPECT_EQ(parse_env_families("tf", "--ml-env"), (EnvFamilies{.tf = true, .torch = false, .sagemaker = false}));
  EXPECT_EQ(parse_env_families("torch,tf", "--ml-env"), (EnvFamilies{.tf = true, .torch = true, .sagemaker = false}));
  EXPECT_EQ(parse_env_families("sagemaker", "--ml-env"), (EnvFamilies{.tf = false, .torch = false, .sagemaker = true}));
  EXPECT_EQ(parse_env_families("torch,sagemaker,tf", "--ml-env"), EnvFamilies{});
  EXPECT_EQ(parse_env_families("all", "--ml-env"), EnvFamilies{});
  EXPECT_EQ(parse_env_families("tf,all", "--ml-env"), EnvFamilies{});
  EXPECT_THAT(
      [] { parse_env_families("tf,mxnet", "--ml-env"); },
      ThrowsMessage<std::invalid_argument>(HasSubstr("--ml-env=\"tf,mxnet\": unknown family \"mxnet\" (allowed: "
                                                     "tf, torch, sagemaker, all)")));
  EXPECT_THROW(parse_env_families("SageMaker", "--ml-env"), std::invalid_argument);
  EXPECT_THROW(parse_env_families("", "--ml-env"), std::invalid_argument);
  EXPECT_THROW(parse_env_families("tf,", "--ml-env"), std::invalid_argument);
}

TEST(PortBase, Parsing) {
  EXPECT_EQ(parse_port_base("1024", "--ml-port"), 1024u);
  EXPECT_EQ(parse_port_base("65000", "--ml-port"), 65000u);
  for (const char* bad : {"1023", "65001", "", "20000x", "-5", "port"}) {
    EXPECT_THROW(parse_port_base(bad, "--ml-port"), std::invalid_argument) << bad;
  }
}

TEST(UseChief, Parsing) {
  for (const char* yes : {"1", "true", "yes", "on"}) EXPECT_TRUE(parse_use_chief(yes, "X"));
  for (const char* no : {"", "0", "false", "no", "off"}) EXPECT_FALSE(parse_use_chief(no, "X"));
  EXPECT_THROW(parse_use_chief("2", "X"), std::invalid_argument);
}

// These messages reach the user's terminal and slurmd's log: a value with a newline, 100 KB
// long, comes out escaped and cut, on one short line.
TEST(JobSettings, MessagesShowAHostileValueOnOneShortLine) {
  for (const char* variable : {"MLJOB_ROLES", "MLJOB_PORT", "MLJOB_ENV", "MLJOB_USE_CHIEF", "MLJOB_BIND"}) {
    Variables variables{{"MLJOB_ROLES", "master"}};
    variables[variable] = hostile_value();
    const std::string message = message_of([&] { resolve_job_settings(OptionValues{}, lookup_in(variables)); });
    EXPECT_TRUE(is_one_safe_line(message, 1024)) << variable;
    EXPECT_THAT(message, HasSubstr(variable));
    EXPECT_THAT(message, HasSubstr(R"("bad\nslurmstepd: error: forged line xxx)")) << variable;
  }
  OptionValues options;
  options.roles = "master";
  options.env = "tf,\ntorch";
  EXPECT_THAT(message_of([&] { resolve_job_settings(options, lookup_in({})); }),
              HasSubstr(R"(--ml-env="tf,\ntorch": unknown family "\ntorch")"));
}

}  // namespace
}  // namespace mljob::plugin
