// Every MetricDefinitions set of the corpus, over random logs made to match it and almost
// match it: the extractor (with its prefix scan, prefilter and whole-block passes) must give
// exactly what the plain line-by-line extraction gives, through process_block and process.
//
// The seed is MLJOB_EQUIVALENCE_SEED when set (a failure prints the one to use), else fixed.
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>

#include "metrics/log_extractor.h"
#include "metrics/test_support.h"
#include "tests/conformance/corpus.h"
#include "tests/conformance/metric_log_sampler.h"

namespace mljob::metrics {
namespace {

using mljob::testing::corpus_path;
using testing::batch_of_block;
using testing::datapoints;
using testing::DefinitionSet;
using testing::MetricLogSampler;
using testing::reference_datapoints;

std::uint32_t base_seed() {
  const char* seed = std::getenv("MLJOB_EQUIVALENCE_SEED");
  return seed ? static_cast<std::uint32_t>(std::strtoul(seed, nullptr, 10)) : 20240601u;
}

std::vector<std::string> regexes_of(const std::vector<MetricDefinition>& definitions) {
  std::vector<std::string> out;
  for (const auto& definition : definitions) out.push_back(definition.regex);
  return out;
}

std::vector<EMetrics> extract_block(LogExtractor& extractor, const std::string& block) {
  std::vector<EMetrics> out;
  extractor.process_block(block, [&](EMetrics&& record) { out.push_back(std::move(record)); });
  return out;
}

std::vector<EMetrics> extract_batch(LogExtractor& extractor, const LineBatch& batch) {
  std::vector<EMetrics> out;
  // A sink that only reads: the extractor refills the same records.
  extractor.process(batch, [&](EMetrics&& record) { out.push_back(record); });
  return out;
}

TEST(MetricDefinitionsEquivalence, EveryCorpusSetGivesWhatLineByLineExtractionGives) {
  std::vector<DefinitionSet> sets = testing::corpus_definition_sets(corpus_path("sagemaker"));
  ASSERT_GE(sets.size(), 80u) << "the corpus at " << corpus_path("sagemaker") << " has fewer sets than expected";
  std::vector<std::vector<MetricDefinition>> parsed(sets.size());
  std::vector<std::string> foreign;  // a few samples of every set, for the others' logs
  for (std::size_t s = 0; s < sets.size(); ++s) {
    try {
      parsed[s] = parse_metric_definitions(sets[s].definitions, sets[s].where, nullptr);
    } catch (const std::exception& e) {
      ADD_FAILURE() << sets[s].where << ": " << e.what();  // every corpus set is valid
      continue;
    }
    auto some = MetricLogSampler(regexes_of(parsed[s]), {}, static_cast<std::uint32_t>(s)).some_samples(3);
    foreign.insert(foreign.end(), some.begin(), some.end());
  }
  const std::uint32_t seed = base_seed();
  std::size_t sets_with_datapoints = 0;
  for (std::size_t s = 0; s < sets.size(); ++s) {
    if (parsed[s].empty()) continue;
    SCOPED_TRACE(sets[s].where + " (MLJOB_EQUIVALENCE_SEED=" + std::to_string(seed) + ")");
    MetricLogSampler sampler(regexes_of(parsed[s]), foreign, seed + static_cast<std::uint32_t>(s));
    auto extractor = make_metric_definitions_extractor(parsed[s], nullptr);
    std::size_t found = 0;
    for (int round = 0; round < 60; ++round) {
      std::string block = sampler.block(40);
      auto expected = reference_datapoints(parsed[s], block);
      ASSERT_EQ(datapoints(extract_block(*extractor, block)), expected) << "process_block, round " << round << ":\n"
                                                                        << block;
      LineBatch batch = batch_of_block(block);
      ASSERT_EQ(datapoints(extract_batch(*extractor, batch)), reference_datapoints(parsed[s], batch))
          << "process, round " << round << ":\n"
          << block;
      found += expected.size();
    }
    sets_with_datapoints += found > 0;
  }
  // The logs are made to match: most sets must have found something, or the test tests little.
  std::cout << sets_with_datapoints << " of " << sets.size() << " sets found datapoints\n";
  EXPECT_GE(sets_with_datapoints * 10, sets.size() * 8);
}

}  // namespace
}  // namespace mljob::metrics
