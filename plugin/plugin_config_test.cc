#include "plugin_config.h"

#include <stdexcept>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_messages.h"

namespace mljob::plugin {
namespace {

using test_support::is_one_safe_line;
using test_support::message_of;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

PluginConfig parse(std::vector<std::string_view> arguments) {
  return parse_plugin_arguments(arguments);
}

TEST(PluginConfig, Defaults) {
  const PluginConfig config = parse({});
  EXPECT_EQ(config.ports.base, 20000u);
  EXPECT_EQ(config.ports.range, 10000u);
  EXPECT_EQ(config.log, LogLevel::error);
}

TEST(PluginConfig, AllArguments) {
  const PluginConfig config = parse({"port_base=30000", "port_range=640", "log=debug"});
  EXPECT_EQ(config.ports.base, 30000u);
  EXPECT_EQ(config.ports.range, 640u);
  EXPECT_EQ(config.log, LogLevel::debug);
  EXPECT_EQ(parse({"log=info"}).log, LogLevel::info);
}

TEST(PluginConfig, RefusesUnknownAndMalformedArguments) {
  EXPECT_THAT([] { parse({"colour=blue"}); },
              ThrowsMessage<std::invalid_argument>(
                  HasSubstr("plugstack.conf argument \"colour=blue\": unknown key (known: port_base, "
                            "port_range, log, bind, topology)")));
  EXPECT_THAT([] { parse({"port_base"}); }, ThrowsMessage<std::invalid_argument>(HasSubstr("expected key=value")));
  EXPECT_THAT([] { parse({"port_base=80"}); }, ThrowsMessage<std::invalid_argument>(HasSubstr("from 1024 to 65535")));
  EXPECT_THAT([] { parse({"port_range=10"}); }, ThrowsMessage<std::invalid_argument>(HasSubstr("from 64 to 65535")));
  EXPECT_THAT([] { parse({"log=loud"}); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("log must be error, info or debug")));
  EXPECT_THAT([] { parse({"port_base=65500"}); },
              ThrowsMessage<std::invalid_argument>(HasSubstr("too few for one job's block")));
}

TEST(PluginConfig, MessagesShowAnArgumentOnOneShortLine) {
  const std::string argument = "topology=relative\n" + std::string(8192, 'x');
  const std::string message = message_of([&] { parse({argument}); });
  EXPECT_TRUE(is_one_safe_line(message, 1024));
  EXPECT_THAT(message, HasSubstr(R"(plugstack.conf argument "topology=relative\nxxx)"));
}

}  // namespace
}  // namespace mljob::plugin
