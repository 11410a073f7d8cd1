#include "metrics/literal_scanner.h"

#include <algorithm>
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
    Probe probe{first, second, Bytes16{}, Bytes16{}};
    probe.first_byte += static_cast<unsigned char>(literal[first]);
    probe.second_byte += static_cast<unsigned char>(literal[second]);
    probes_.push_back(probe);
    reach_ = std::max({reach_, first, second});
  }
}

}  // namespace mljob::metrics
