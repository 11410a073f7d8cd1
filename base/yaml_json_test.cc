#include "base/yaml_json.h"

#include <gtest/gtest.h>

#include "base/did_you_mean.h"
#include "base/input_error.h"

namespace mljob {
namespace {

TEST(YamlJson, PlainScalarsAreTypedAndQuotedOnesStayStrings) {
  nlohmann::json value = yaml_text_to_json("a: 5\nb: 1.5\nc: true\nd: '5'\ne: ~\nf: text\n", "t");
  EXPECT_EQ(value["a"], 5);
  EXPECT_EQ(value["b"], 1.5);
  EXPECT_EQ(value["c"], true);
  EXPECT_EQ(value["d"], "5");
  EXPECT_TRUE(value["e"].is_null());
  EXPECT_EQ(value["f"], "text");
}

TEST(YamlJson, ItemsOfStringListsStayAsWritten) {
  nlohmann::json value = yaml_text_to_json("args: [0x10, 1e3, inf]\nother: [1e3]\n", "t", {"args"});
  EXPECT_EQ(value["args"], nlohmann::json::array({"0x10", "1e3", "inf"}));
  EXPECT_EQ(value["other"][0], 1000.0);
}

TEST(YamlJson, KeysKeepTheDocumentsOrderWhenAsked) {
  nlohmann::ordered_json value = yaml_text_to_ordered_json("zeta: 1\nalpha: 2\n", "t");
  EXPECT_EQ(value.begin().key(), "zeta");
}

TEST(YamlJson, BadYamlIsAnInputErrorNamingTheFile) {
  try {
    yaml_text_to_json("a: [unclosed\n", "spec.yaml");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), "spec.yaml");
    EXPECT_NE(e.rule().find("not valid YAML"), std::string::npos);
  }
}

TEST(DidYouMean, OnlyCloseWords) {
  EXPECT_EQ(did_you_mean("workerCont", {"workerCount", "workerType"}), "workerCount");
  EXPECT_EQ(did_you_mean("scaletier", {"scaleTier", "masterType"}), "scaleTier");  // case does not count
  EXPECT_EQ(did_you_mean("zzzzzz", {"workerCount", "workerType"}), "");
}

}  // namespace
}  // namespace mljob
