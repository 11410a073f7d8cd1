#include "metrics/literal_scanner.h"

#include <algorithm>
#include <array>
#include <stdexcept>

namespace mljob::metrics {
namespace {

// How rare a byte is in log text, higher rarer: blanks and lowercase letters (by English
// frequency) are everywhere, digits common, then capitals and punctuation. A fixed ranking is
// enough: it only decides which two bytes of a literal are tested first.
int rarity(unsigned char c) {
  static constexpr std::string_view kLowercaseByFrequency = "etaoinsrhldcumfpgwybvkxjqz";
  if (c == ' ') return 0;
  if (c >= 'a' && c <= 'z') return 1 + static_cast<int>(kLowercaseByFrequency.find(static_cast<char>(c))) / 4;
  if (c >= '0' && c <= '9') return 4;
  if (c >= 'A' && c <= 'Z') return 9;
  if (std::string_view(".,:-/_=[]()").find(static_cast<char>(c)) != std::string_view::npos) return 10;
  return 12;  // other punctuation, control bytes, UTF-8
}

constexpr std::size_t kMaxVectorProbes = 64;  // per call of the filter

typedef unsigned char Bytes32 __attribute__((vector_size(32)));
typedef signed char Mask32 __attribute__((vector_size(32)));  // what comparing two Bytes32 gives

// Through a reference, not a return value: a 32-byte vector is returned differently with and
// without AVX, and this is called from both builds of the filter.
__attribute__((always_inline)) inline void load(Bytes32& bytes, const char* at) { std::memcpy(&bytes, at, sizeof bytes); }

// The vector filter: for each step of 64 positions, every probe's two bytes are compared in
// all 64 lanes at once. Built twice (AVX2, and the architecture's baseline: SSE2 on x86-64,
// where a 32-byte vector is two registers); the dynamic loader picks the one the CPU runs.
__attribute__((target_clones("avx2", "default")))
std::size_t filter(const char* data, std::size_t begin, std::size_t end, const LiteralScanner::Probe* probes,
                   std::size_t probe_count, std::size_t window, std::uint32_t* out) {
  constexpr std::size_t kLanes = sizeof(Bytes32), kStep = 2 * kLanes;
  std::size_t stop = std::min(end, begin + window), count = 0;
  // Each probe's two bytes in every lane, made once per call rather than once per step.
  std::array<Bytes32, 2 * kMaxVectorProbes> splats;
  for (std::size_t p = 0; p < probe_count; ++p) {
    splats[2 * p] = Bytes32{} + probes[p].first_byte;
    splats[2 * p + 1] = Bytes32{} + probes[p].second_byte;
  }
  auto keep = [&](const Mask32& hits, std::size_t at) {
    std::uint64_t quarters[4];
    std::memcpy(quarters, &hits, sizeof quarters);
    for (std::size_t quarter = 0; quarter < 4; ++quarter) {
      // A lane that passed is 0xff: keep one bit of each and visit them lowest first.
      for (std::uint64_t lanes = quarters[quarter] & 0x0101010101010101; lanes != 0; lanes &= lanes - 1) {
        std::size_t position = at + quarter * 8 + static_cast<std::size_t>(__builtin_ctzll(lanes)) / 8;
        if (position < stop) out[count++] = static_cast<std::uint32_t>(position - begin);
      }
    }
  };
  for (std::size_t at = begin; at < stop; at += kStep) {
    // A step may pass `stop` (not `end` + reach): lanes beyond `stop` are read but not kept.
    if (at + kStep > end) {
      for (std::size_t one = at; one < stop; ++one) {  // the last positions before `end`, one by one
        for (std::size_t p = 0; p < probe_count; ++p) {
          if (static_cast<unsigned char>(data[one + probes[p].first_offset]) == probes[p].first_byte &&
              static_cast<unsigned char>(data[one + probes[p].second_offset]) == probes[p].second_byte) {
            out[count++] = static_cast<std::uint32_t>(one - begin);
            break;
          }
        }
      }
      break;
    }
    Mask32 low{}, high{};
    for (std::size_t p = 0; p < probe_count; ++p) {
      const char* first = data + at + probes[p].first_offset;
      const char* second = data + at + probes[p].second_offset;
      const Bytes32& first_byte = splats[2 * p];
      const Bytes32& second_byte = splats[2 * p + 1];
      Bytes32 a, b, c, d;
      load(a, first);
      load(b, second);
      load(c, first + kLanes);
      load(d, second + kLanes);
      low |= (a == first_byte) & (b == second_byte);
      high |= (c == first_byte) & (d == second_byte);
    }
    Mask32 any = low | high;
    std::uint64_t quarters[4];
    std::memcpy(quarters, &any, sizeof quarters);
    if ((quarters[0] | quarters[1] | quarters[2] | quarters[3]) == 0) continue;
    keep(low, at);
    keep(high, at + kLanes);
  }
  return count;
}

}  // namespace

LiteralScanner::LiteralScanner(std::vector<std::string> literals) : literals_(std::move(literals)) {
  for (const std::string& literal : literals_) {
    if (literal.empty()) throw std::invalid_argument("LiteralScanner: an empty literal");
    // The rarest byte, then the rarest at another offset (the same one for a 1-byte literal).
    std::vector<std::size_t> order(literal.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return rarity(static_cast<unsigned char>(literal[a])) > rarity(static_cast<unsigned char>(literal[b]));
    });
    std::size_t first = order[0], second = order.size() > 1 ? order[1] : order[0];
    probes_.push_back(Probe{static_cast<std::uint32_t>(first), static_cast<std::uint32_t>(second),
                            static_cast<unsigned char>(literal[first]), static_cast<unsigned char>(literal[second])});
    reach_ = std::max({reach_, first, second});
  }
}

std::size_t LiteralScanner::candidates(const char* data, std::size_t begin, std::size_t end, std::uint32_t* out) const {
  if (probes_.size() <= kMaxVectorProbes) return filter(data, begin, end, probes_.data(), probes_.size(), kWindow, out);
  // More literals than one call takes: every position is a candidate, report_at decides.
  std::size_t count = std::min(kWindow, end - begin);
  for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<std::uint32_t>(i);
  return count;
}

}  // namespace mljob::metrics
