#include "metrics/log_extractor.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "metrics/test_support.h"

namespace mljob::metrics {
namespace {

using nlohmann::json;

using testing::run;

TEST(FfdlExtractor, EachReplicaHasItsOwnWindow) {
  FfdlSpec spec = parse_ffdl_spec(
      json{{"type", "regex_extractor"},
           {"line_lookahead", 2},
           {"groups",
            {{"g",
              {{"regex", "a=%{INT:a}\\nb=%{INT:b}"},
               {"values", {{"a", {{"type", "INT"}, {"value", "$a"}}}, {"b", {{"type", "INT"}, {"value", "$b"}}}}}}}}}},
      "em", nullptr);
  auto extractor = make_ffdl_extractor(spec);
  LineBatch batch;
  batch.add("a=1", 0);
  batch.add("a=2", 1);  // interleaved by srun, but a different replica
  batch.add("b=3", 0);
  batch.add("b=4", 1);
  std::vector<EMetrics> records;
  extractor->process(batch, [&](EMetrics&& r) { records.push_back(std::move(r)); });
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].meta.subid, "0");
  EXPECT_EQ(records[0].values.at("a").text, "1");
  EXPECT_EQ(records[1].meta.subid, "1");
  EXPECT_EQ(records[1].values.at("b").text, "4");
}

// The prefilter only skips groups that cannot match: on random caffe-like logs, interleaved by
// replica, the records are exactly those of trying every group after every line.
TEST(FfdlExtractor, ThePrefilterGivesWhatTryingEveryGroupGives) {
  FfdlSpec spec = parse_ffdl_spec(
      json{{"type", "regex_extractor"},
           {"line_lookahead", 3},
           {"groups",
            {{"test",
              {{"regex",
                "%{GLOG_STAMP:stamp}.*Iteration %{INT:iteration}, Testing.*\n.*Test net output .* accuracy = "
                "%{FLOAT:accuracy}"},
               {"values", {{"accuracy", {{"type", "FLOAT"}, {"value", "$accuracy"}}}}},
               {"etimes", {{"iteration", {{"type", "INT"}, {"value", "$iteration"}}}}}}},
             {"train",
              {{"regex", "(?i).*solver.cpp:.*Iteration %{INT:iteration} \\(.*\n.*loss = %{FLOAT:loss}"},
               {"values", {{"loss", {{"type", "FLOAT"}, {"value", "$loss"}}}}}}},
             {"lr",
              {{"regex", "lr\\s*=\\s*%{FLOAT:lr}\\nend"},
               {"values", {{"lr", {{"type", "FLOAT"}, {"value", "$lr"}}}}}}}}}},
      "em", nullptr);
  const std::vector<std::string> fragments = {
      "I0304 12:00:00.123 solver.cpp:218] Iteration 100 (1.2 iter/s), loss = 0.5",
      "I0304 12:00:01.000 solver.cpp:330] Iteration 200, Testing net (#0)",
      "I0304 12:00:02.000 solver.cpp:397]     Test net output #0: accuracy = 0.91",
      "I0304 12:00:02.000 solver.cpp:397]     Test net output #1: loss = 0.3",
      "    Train net output #0: loss = 0.25",
      "SOLVER.CPP: ITERATION 7 (x)",
      "lr = 0.01",
      "end",
      "lr=1e-3",
      " 45%|####      | 450/1000 [00:10<00:12, 44.1it/s]",
      "",
      "iteration",
      "\xe2\x84\xaa kelvin"};
  for (unsigned seed = 1; seed <= 5; ++seed) {
    std::mt19937 random(seed);
    LineBatch batch;
    for (int i = 0; i < 3000; ++i) {
      batch.add(fragments[random() % fragments.size()], static_cast<int>(random() % 3) - (random() % 9 == 0 ? 3 : 0));
    }
    std::vector<EMetrics> filtered, plain;
    make_ffdl_extractor(spec, true)->process(batch, [&](EMetrics&& r) { filtered.push_back(std::move(r)); });
    make_ffdl_extractor(spec, false)->process(batch, [&](EMetrics&& r) { plain.push_back(std::move(r)); });
    ASSERT_GT(plain.size(), 50u) << "seed " << seed;
    ASSERT_EQ(filtered.size(), plain.size()) << "seed " << seed;
    for (std::size_t i = 0; i < plain.size(); ++i) {
      ASSERT_EQ(filtered[i].grouplabel, plain[i].grouplabel) << "seed " << seed << " record " << i;
      ASSERT_EQ(filtered[i].meta.subid, plain[i].meta.subid) << "seed " << seed << " record " << i;
      ASSERT_EQ(filtered[i].values.begin()->second.text, plain[i].values.begin()->second.text) << "seed " << seed;
    }
  }
}

std::vector<MetricDefinition> definitions(const json& list) {
  return parse_metric_definitions(list, "M", nullptr);
}

// Datapoints come in the order they were written, whichever definition found them.
TEST(MetricDefinitionsExtractor, EveryMatchIsADatapointAndNonNumbersAreDropped) {
  auto defs = definitions(json::array({{{"Name", "train:loss"}, {"Regex", "Loss = (.*?);"}},
                                       {{"Name", "validation:error"}, {"Regex", "Valid_error=([0-9.]+)"}}}));
  auto extractor = make_metric_definitions_extractor(defs, nullptr);
  auto records = run(*extractor, {"step 1 Loss = 0.9; Loss = 0.8;", "nothing here", "Loss = nan-ish;",
                                  "Valid_error=0.25 and Loss = 1e-3;"});
  std::vector<std::pair<std::string, std::string>> seen;
  for (const auto& r : records) {
    for (const auto& [name, value] : r.values) seen.emplace_back(name, value.text);
  }
  EXPECT_EQ(seen,
            (std::vector<std::pair<std::string, std::string>>{
                {"train:loss", "0.9"}, {"train:loss", "0.8"}, {"validation:error", "0.25"}, {"train:loss", "1e-3"}}));
}

TEST(MetricDefinitionsExtractor, AnchoredPatternsHoldPerLineAndEmptyMatchesEnd) {
  auto defs =
      definitions(json::array({{{"Name", "acc"}, {"Regex", "^acc: ([0-9.]+)$"}}, {{"Name", "e"}, {"Regex", "(x*)"}}}));
  auto extractor = make_metric_definitions_extractor(defs, nullptr);
  auto records = run(*extractor, {"acc: 0.5", "x acc: 0.6", "acc: 0.7"});
  std::vector<std::string> acc;
  for (const auto& r : records) {
    if (r.values.contains("acc")) acc.push_back(r.values.at("acc").text);
  }
  EXPECT_EQ(acc, (std::vector<std::string>{"0.5", "0.7"}));
}

TEST(DefaultExtractor, NameEqualsValueAndNameColonValue) {
  auto extractor = make_default_extractor(nullptr);
  auto records = run(
      *extractor,
      {"epoch=3 loss=0.25, accuracy: 0.9", "12:30:05 nothing", "time: 12:30:05", "lr=1e-4", "ROLE master:0 n1:20195"},
      2);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].values.at("loss").text, "0.25");
  EXPECT_EQ(records[0].values.at("accuracy").text, "0.9");
  EXPECT_EQ(records[0].etimes.at("epoch").text, "3");
  EXPECT_EQ(records[0].meta.subid, "2");
  EXPECT_EQ(records[1].values.at("lr").text, "1e-4");
}

TEST(DefaultExtractor, ThousandsOfNamesAreBoundedWithOneWarning) {
  std::vector<std::string> warnings;
  auto extractor = make_default_extractor([&](const std::string& w) { warnings.push_back(w); }, 100);
  std::vector<std::string> lines;
  for (int i = 0; i < 5000; ++i) lines.push_back("metric_" + std::to_string(i) + "=1");
  auto records = run(*extractor, lines);
  EXPECT_EQ(records.size(), 100u);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("metric_100"), std::string::npos);
}

TEST(Extractors, BinaryJunkInvalidUtf8AndHugeLinesDoNotBreakThem) {
  std::string junk;
  for (int i = 0; i < 4096; ++i) junk += static_cast<char>((i * 37) % 256 == '\n' ? 0 : (i * 37) % 256);
  std::string huge(10 << 20, 'x');
  huge += " loss=0.5";
  std::vector<std::string> lines = {junk, "\xff\xfe loss=0.125 \xc3\x28", huge, "loss=0.25"};
  auto defaults = make_default_extractor(nullptr);
  auto records = run(*defaults, lines);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].values.at("loss").text, "0.125");
  auto defs = definitions(json::array({{{"Name", "loss"}, {"Regex", "loss=(\\S+)"}}}));
  auto sagemaker = make_metric_definitions_extractor(defs, nullptr);
  EXPECT_EQ(run(*sagemaker, lines).size(), 3u);
}

TEST(LineBatch, SrunLabels) {
  std::string_view text;
  EXPECT_EQ(split_rank_label("12: loss=1", text), 12);
  EXPECT_EQ(text, "loss=1");
  EXPECT_EQ(split_rank_label(" 3: x", text), 3);
  EXPECT_EQ(split_rank_label("3:", text), 3);
  EXPECT_EQ(text, "");
  EXPECT_EQ(split_rank_label("srun: error: n1: task 0", text), -1);
  EXPECT_EQ(text, "srun: error: n1: task 0");
  EXPECT_EQ(split_rank_label("12:30:05 x", text), -1);
}

}  // namespace
}  // namespace mljob::metrics

namespace mljob::metrics {
namespace {

std::vector<EMetrics> run_block(LogExtractor& extractor, const std::string& block) {
  std::vector<EMetrics> out;
  extractor.process_block(block, [&](EMetrics&& record) { out.push_back(std::move(record)); });
  return out;
}

TEST(MetricDefinitionsExtractor, RawBlocksGiveWhatLinesGive) {
  auto defs = parse_metric_definitions(
      json::array({{{"Name", "loss"}, {"Regex", "loss: ([0-9.]+)"}},
                   {{"Name", "anchored"}, {"Regex", "^acc: ([0-9.]+)"}},
                   {{"Name", "crossing"}, {"Regex", "err[^;]*=([0-9]+)"}},  // [^;] could run into the next line
                   {{"Name", "label"}, {"Regex", ": ([0-9]+)$"}}}),
      "M", nullptr);
  auto extractor = make_metric_definitions_extractor(defs, nullptr);
  std::string block =
      "0: loss: 0.5 loss: 0.25\n"
      "srun: loss: 9\n"  // no label: Slurm's, skipped
      "1: acc: 0.75\n"
      "0: x acc: 0.1\n"  // not at the start of the text
      "1: err\n"         // the block match runs on to the next line; the line has none
      "1: =7 err=8\n"
      "2: 42\n";  // ': 42' only with the label: no match on the text
  std::vector<std::tuple<std::string, std::string, std::string>> seen;
  for (const auto& r : run_block(*extractor, block)) {
    for (const auto& [name, value] : r.values) seen.emplace_back(name, value.text, r.meta.subid);
  }
  EXPECT_EQ(seen, (std::vector<std::tuple<std::string, std::string, std::string>>{
                      {"loss", "0.5", "0"}, {"loss", "0.25", "0"}, {"anchored", "0.75", "1"}, {"crossing", "8", "1"}}));
}

}  // namespace
}  // namespace mljob::metrics

namespace mljob::metrics {
namespace {

using testing::datapoints;
using testing::reference_datapoints;

// Random logs made of the pieces that trip extractors up: prefixes without values, values that
// are not numbers, matches back to back, prefixes inside srun's label, unlabelled lines, runs
// that end with the line. The one-pass scan (with and without a regex engine per match) must
// give what the plain line-by-line extraction gives.
TEST(MetricDefinitionsExtractor, OnePassScanGivesWhatLineByLineExtractionGives) {
  auto defs = parse_metric_definitions(
      json::array({{{"Name", "train:loss"}, {"Regex", R"(loss: ([0-9\.]+))"}},
                   {{"Name", "train:accuracy"}, {"Regex", R"(accuracy: ([0-9\.]+))"}},
                   {{"Name", "validation:loss"}, {"Regex", "val_loss=([0-9.eE+-]+)"}},
                   {{"Name", "loss:int"}, {"Regex", R"(loss: (\d+))"}},  // shares its literal
                   {{"Name", "semicolon"}, {"Regex", "Loss = (.*?);"}},  // literal, then RE2
                   {{"Name", "percent"}, {"Regex", R"((\d+)%)"}},        // no literal
                   {{"Name", "colon"}, {"Regex", "1: ([0-9]+)"}}}),      // can start inside a label
      "M", nullptr);
  const std::vector<std::string> pieces = {"loss: ",
                                           "0.25",
                                           "loss: 1.5",
                                           "accuracy: .5",
                                           "accuracy: 1.2.3",
                                           "val_loss=1e-3",
                                           "val_loss=e",
                                           "val_loss=-2.5E+1",
                                           "Loss = 7;",
                                           "Loss = x;",
                                           "Loss = 3",
                                           "42%",
                                           "1: 9",
                                           " ",
                                           "loss: 3loss: 4",
                                           "  ",
                                           "x",
                                           "\xff\xfe",
                                           ";",
                                           "\r"};
  const std::vector<std::string> labels = {"0: ", "1: ", "12: ", " 3: ", "srun: ", "", "1:"};
  std::mt19937 random(7);
  auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(random); };
  auto extractor = make_metric_definitions_extractor(defs, nullptr);
  for (int round = 0; round < 200; ++round) {
    std::string block;
    for (std::size_t line = 0, lines = 1 + pick(30); line < lines; ++line) {
      block += labels[pick(labels.size())];
      for (std::size_t piece = 0, count = pick(6); piece < count; ++piece) block += pieces[pick(pieces.size())];
      block += '\n';
    }
    std::vector<EMetrics> records;
    if (round % 2 == 0) {  // a sink that takes each record
      extractor->process_block(block, [&](EMetrics&& record) { records.push_back(std::move(record)); });
    } else {  // one that only reads them (the extractor fills the same records again)
      extractor->process_block(block, [&](EMetrics&& record) { records.push_back(record); });
    }
    ASSERT_EQ(datapoints(records), reference_datapoints(defs, block)) << "round " << round << ":\n" << block;
  }
}

}  // namespace
}  // namespace mljob::metrics
