#include "metrics/literal_scanner.h"

#include <algorithm>
#include <array>
#include <stdexcept>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

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
// without AVX.
__attribute__((always_inline)) inline void load(Bytes32& bytes, const char* at) {
  std::memcpy(&bytes, at, sizeof bytes);
}

// Positions [at, stop) one by one: where a 64-position step would read past `end` + reach.
std::size_t filter_one_by_one(const char* data, std::size_t begin, std::size_t at, std::size_t stop,
                              const LiteralScanner::Probe* probes, std::size_t probe_count, std::uint32_t* out,
                              std::size_t count) {
  for (; at < stop; ++at) {
    for (std::size_t p = 0; p < probe_count; ++p) {
      if (static_cast<unsigned char>(data[at + probes[p].first_offset]) == probes[p].first_byte &&
          static_cast<unsigned char>(data[at + probes[p].second_offset]) == probes[p].second_byte) {
        out[count++] = static_cast<std::uint32_t>(at - begin);
        break;
      }
    }
  }
  return count;
}

// The portable vector filter: for each step of 64 positions, every probe's two bytes are
// compared in all 64 lanes at once (with GCC's generic vectors: two SSE2 registers a vector on
// x86-64 without AVX2, NEON on arm64).
std::size_t filter_portable(const char* data, std::size_t begin, std::size_t end, const LiteralScanner::Probe* probes,
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
    // A step may pass `stop` (not `end`): lanes at `stop` and beyond are read but not kept.
    if (at + kStep > end) return filter_one_by_one(data, begin, at, stop, probes, probe_count, out, count);
    Mask32 low{}, high{};
    for (std::size_t p = 0; p < probe_count; ++p) {
      const char* first = data + at + probes[p].first_offset;
      const char* second = data + at + probes[p].second_offset;
      Bytes32 a, b, c, d;
      load(a, first);
      load(b, second);
      load(c, first + kLanes);
      load(d, second + kLanes);
      low |= (a == splats[2 * p]) & (b == splats[2 * p + 1]);
      high |= (c == splats[2 * p]) & (d == splats[2 * p + 1]);
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

#if defined(__x86_64__)
// The same filter with AVX2 (built for it whatever the compiler's default, used only where the
// CPU has it): 32 lanes a register, and movemask turns each step's hits into one bit per
// position, which the generic vectors cannot express.
__attribute__((target("avx2"))) std::size_t filter_avx2(const char* data, std::size_t begin, std::size_t end,
                                                        const LiteralScanner::Probe* probes, std::size_t probe_count,
                                                        std::size_t window, std::uint32_t* out) {
  constexpr std::size_t kLanes = 32, kStep = 2 * kLanes;
  std::size_t stop = std::min(end, begin + window), count = 0;
  __m256i splats[2 * kMaxVectorProbes];
  for (std::size_t p = 0; p < probe_count; ++p) {
    splats[2 * p] = _mm256_set1_epi8(static_cast<char>(probes[p].first_byte));
    splats[2 * p + 1] = _mm256_set1_epi8(static_cast<char>(probes[p].second_byte));
  }
  for (std::size_t at = begin; at < stop; at += kStep) {
    if (at + kStep > end) return filter_one_by_one(data, begin, at, stop, probes, probe_count, out, count);
    __m256i low = _mm256_setzero_si256(), high = _mm256_setzero_si256();
    for (std::size_t p = 0; p < probe_count; ++p) {
      auto first = reinterpret_cast<const __m256i*>(data + at + probes[p].first_offset);
      auto second = reinterpret_cast<const __m256i*>(data + at + probes[p].second_offset);
      low = _mm256_or_si256(low, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_loadu_si256(first), splats[2 * p]),
                                                  _mm256_cmpeq_epi8(_mm256_loadu_si256(second), splats[2 * p + 1])));
      high =
          _mm256_or_si256(high, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_loadu_si256(first + 1), splats[2 * p]),
                                                 _mm256_cmpeq_epi8(_mm256_loadu_si256(second + 1), splats[2 * p + 1])));
    }
    std::uint64_t hits = static_cast<std::uint32_t>(_mm256_movemask_epi8(low)) |
                         (std::uint64_t{static_cast<std::uint32_t>(_mm256_movemask_epi8(high))} << 32);
    for (; hits != 0; hits &= hits - 1) {
      std::size_t position = at + static_cast<std::size_t>(__builtin_ctzll(hits));
      if (position < stop) out[count++] = static_cast<std::uint32_t>(position - begin);
    }
  }
  return count;
}
#endif

}  // namespace

LiteralScanner::LiteralScanner(std::vector<std::string> literals, Filter filter)
    : literals_(std::move(literals)), filter_(filter) {
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
  if (probes_.size() <= kMaxVectorProbes) {
#if defined(__x86_64__)
    static const bool has_avx2 = __builtin_cpu_supports("avx2");
    if (has_avx2 && filter_ == Filter::kFastest) {
      return filter_avx2(data, begin, end, probes_.data(), probes_.size(), kWindow, out);
    }
#endif
    return filter_portable(data, begin, end, probes_.data(), probes_.size(), kWindow, out);
  }
  // More literals than one call takes: every position is a candidate, report_at decides.
  std::size_t count = std::min(kWindow, end - begin);
  for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<std::uint32_t>(i);
  return count;
}

}  // namespace mljob::metrics
