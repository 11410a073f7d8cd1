#include "base/yaml_json.h"

#include <gtest/gtest.h>

#include "base/did_you_mean.h"
#include "base/input_error.h"
#include "base/test_support.h"
#include "base/text.h"

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

TEST(YamlJson, TextThatIsNotUtf8IsRefusedNamingWhere) {
  testing::expect_input_error([] { yaml_text_to_json("trainingInput:\n  args: [\"ok\", \"caf\xe9\"]\n", "t.yaml"); },
                              "t.yaml: trainingInput.args[]", "is not valid UTF-8 text");
  testing::expect_input_error([] { yaml_text_to_json("labels:\n  \xff: x\n", "t.yaml"); }, "t.yaml: labels.(a key)",
                              "is not valid UTF-8 text");
  EXPECT_EQ(yaml_text_to_json("a: caf\xc3\xa9\n", "t.yaml")["a"], "caf\u00e9");
}

TEST(Utf8, WellFormedOnly) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(
      is_valid_utf8("\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf"));  // e-acute, euro, emoji, U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xe9"));                                            // Latin-1
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));                                        // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xe0\x80\xaf"));                                    // overlong, three bytes
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));                                    // a surrogate
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));                                // past U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xe2\x82"));                                        // cut short
  EXPECT_FALSE(is_valid_utf8("\xe2\x28\xa1"));                                    // a bad continuation
}

TEST(DidYouMean, OnlyCloseWords) {
  EXPECT_EQ(did_you_mean("workerCont", {"workerCount", "workerType"}), "workerCount");
  EXPECT_EQ(did_you_mean("scaletier", {"scaleTier", "masterType"}), "scaleTier");  // case does not count
  EXPECT_EQ(did_you_mean("zzzzzz", {"workerCount", "workerType"}), "");
}

}  // namespace
}  // namespace mljob
