#include "metrics/literal_scanner.h"

#include <gtest/gtest.h>

#include <random>
#include <utility>

namespace mljob::metrics {
namespace {

using Hits = std::vector<std::pair<std::size_t, std::size_t>>;

Hits scanned(const LiteralScanner& scanner, std::string_view text) {
  Hits hits;
  scanner.scan(text, [&](std::size_t at, std::size_t k) { hits.emplace_back(at, k); });
  return hits;
}

// Every occurrence, found the slow obvious way.
Hits naive(const std::vector<std::string>& literals, std::string_view text) {
  Hits hits;
  for (std::size_t at = 0; at < text.size(); ++at) {
    for (std::size_t k = 0; k < literals.size(); ++k) {
      if (text.substr(at, literals[k].size()) == literals[k]) hits.emplace_back(at, k);
    }
  }
  return hits;
}

TEST(LiteralScanner, FindsEveryOccurrenceOfEveryLiteralInOrder) {
  std::vector<std::string> literals = {"loss: ", "accuracy: ", "val_loss="};
  LiteralScanner scanner(literals);
  std::string text =
      "0: Epoch 1 step 3: loss: 0.2219 - accuracy: 0.5367\n"
      "1: validation val_loss=1.9e-01 loss: 7\n"
      "loss: ";  // at the very end
  Hits expected = naive(literals, text);
  ASSERT_EQ(expected.size(), 5u);
  EXPECT_EQ(scanned(scanner, text), expected);
}

TEST(LiteralScanner, OverlappingSharedAndOneByteLiterals) {
  std::vector<std::string> literals = {"aa", "a", "aa", "b"};
  LiteralScanner scanner(literals);
  for (std::string text :
       {std::string(""), std::string("a"), std::string(40, 'a'), std::string("xxbaab") + std::string(33, 'a') + "b"}) {
    EXPECT_EQ(scanned(scanner, text), naive(literals, text)) << text;
  }
}

// Random texts over a small alphabet (so that near misses are everywhere) and random literals,
// of every length around the 16-byte step, against the naive search.
TEST(LiteralScanner, AgreesWithNaiveSearchOnRandomText) {
  std::mt19937 random(42);
  auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(random); };
  const std::string alphabet = "ab: =\n0.";
  for (int round = 0; round < 300; ++round) {
    std::vector<std::string> literals(1 + pick(5));
    for (auto& literal : literals) {
      literal.resize(1 + pick(20));
      for (char& c : literal) c = alphabet[pick(alphabet.size())];
    }
    std::string text(pick(round % 10 == 0 ? 20000 : 200), ' ');  // now and then longer than a window
    for (char& c : text) c = alphabet[pick(alphabet.size())];
    // Plant a few literals so that long ones occur too.
    for (int plant = 0; plant < 3 && !text.empty(); ++plant) {
      const std::string& literal = literals[pick(literals.size())];
      std::size_t at = pick(text.size());
      text.replace(at, std::min(literal.size(), text.size() - at), literal.substr(0, text.size() - at));
    }
    for (auto filter : {LiteralScanner::Filter::kFastest, LiteralScanner::Filter::kPortable}) {
      LiteralScanner scanner(literals, filter);
      ASSERT_EQ(scanned(scanner, text), naive(literals, text)) << "round " << round;
    }
  }
}

TEST(LiteralScanner, MoreLiteralsThanTheVectorFilterTakes) {
  std::vector<std::string> literals;
  for (int i = 0; i < 100; ++i) literals.push_back("m" + std::to_string(i) + "=");
  LiteralScanner scanner(literals);
  std::string text;
  for (int i = 0; i < 300; ++i) text += "m" + std::to_string(i % 130) + "=1 ";
  EXPECT_EQ(scanned(scanner, text), naive(literals, text));
}

TEST(LiteralScanner, RefusesAnEmptyLiteral) {
  EXPECT_THROW(LiteralScanner({"x", ""}), std::invalid_argument);
}

}  // namespace
}  // namespace mljob::metrics
