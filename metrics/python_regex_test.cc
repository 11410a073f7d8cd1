#include "metrics/python_regex.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

namespace mljob::metrics {
namespace {

// The part RegexError quotes for `pattern`, or "" if it compiles.
std::string refused_part(const std::string& pattern) {
  try {
    compile_python_regex(pattern);
    return "";
  } catch (const RegexError& e) {
    return e.part();
  }
}

TEST(PythonRegex, NamedGroupsRunAsInPython) {
  auto re = compile_python_regex(R"(loss=(?P<loss>[0-9.]+))");
  std::string loss;
  ASSERT_TRUE(RE2::PartialMatch("epoch 3 loss=0.25", *re, &loss));
  EXPECT_EQ(loss, "0.25");
  EXPECT_EQ(re->NamedCapturingGroups().at("loss"), 1);
}

TEST(PythonRegex, TranslatesWhatDiffers) {
  EXPECT_EQ(translate_python_regex(R"(a\Z)"), R"(a\z)");
  EXPECT_EQ(translate_python_regex(R"(x{,3})"), R"(x{0,3})");
  EXPECT_EQ(translate_python_regex(R"(a(?#why)b)"), "ab");
  EXPECT_EQ(translate_python_regex(R"(\u00e9)"), R"(\x{00e9})");
  EXPECT_EQ(translate_python_regex(R"((?i)loss)"), R"((?i)loss)");
  EXPECT_EQ(translate_python_regex(R"((?u)a)"), "a");
  EXPECT_EQ(translate_python_regex(R"([\1(?=])"), R"([\1(?=])");  // inside a class: literal text
  EXPECT_EQ(translate_python_regex(R"((?P<a>x))", true), "(x)");
}

TEST(PythonRegex, RefusesWhatNeedsBacktrackingAndQuotesThePart) {
  EXPECT_EQ(refused_part(R"((a)\1)"), R"(\1)");
  EXPECT_EQ(refused_part(R"((?P<x>a)(?P=x))"), "(?P=x)");
  EXPECT_EQ(refused_part(R"(loss(?= ))"), "(?= )");
  EXPECT_EQ(refused_part(R"(loss(?!x))"), "(?!x)");
  EXPECT_EQ(refused_part(R"((?<=a)b)"), "(?<=a)");
  EXPECT_EQ(refused_part(R"((?<!a)b)"), "(?<!a)");
  EXPECT_EQ(refused_part(R"((?>ab)c)"), "(?>ab)");
  EXPECT_EQ(refused_part(R"(a++)"), "++");
  EXPECT_EQ(refused_part(R"((?x) a b)"), "(?x)");
  try {
    compile_python_regex("(loss");
    ADD_FAILURE() << "an unbalanced group compiled";
  } catch (const RegexError& e) {
    EXPECT_NE(e.reason().find("missing )"), std::string::npos) << e.what();
  }
  EXPECT_EQ(refused_part("a{2000}"), "{2000}");
}

}  // namespace
}  // namespace mljob::metrics

namespace mljob::metrics {
namespace {

TEST(PythonRegex, LiteralPrefixOnlyWhenEveryMatchStartsWithIt) {
  EXPECT_EQ(literal_prefix("Loss = (.*?);"), "Loss = ");
  EXPECT_EQ(literal_prefix(R"(val_acc: ([0-9\.]+))"), "val_acc: ");
  EXPECT_EQ(literal_prefix(R"('eval_loss': ([0-9\.]+))"), "'eval_loss': ");
  EXPECT_EQ(literal_prefix(R"(\[epoch\] (\d+))"), "[epoch] ");
  EXPECT_EQ(literal_prefix("losses?=(.*)"), "losse");  // the 's' may be missing
  EXPECT_EQ(literal_prefix("a|b(.*)"), "");
  EXPECT_EQ(literal_prefix("(?i)loss=(.*)"), "");
  EXPECT_EQ(literal_prefix(R"(\d+ loss)"), "");
  EXPECT_EQ(literal_prefix("^loss=(.*)"), "");
  EXPECT_EQ(literal_prefix("x{2}y"), "");
}

}  // namespace
}  // namespace mljob::metrics

namespace mljob::metrics {
namespace {

TEST(PythonRegex, LiteralThenRunOnlyForALiteralAndOneAsciiClassRun) {
  auto shape = literal_then_run(R"(loss: ([0-9\.]+))");
  ASSERT_TRUE(shape);
  EXPECT_EQ(shape->literal, "loss: ");
  std::string members;
  for (int byte = 0; byte < 256; ++byte) {
    if (shape->in_run[static_cast<std::size_t>(byte)]) members += static_cast<char>(byte);
  }
  EXPECT_EQ(members, ".0123456789");
  auto exponent = literal_then_run("val_loss=(?P<v>[0-9.eE+-]+)");
  ASSERT_TRUE(exponent);
  EXPECT_EQ(exponent->literal, "val_loss=");
  EXPECT_TRUE(exponent->in_run['+'] && exponent->in_run['-'] && exponent->in_run['e'] && !exponent->in_run[' ']);
  auto digits = literal_then_run(R"(\[epoch\] (\d+))");
  ASSERT_TRUE(digits);
  EXPECT_EQ(digits->literal, "[epoch] ");
  EXPECT_TRUE(digits->in_run['7'] && !digits->in_run['.']);

  EXPECT_FALSE(literal_then_run("Loss = (.*?);"));      // something after the group
  EXPECT_FALSE(literal_then_run("loss: (.+)"));         // '.' takes any character
  EXPECT_FALSE(literal_then_run("loss: ([0-9]*)"));     // may be empty
  EXPECT_FALSE(literal_then_run("loss: ([0-9]+?)"));    // lazy
  EXPECT_FALSE(literal_then_run("loss: ([^ ]+)"));      // negated: takes UTF-8 too
  EXPECT_FALSE(literal_then_run(R"(loss: ([\w.]+))"));  // \w is not only ASCII in Python
  EXPECT_FALSE(literal_then_run(R"(loss: (\S+))"));
  EXPECT_FALSE(literal_then_run("loss: ([\n0-9]+)"));   // a run must stop at the line's end
  EXPECT_FALSE(literal_then_run("losses?: ([0-9]+)"));  // the literal is not the whole head
  EXPECT_FALSE(literal_then_run("loss: (a|[0-9]+)"));
  EXPECT_FALSE(literal_then_run("(?i)loss: ([0-9]+)"));
  EXPECT_FALSE(literal_then_run("([0-9]+)"));                     // no literal
  EXPECT_FALSE(literal_then_run("\xc3\xa9t\xc3\xa9: ([0-9]+)"));  // not ASCII
}

}  // namespace
}  // namespace mljob::metrics
