#include "bind_options.h"

#include <stdexcept>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "options.h"
#include "plugin_config.h"
#include "test_environment.h"
#include "test_messages.h"

namespace mljob::plugin {
namespace {

using test_support::hostile_value;
using test_support::is_one_safe_line;
using test_support::lookup_in;
using test_support::message_of;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

TEST(BindRequest, PoliciesAndVerbose) {
  EXPECT_EQ(parse_bind_request("closest", "--ml-bind"), (BindRequest{.policy = BindPolicy::closest, .verbose = false}));
  EXPECT_EQ(parse_bind_request("socket,verbose", "--ml-bind"),
            (BindRequest{.policy = BindPolicy::socket, .verbose = true}));
  EXPECT_EQ(parse_bind_request("verbose", "--ml-bind"), (BindRequest{.policy = std::nullopt, .verbose = true}));
  EXPECT_EQ(parse_bind_request("none", "--ml-bind").policy, BindPolicy::none);
  EXPECT_EQ(parse_bind_request("numa", "--ml-bind").policy, BindPolicy::numa);
}

TEST(BindRequest, RefusesBadValuesNamingThem) {
  EXPECT_THAT(
      [] { parse_bind_request("cores", "--ml-bind"); },
      ThrowsMessage<std::invalid_argument>("--ml-bind=\"cores\": unknown word \"cores\" (allowed: closest, numa, "
                                           "socket, none, verbose)"));
  EXPECT_THAT([] { parse_bind_request("numa,socket", "MLJOB_BIND"); },
              ThrowsMessage<std::invalid_argument>("MLJOB_BIND=\"numa,socket\": more than one binding policy"));
  EXPECT_THAT([] { parse_bind_request("", "--ml-bind"); }, ThrowsMessage<std::invalid_argument>(HasSubstr("empty")));
  EXPECT_THAT([] { parse_bind_request("numa,", "--ml-bind"); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("unknown word \"\"")));
}

TEST(BindRequest, TheJobsRequestOverTheSitesDefault) {
  const BindSettings site{.policy = BindPolicy::numa, .verbose = false};
  EXPECT_EQ(resolve_bind(std::nullopt, site), site);
  EXPECT_EQ(resolve_bind(BindRequest{.policy = std::nullopt, .verbose = true}, site),
            (BindSettings{.policy = BindPolicy::numa, .verbose = true}));
  EXPECT_EQ(resolve_bind(BindRequest{.policy = BindPolicy::none, .verbose = false}, site),
            (BindSettings{.policy = BindPolicy::none, .verbose = false}));
}

TEST(BindRequest, FromTheOptionOrTheEnvironment) {
  OptionValues options;
  options.roles = "master";
  options.bind = "socket";
  auto settings = resolve_job_settings(options, lookup_in({{"MLJOB_BIND", "none"}}));
  ASSERT_TRUE(settings.has_value());
  EXPECT_EQ(settings->bind->policy, BindPolicy::socket);
  options.bind.reset();
  settings = resolve_job_settings(options, lookup_in({{"MLJOB_BIND", "none,verbose"}}));
  EXPECT_EQ(settings->bind, (BindRequest{.policy = BindPolicy::none, .verbose = true}));
  settings = resolve_job_settings(options, lookup_in({}));
  EXPECT_FALSE(settings->bind.has_value());
  EXPECT_THAT(
      [&] {
        resolve_job_settings(options, lookup_in({{"MLJOB_BIND", "tight"}}));
      },
      ThrowsMessage<std::invalid_argument>(HasSubstr("MLJOB_BIND=\"tight\"")));
}

TEST(BindRequest, PlugstackArguments) {
  std::vector<std::string_view> arguments = {"bind=socket,verbose", "topology=/etc/slurm/topology.xml"};
  const PluginConfig config = parse_plugin_arguments(arguments);
  EXPECT_EQ(config.bind, (BindSettings{.policy = BindPolicy::socket, .verbose = true}));
  EXPECT_EQ(config.topology_xml, "/etc/slurm/topology.xml");
  const PluginConfig defaults = parse_plugin_arguments({});
  EXPECT_EQ(defaults.bind, (BindSettings{.policy = BindPolicy::closest, .verbose = false}));
  EXPECT_FALSE(defaults.topology_xml.has_value());
  std::vector<std::string_view> relative = {"topology=topology.xml"};
  EXPECT_THAT(
      [&] { parse_plugin_arguments(relative); },
      ThrowsMessage<std::invalid_argument>("plugstack.conf argument \"topology=topology.xml\": topology must be an "
                                           "absolute path"));
  std::vector<std::string_view> bad = {"bind=tight"};
  EXPECT_THAT([&] { parse_plugin_arguments(bad); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("unknown word \"tight\"")));
}

TEST(BindRequest, MessagesShowAHostileValueOnOneShortLine) {
  const std::string message = message_of([] { parse_bind_request("numa,\n" + hostile_value(), "MLJOB_BIND"); });
  EXPECT_TRUE(is_one_safe_line(message, 1024));
  EXPECT_THAT(message, HasSubstr(R"(MLJOB_BIND="numa,\nbad\nslurmstepd: error: forged line)"));
  EXPECT_THAT(message, HasSubstr(R"(unknown word "\nbad\nslurmstepd)"));
}

}  // namespace
}  // namespace mljob::plugin
