// Finds every occurrence of a few short literal strings in a text in one pass: the required
// literal prefixes of all metric regexes ("loss: ", "accuracy: ", "val_loss=") at once, so that
// a block of log costs one scan instead of one memmem pass per regex.
//
// How: each literal is reduced to two of its bytes (the two rarest in log text, by a fixed
// ranking) at fixed offsets; 64 text positions at a time are tested for every literal's pair
// with vector compares (GCC's portable vector extensions: SSE2 on x86-64, NEON on arm64), and
// only the positions that pass are compared with the whole literal. This is what Hyperscan's
// literal matchers do far more elaborately; mljob does not depend on Hyperscan (amd64 only, not
// packaged for every architecture Debian builds), and the filter is small and exact: every
// reported occurrence has been compared in full, and every position is tested.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace mljob::metrics {

class LiteralScanner {
 public:
  // Each literal must be non-empty; duplicates are allowed (each is reported).
  explicit LiteralScanner(std::vector<std::string> literals);

  const std::vector<std::string>& literals() const { return literals_; }

  // Calls found(position, literal_index) for every occurrence in `text` (overlapping ones too),
  // in order of position, and for one position in order of literal index.
  template <typename Found>
  void scan(std::string_view text, Found&& found) const;

 private:
  typedef unsigned char Bytes16 __attribute__((vector_size(16)));
  typedef signed char Mask16 __attribute__((vector_size(16)));  // what comparing two Bytes16 gives

  // A literal's two test bytes: text[start + first_offset] == first and likewise second.
  struct Probe {
    std::size_t first_offset, second_offset;
    Bytes16 first_byte, second_byte;  // the byte in every lane
  };

  static Bytes16 load(const char* at) {
    Bytes16 bytes;
    std::memcpy(&bytes, at, sizeof bytes);
    return bytes;
  }

  template <typename Found>
  void report_at(std::string_view text, std::size_t at, Found& found) const {
    for (std::size_t k = 0; k < literals_.size(); ++k) {
      const std::string& literal = literals_[k];
      if (at + literal.size() <= text.size() && std::memcmp(text.data() + at, literal.data(), literal.size()) == 0) {
        found(at, k);
      }
    }
  }

  std::vector<std::string> literals_;
  std::vector<Probe> probes_;
  std::size_t reach_ = 0;  // the largest probe offset: a 16-byte step at p reads up to p + reach_ + 15
};

template <typename Found>
void LiteralScanner::scan(std::string_view text, Found&& found) const {
  if (literals_.empty()) return;
  constexpr std::size_t kLanes = sizeof(Bytes16), kVectors = 4, kStep = kLanes * kVectors;
  const char* data = text.data();
  // Reports the positions whose lanes passed in `hits`, a vector tested from `at`.
  auto report_lanes = [&](const Mask16& hits, std::size_t at) {
    std::uint64_t halves[2];
    std::memcpy(halves, &hits, sizeof halves);
    for (std::size_t half = 0; half < 2; ++half) {
      // A lane that passed is 0xff: keep one bit of each and visit them lowest first.
      for (std::uint64_t lanes = halves[half] & 0x0101010101010101; lanes != 0; lanes &= lanes - 1) {
        report_at(text, at + half * 8 + static_cast<std::size_t>(__builtin_ctzll(lanes)) / 8, found);
      }
    }
  };
  std::size_t at = 0;
  // 64 positions a step: most steps find nothing, and cost a few vector operations per probe.
  for (; at + reach_ + kStep <= text.size(); at += kStep) {
    Mask16 hits[kVectors] = {};
    for (const Probe& probe : probes_) {
      const char* first = data + at + probe.first_offset;
      const char* second = data + at + probe.second_offset;
      for (std::size_t v = 0; v < kVectors; ++v) {
        hits[v] |= (load(first + v * kLanes) == probe.first_byte) & (load(second + v * kLanes) == probe.second_byte);
      }
    }
    Mask16 any = (hits[0] | hits[1]) | (hits[2] | hits[3]);
    std::uint64_t halves[2];
    std::memcpy(halves, &any, sizeof halves);
    if ((halves[0] | halves[1]) == 0) continue;
    for (std::size_t v = 0; v < kVectors; ++v) report_lanes(hits[v], at + v * kLanes);
  }
  for (; at + reach_ + kLanes <= text.size(); at += kLanes) {
    Mask16 hits{};
    for (const Probe& probe : probes_) {
      hits |= (load(data + at + probe.first_offset) == probe.first_byte) & (load(data + at + probe.second_offset) == probe.second_byte);
    }
    report_lanes(hits, at);
  }
  for (; at < text.size(); ++at) report_at(text, at, found);  // the last few positions, one by one
}

}  // namespace mljob::metrics
