#include "base/document_limits.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "base/test_support.h"
#include "base/yaml_json.h"

namespace mljob {
namespace {

std::string nested_json_arrays(int depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}
std::string nested_yaml_flow(int depth) {
  return "a: " + nested_json_arrays(depth) + "\n";
}

// A block-style YAML document `depth` maps deep: a:\n  a:\n    a: 1
std::string nested_yaml_blocks(int depth) {
  std::string text;
  for (int level = 0; level < depth; ++level) text += std::string(2 * level, ' ') + "a:\n";
  return text + std::string(2 * depth, ' ') + "1\n";
}

void write(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
}

TEST(DocumentLimits, JsonNestedToTheLimitIsRead) {
  auto value = parse_json_within_limits<nlohmann::json>(nested_json_arrays(kMaxNestingDepth));
  ASSERT_TRUE(value);
  EXPECT_EQ(value->dump(), nested_json_arrays(kMaxNestingDepth));
}

TEST(DocumentLimits, JsonNestedPastTheLimitIsRefused) {
  std::string why;
  EXPECT_FALSE(parse_json_within_limits<nlohmann::json>(nested_json_arrays(kMaxNestingDepth + 1), &why));
  EXPECT_EQ(why, nesting_rule());
  // Objects count as arrays do, and so does a mix.
  std::string objects;
  for (int level = 0; level <= kMaxNestingDepth; ++level) objects += level % 2 ? "[" : "{\"k\":";
  EXPECT_FALSE(parse_json_within_limits<nlohmann::ordered_json>(objects, &why));
  EXPECT_EQ(why, nesting_rule());
}

TEST(DocumentLimits, AHundredThousandLevelsOfJsonAreRefusedNotAStackOverflow) {
  testing::expect_input_error(
      [] { parse_json_document<nlohmann::json>(nested_json_arrays(100'000), "request.json", "(file)"); },
      "request.json", "deeper than 100 levels");
}

TEST(DocumentLimits, ManyBracketsInStringsAreNotNesting) {
  // The quick count sees 200 '[' and takes the checked path, which nests nothing here.
  std::string text = "[\"" + std::string(200, '[') + "\"]";
  EXPECT_TRUE(parse_json_within_limits<nlohmann::json>(text));
}

TEST(DocumentLimits, BadJsonSaysWhy) {
  std::string why;
  EXPECT_FALSE(parse_json_within_limits<nlohmann::json>("{\"a\": ", &why));
  EXPECT_NE(why.find("is not valid JSON"), std::string::npos) << why;
}

TEST(DocumentLimits, YamlNestedToTheLimitIsRead) {
  EXPECT_NO_THROW(yaml_text_to_json(nested_yaml_flow(kMaxNestingDepth - 1), "spec.yaml"));  // the map is a level
  EXPECT_NO_THROW(yaml_text_to_json(nested_yaml_blocks(kMaxNestingDepth), "spec.yaml"));
}

TEST(DocumentLimits, YamlNestedPastTheLimitIsRefused) {
  testing::expect_input_error([] { yaml_text_to_json(nested_yaml_flow(kMaxNestingDepth), "spec.yaml"); }, "spec.yaml",
                              "deeper than 100 levels");
  testing::expect_input_error([] { yaml_text_to_json(nested_yaml_blocks(kMaxNestingDepth + 1), "spec.yaml"); },
                              "spec.yaml", "deeper than 100 levels");
}

TEST(DocumentLimits, AHundredThousandLevelsOfYamlAreRefusedNotAStackOverflow) {
  testing::expect_input_error([] { yaml_text_to_json(nested_yaml_flow(100'000), "spec.yaml"); }, "spec.yaml",
                              "deeper than 100 levels");
  // Block sequences, each inside the one before on the same line: "- - - 1".
  std::string dashes;
  for (int level = 0; level < 100'000; ++level) dashes += "- ";
  testing::expect_input_error([&] { yaml_text_to_ordered_json(dashes + "1\n", "spec.yaml"); }, "spec.yaml",
                              "deeper than 100 levels");
}

// A sequence of `entries` items: the first anchors a list of `items` scalars, the others are
// aliases of it. Expanded, it holds 1 + entries * (1 + items) values.
std::string aliases(int entries, int items) {
  std::string list = "[0";
  for (int i = 1; i < items; ++i) list += ",0";
  std::string text = "- &a " + list + "]\n";
  for (int i = 1; i < entries; ++i) text += "- *a\n";
  return text;
}

TEST(DocumentLimits, AliasesExpandingToTheLimitAreRead) {
  static_assert(1 + 1001 * (1 + 998) == kMaxDocumentValues);
  nlohmann::json value = yaml_text_to_json(aliases(1001, 998), "spec.yaml");
  EXPECT_EQ(value.size(), 1001u);
}

TEST(DocumentLimits, AliasesExpandingPastTheLimitAreRefused) {
  testing::expect_input_error([] { yaml_text_to_json(aliases(1001, 999), "spec.yaml"); }, "spec.yaml",
                              "values once its aliases are expanded");
}

TEST(DocumentLimits, ABillionLaughsAreRefused) {
  std::string text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char name = 'b'; name <= 'j'; ++name) {
    text += std::string(1, name) + ": &" + name + " [";
    for (int i = 0; i < 10; ++i) text += std::string(i ? ", *" : "*") + static_cast<char>(name - 1);
    text += "]\n";
  }
  testing::expect_input_error([&] { yaml_text_to_json(text, "laughs.yaml"); }, "laughs.yaml",
                              "values once its aliases are expanded");
}

TEST(DocumentLimits, AFileOfTheLimitsSizeIsRead) {
  testing::ScratchFolder folder("mljob-document-limits");
  write(folder.path() / "spec.yaml", std::string(kMaxDocumentBytes, '#'));
  EXPECT_EQ(read_document_file(folder.path() / "spec.yaml", "--config").size(), kMaxDocumentBytes);
}

TEST(DocumentLimits, AFilePastTheLimitIsRefused) {
  testing::ScratchFolder folder("mljob-document-limits");
  write(folder.path() / "spec.yaml", std::string(kMaxDocumentBytes + 1, '#'));
  testing::expect_input_error([&] { read_document_file(folder.path() / "spec.yaml", "--config"); }, "--config",
                              "is over 16 MiB");
  testing::expect_input_error([] { check_document_size(std::string(kMaxDocumentBytes + 1, ' '), "FILE"); }, "FILE",
                              "is over 16 MiB");
}

// The bridge's bound on a SageMaker request and an FfDL manifest: 1 MiB, from a file or stdin.
TEST(DocumentLimits, ARequestOfOneMiBIsReadAndOnePastItRefused) {
  constexpr std::size_t kOneMiB = std::size_t{1} << 20;
  testing::ScratchFolder folder("mljob-document-limits");
  write(folder.path() / "at.json", std::string(kOneMiB, ' '));
  write(folder.path() / "past.json", std::string(kOneMiB + 1, ' '));
  std::istringstream unused;
  EXPECT_EQ(read_request_document(folder.path() / "at.json", "FILE", kOneMiB, unused).size(), kOneMiB);
  testing::expect_input_error([&] { read_request_document(folder.path() / "past.json", "FILE", kOneMiB, unused); },
                              "FILE", "is over 1 MiB");
  std::istringstream at(std::string(kOneMiB, ' ')), past(std::string(kOneMiB + 1, ' '));
  EXPECT_EQ(read_request_document("-", "FILE", kOneMiB, at).size(), kOneMiB);
  testing::expect_input_error([&] { read_request_document("-", "FILE", kOneMiB, past); }, "FILE", "is over 1 MiB");
}

TEST(DocumentLimits, EndlessOrBlockingFilesAreRefusedUnread) {
  testing::expect_input_error([] { read_document_file("/dev/zero", "--config"); }, "--config", "is not a regular file");
  testing::ScratchFolder folder("mljob-document-limits");
  ASSERT_EQ(::mkfifo((folder.path() / "fifo").c_str(), 0600), 0);
  testing::expect_input_error([&] { read_document_file(folder.path() / "fifo", "--config"); }, "--config",
                              "is not a regular file");
  testing::expect_input_error([&] { read_document_file(folder.path() / "missing.yaml", "--config"); }, "--config",
                              "cannot be read: No such file or directory");
}

TEST(DocumentLimits, LinesAreReadUpToTheLimit) {
  std::istringstream in("first\n\nlast without newline");
  EXPECT_EQ(read_bounded_line(in, "line"), "first");
  EXPECT_EQ(read_bounded_line(in, "line"), "");
  EXPECT_EQ(read_bounded_line(in, "line"), "last without newline");
  EXPECT_EQ(read_bounded_line(in, "line"), std::nullopt);
  std::istringstream at_the_limit(std::string(kMaxDocumentBytes, 'x') + "\n");
  EXPECT_EQ(read_bounded_line(at_the_limit, "line")->size(), kMaxDocumentBytes);
}

TEST(DocumentLimits, ALinePastTheLimitIsRefused) {
  std::istringstream in(std::string(kMaxDocumentBytes + 1, 'x') + "\n");
  testing::expect_input_error([&] { read_bounded_line(in, "line"); }, "line", "is over 16 MiB");
}

}  // namespace
}  // namespace mljob
