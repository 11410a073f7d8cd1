#include "prediction/instance_text.h"

#include <gtest/gtest.h>

namespace mljob::prediction {
namespace {

using namespace std::string_literals;

std::optional<std::string> instance(std::string_view record, DataFormat format) {
  std::string error;
  std::optional<std::string> text = instance_json(record, format, &error);
  EXPECT_EQ(text.has_value(), error.empty()) << error;
  return text;
}

std::string error_of(std::string_view record, DataFormat format) {
  std::string error;
  EXPECT_EQ(instance_json(record, format, &error), std::nullopt);
  return error;
}

bool mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(InstanceJson, JsonLinesAreSentAsTheyAre) {
  EXPECT_EQ(instance(R"({"x": [1, 2.5, "a"]})", DataFormat::kJson), R"({"x": [1, 2.5, "a"]})");
  EXPECT_EQ(instance("  42 ", DataFormat::kJson), "  42 ");
  EXPECT_EQ(instance(R"("text")", DataFormat::kJson), R"("text")");
}

TEST(InstanceJson, AnInvalidJsonLineIsAnError) {
  const std::string error = error_of(R"({"x": [1, 2})", DataFormat::kJson);
  EXPECT_TRUE(mentions(error, "not valid JSON")) << error;
  EXPECT_TRUE(mentions(error, "column")) << error;
  EXPECT_TRUE(mentions(error_of("{} {}", DataFormat::kJson), "not valid JSON"));
  EXPECT_TRUE(mentions(error_of("{'a': 1}", DataFormat::kJson), "not valid JSON"));
  EXPECT_EQ(instance_json("{", DataFormat::kJson, nullptr), std::nullopt);  // no place for the why: none given
}

TEST(InstanceJson, TextLinesBecomeJsonStrings) {
  EXPECT_EQ(instance("plain words", DataFormat::kText), R"("plain words")");
  EXPECT_EQ(instance(R"(say "hi" \ bye)", DataFormat::kText), R"("say \"hi\" \\ bye")");
  EXPECT_EQ(instance("tab\there\x01", DataFormat::kText), R"("tab\there\u0001")");
  EXPECT_EQ(instance("caf\xc3\xa9 \xe2\x82\xac", DataFormat::kText), "\"caf\xc3\xa9 \xe2\x82\xac\"");
  const std::string error = error_of("caf\xe9", DataFormat::kText);
  EXPECT_TRUE(mentions(error, "UTF-8")) << error;
}

TEST(InstanceJson, CsvRowsBecomeArraysNumbersAsNumbers) {
  EXPECT_EQ(instance("1,2.5,abc,-3,1e3", DataFormat::kCsv), R"([1,2.5,"abc",-3,1000.0])");
  EXPECT_EQ(instance("a,,b,", DataFormat::kCsv), R"(["a","","b",""])");
  EXPECT_EQ(instance("", DataFormat::kCsv), R"([""])");
  EXPECT_EQ(instance(".5,5.,+7,-0.25E-2", DataFormat::kCsv), R"([0.5,5.0,7,-0.0025])");
  EXPECT_EQ(instance("18446744073709551615,-9223372036854775808", DataFormat::kCsv),
            R"([18446744073709551615,-9223372036854775808])");
  EXPECT_EQ(instance("99999999999999999999", DataFormat::kCsv), R"([1e+20])");
}

TEST(InstanceJson, CsvFieldsThatAreNotWhollyDecimalNumbersStayText) {
  EXPECT_EQ(instance("0x1A,inf,nan,1e999, 1,1 ,1e,-,.,1.2.3,+-1", DataFormat::kCsv),
            R"(["0x1A","inf","nan","1e999"," 1","1 ","1e","-",".","1.2.3","+-1"])");
}

TEST(InstanceJson, CsvQuoting) {
  EXPECT_EQ(instance(R"("a,b","say ""hi""",plain,"")", DataFormat::kCsv), R"(["a,b","say \"hi\"","plain",""])");
  EXPECT_EQ(instance(R"("007",007)", DataFormat::kCsv), R"(["007",7])");   // quoted: text
  EXPECT_EQ(instance(R"(ab"c,d)", DataFormat::kCsv), R"(["ab\"c","d"])");  // a quote inside a bare field is kept
  std::string error = error_of(R"(a,"unterminated)", DataFormat::kCsv);
  EXPECT_TRUE(mentions(error, "unterminated quoted field at column 3")) << error;
  error = error_of(R"("closed"extra,b)", DataFormat::kCsv);
  EXPECT_TRUE(mentions(error, "after the closing quote")) << error;
  error = error_of("a,\xff", DataFormat::kCsv);
  EXPECT_TRUE(mentions(error, "UTF-8")) << error;
}

TEST(InstanceJson, TfRecordPayloadsAreJsonOrBase64) {
  EXPECT_EQ(instance(R"({"values": [1, 2]})", DataFormat::kTfRecord), R"({"values": [1, 2]})");
  EXPECT_EQ(instance("\x0a\x03"
                     "abc",
                     DataFormat::kTfRecordGzip),
            R"({"b64":"CgNhYmM="})");
  EXPECT_EQ(instance("\"\xff\"", DataFormat::kTfRecord), R"({"b64":"Iv8i"})");  // JSON-shaped, not UTF-8
  EXPECT_EQ(instance("", DataFormat::kTfRecord), R"({"b64":""})");
  EXPECT_EQ(instance("\0\0"s, DataFormat::kTfRecord), R"({"b64":"AAA="})");
}

TEST(InstanceJson, Base64AsRfc4648Says) {
  // RFC 4648's test vectors (none of them JSON).
  const std::vector<std::pair<std::string, std::string>> vectors{{"f", "Zg=="},         {"fo", "Zm8="},
                                                                 {"foo", "Zm9v"},       {"foob", "Zm9vYg=="},
                                                                 {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [bytes, encoded] : vectors) {
    EXPECT_EQ(instance(bytes, DataFormat::kTfRecord), R"({"b64":")" + encoded + R"("})");
  }
  EXPECT_EQ(instance("\xfb\xff\xbf", DataFormat::kTfRecord), R"({"b64":"+/+/"})");
}

}  // namespace
}  // namespace mljob::prediction
