#include "metrics/line_prefilter.h"

#include <gtest/gtest.h>

#include "metrics/log_extractor.h"
#include "metrics/python_regex.h"
#include "metrics/test_support.h"

namespace mljob::metrics {
namespace {

using nlohmann::json;
using testing::batch_of_block;
using testing::Datapoint;
using testing::datapoints;
using testing::reference_datapoints;

std::vector<MetricDefinition> definitions(const std::vector<std::string>& regexes) {
  json list = json::array();
  for (std::size_t i = 0; i < regexes.size(); ++i)
    list.push_back({{"Name", "m" + std::to_string(i)}, {"Regex", regexes[i]}});
  return parse_metric_definitions(list, "MetricDefinitions", nullptr);
}

// What the extractor finds in `block`, checked against the plain line-by-line extraction
// through both entry points.
std::vector<Datapoint> extract(const std::vector<MetricDefinition>& defs, const std::string& block) {
  auto extractor = make_metric_definitions_extractor(defs, nullptr);
  std::vector<EMetrics> records;
  extractor->process_block(block, [&](EMetrics&& record) { records.push_back(std::move(record)); });
  std::vector<Datapoint> found = datapoints(records);
  EXPECT_EQ(found, reference_datapoints(defs, block)) << block;
  LineBatch batch = batch_of_block(block);
  records.clear();
  extractor->process(batch, [&](EMetrics&& record) { records.push_back(std::move(record)); });
  EXPECT_EQ(datapoints(records), reference_datapoints(defs, batch)) << block;
  return found;
}

LinePrefilter prefilter_of(const std::vector<std::string>& regexes, std::vector<std::unique_ptr<RE2>>& compiled) {
  std::vector<const RE2*> pointers;
  for (const auto& regex : regexes) {
    compiled.push_back(compile_python_regex(regex));
    pointers.push_back(compiled.back().get());
  }
  return LinePrefilter(pointers);
}

// The regexes passed by one line of text (lowercased by the filter itself).
std::vector<std::size_t> passed_by(LinePrefilter& prefilter, std::string_view line) {
  std::vector<int> atoms;
  bool every_regex = false;
  prefilter.scan(line, [&](std::size_t, std::size_t atom) {
    if (atom == LinePrefilter::kEveryRegex)
      every_regex = true;
    else
      atoms.push_back(static_cast<int>(atom));
  });
  std::vector<std::size_t> passing;
  prefilter.passing(atoms, every_regex, passing);
  return passing;
}

TEST(LinePrefilter, RegexesThatNeedNoWordAreUnfiltered) {
  std::vector<std::unique_ptr<RE2>> compiled;
  LinePrefilter prefilter = prefilter_of(
      {R"(.*box_loss:\s*(\S+).*)", R"((\d+)%)", R"((0\.[0-9]{1,6}).{7,12}$)", R"(.*époque: (\d+))"}, compiled);
  EXPECT_TRUE(prefilter.filters(0));
  EXPECT_FALSE(prefilter.filters(1));  // "%" alone is shorter than an atom
  EXPECT_FALSE(prefilter.filters(2));
  EXPECT_FALSE(prefilter.filters(3));  // its one atom is not ASCII: taken as everywhere
  EXPECT_EQ(passed_by(prefilter, "x BOX_LOSS: 1"), (std::vector<std::size_t>{0}));
  EXPECT_EQ(passed_by(prefilter, "x box loss: 1"), (std::vector<std::size_t>{}));
}

TEST(LinePrefilter, AlternationsPassOnEitherBranch) {
  std::vector<std::unique_ptr<RE2>> compiled;
  LinePrefilter prefilter = prefilter_of({R"(.*(?:train|valid)_loss=(\S+))", R"(.*epoch (\d+) of)"}, compiled);
  EXPECT_EQ(passed_by(prefilter, "valid_loss=3"), (std::vector<std::size_t>{0}));
  EXPECT_EQ(passed_by(prefilter, "train_loss=3 epoch 1 of"), (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(passed_by(prefilter, "test_loss=3"), (std::vector<std::size_t>{}));
}

TEST(LinePrefilter, LettersThatFoldToAsciiPassEveryRegex) {
  std::vector<std::unique_ptr<RE2>> compiled;
  LinePrefilter prefilter = prefilter_of({R"((?i).*kl_div=(\S+))", R"(.*class_loss=(\S+))"}, compiled);
  EXPECT_EQ(passed_by(prefilter, "\xe2\x84\xaaL_DIV=1"), (std::vector<std::size_t>{0, 1}));         // KELVIN SIGN
  EXPECT_EQ(passed_by(prefilter, "clas\xc5\xbf_lo\xc5\xbfs=1"), (std::vector<std::size_t>{0, 1}));  // long s
}

TEST(LinePrefilter, MoreAtomsThanOneScannerTakes) {
  std::vector<std::string> regexes;
  for (int i = 0; i < 40; ++i) regexes.push_back(".*(?:alpha|beta)_metric_" + std::to_string(i) + "=(\\d+)");
  std::vector<std::unique_ptr<RE2>> compiled;
  LinePrefilter prefilter = prefilter_of(regexes, compiled);
  ASSERT_GT(prefilter.atoms().size(), 64u);
  EXPECT_EQ(passed_by(prefilter, "BETA_METRIC_39=1 alpha_metric_3=2"), (std::vector<std::size_t>{3, 39}));
  auto found = extract(definitions(regexes), "0: beta_metric_39=1 alpha_metric_3=2\n1: alpha_metric_0=5\n");
  EXPECT_EQ(found.size(), 3u);
}

TEST(MetricDefinitionsPrefilter, CaseInsensitivePatternsFindEveryCase) {
  auto found = extract(definitions({"(?i).*validation loss=([0-9.]+)", "(?i)(?:kl|ks)_div=(\\d+)"}),
                       "0: VALIDATION LOSS=0.5\n"
                       "0: Validation Loss=0.25 kL_DIV=4\n"
                       "1: \xe2\x84\xaaL_DIV=7 \xe2\x84\xaa\xc5\xbf_div=8\n"  // KELVIN SIGN, long s
                       "1: validation-loss=9\n");
  EXPECT_EQ(found, (std::vector<Datapoint>{
                       {"m0", "0.5", "0"}, {"m0", "0.25", "0"}, {"m1", "4", "0"}, {"m1", "7", "1"}, {"m1", "8", "1"}}));
}

TEST(MetricDefinitionsPrefilter, LeadingDotStarTakesTheLastOccurrence) {
  auto found = extract(definitions({R"(.*fastrcnn_losses/box_loss:\s*(\S+).*)", R"(.*loss: ([0-9\.]+) - acc.*)"}),
                       "0: fastrcnn_losses/box_loss: 1 fastrcnn_losses/box_loss: 2\n"
                       "0: loss: 0.5 - acc: 1 loss: 0.25 - acc: 2\n"
                       "0: loss: 0.5 - nothing\n");
  EXPECT_EQ(found, (std::vector<Datapoint>{{"m0", "2", "0"}, {"m1", "0.25", "0"}}));
}

TEST(MetricDefinitionsPrefilter, AtomsInSrunsLabelAndUnlabelledLines) {
  auto defs = definitions({R"(.*1: (\d+))", R"((?:a|b)_err=(\d+))", R"((\d+)%)", R"(^Training>.*reward=(.*?),)"});
  auto found = extract(defs,
                       "1: 42\n"           // "1: " only in the label: no match of the text
                       "1: 1: 5\n"         // and in the text too
                       "srun: 1: 6\n"      // no label: Slurm's, skipped by process_block
                       "2: a_err=3 50%\n"  // an unfiltered definition beside a filtered one
                       "2:  b_err=4\n"     // an atom right after the label
                       "3: Training> x reward=1.5, y\n"
                       "3: x Training> reward=2,\n"  // the atom, but not at the start
                       "a_err=9\n"
                       "4: Trainin");  // no '\n' at the end
  EXPECT_EQ(found, (std::vector<Datapoint>{
                       {"m0", "5", "1"}, {"m1", "3", "2"}, {"m2", "50", "2"}, {"m1", "4", "2"}, {"m3", "1.5", "3"}}));
}

TEST(MetricDefinitionsPrefilter, OrderIsByMatchStartThenDefinition) {
  auto found =
      extract(definitions({R"(.*beta=(\d+))", R"((?:alpha|gamma)=(\d+))", R"([ab]\w+=(\d+))"}), "0: alpha=1 beta=2\n");
  // m0 (prefiltered) and m1 (prefiltered) start at 0, m2 (unfiltered) at 0 and at "beta".
  EXPECT_EQ(found, (std::vector<Datapoint>{{"m0", "2", "0"}, {"m1", "1", "0"}, {"m2", "1", "0"}, {"m2", "2", "0"}}));
}

}  // namespace
}  // namespace mljob::metrics
