// Finds every occurrence of a few short literal strings in a text in one pass: the required
// literal prefixes of all metric regexes ("loss: ", "accuracy: ", "val_loss=") at once, so that
// a block of log costs one scan instead of one memmem pass per regex.
//
// How: each literal is reduced to two of its bytes (the two rarest in log text, by a fixed
// ranking) at fixed offsets; 64 text positions at a time are tested for every literal's pair
// with vector compares (AVX2 where the CPU has it, else GCC's portable vector extensions), and
// only the positions that pass are compared with the whole literal. This is what Hyperscan's literal matchers do far
// more elaborately; mljob does not depend on Hyperscan (amd64 only, not packaged for every
// architecture Debian builds), and the filter is small and exact: every reported occurrence has
// been compared in full, and every position is tested.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace mljob::metrics {

class LiteralScanner {
 public:
  // Which vector filter runs: the fastest the CPU has (AVX2 on x86-64 where present), or the
  // portable one everywhere (for tests that check both).
  enum class Filter { kFastest, kPortable };

  // Each literal must be non-empty; duplicates are allowed (each is reported).
  explicit LiteralScanner(std::vector<std::string> literals, Filter filter = Filter::kFastest);

  const std::vector<std::string>& literals() const { return literals_; }

  // Calls found(position, literal_index) for every occurrence in `text` (overlapping ones too),
  // in order of position, and for one position in order of literal index.
  template <typename Found>
  void scan(std::string_view text, Found&& found) const;

  // A literal's two test bytes: text[start + first_offset] == first_byte and likewise second.
  struct Probe {
    std::uint32_t first_offset, second_offset;
    unsigned char first_byte, second_byte;
  };

 private:
  static constexpr std::size_t kWindow = 4096;  // positions tested per call of the vector filter

  // The positions in [begin, begin + kWindow) (and before `end`) where some probe passes, in
  // order, into `out`; returns how many. Reads up to end + reach_ - 1.
  std::size_t candidates(const char* data, std::size_t begin, std::size_t end, std::uint32_t* out) const;

  template <typename Found>
  void report_at(std::string_view text, std::size_t at, Found& found) const {
    for (std::size_t k = 0; k < literals_.size(); ++k) {
      const std::string& literal = literals_[k];
      if (at + literal.size() <= text.size() && text[at] == literal[0] &&
          std::memcmp(text.data() + at, literal.data(), literal.size()) == 0) {
        found(at, k);
      }
    }
  }

  std::vector<std::string> literals_;
  std::vector<Probe> probes_;
  std::size_t reach_ = 0;  // the largest probe offset
  Filter filter_ = Filter::kFastest;
};

template <typename Found>
void LiteralScanner::scan(std::string_view text, Found&& found) const {
  if (literals_.empty()) return;
  // Where every probe's loads stay inside the text, the vector filter; the last few positions
  // one by one.
  std::size_t filtered_end = text.size() > reach_ ? text.size() - reach_ : 0;
  std::array<std::uint32_t, kWindow> positions;
  std::size_t at = 0;
  for (; at < filtered_end; at += kWindow) {
    std::size_t count = candidates(text.data(), at, filtered_end, positions.data());
    for (std::size_t i = 0; i < count; ++i) report_at(text, at + positions[i], found);
  }
  for (at = filtered_end; at < text.size(); ++at) report_at(text, at, found);
}

}  // namespace mljob::metrics
