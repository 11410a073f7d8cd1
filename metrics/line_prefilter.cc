#include "metrics/line_prefilter.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace mljob::metrics {
namespace {

// KELVIN SIGN and LATIN SMALL LETTER LONG S in UTF-8 (see the header).
constexpr std::string_view kFoldedLetters[] = {"\xe2\x84\xaa", "\xc5\xbf"};

// What one LiteralScanner tests at vector speed.
constexpr std::size_t kLiteralsPerScanner = 64;

bool is_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// Whether an atom can be looked for line by line in the lowercased copy: ASCII (see the header),
// and within one line (FfDL's multi-line regexes can have a '\n' inside an atom).
bool scannable(std::string_view atom) {
  return is_ascii(atom) && atom.find('\n') == std::string_view::npos;
}

}  // namespace

LinePrefilter::LinePrefilter(const std::vector<const RE2*>& regexes) : filtered_(regexes.size(), false) {
  if (regexes.empty()) return;  // FilteredRE2 refuses to compile nothing
  for (std::size_t i = 0; i < regexes.size(); ++i) {
    RE2::Options options(regexes[i]->options());
    options.set_log_errors(false);
    int id = -1;
    // The same pattern and options compiled once already: failing now would be RE2's bug.
    if (filter_.Add(regexes[i]->pattern(), options, &id) != RE2::NoError || id != static_cast<int>(i)) {
      throw std::logic_error("LinePrefilter: '" + regexes[i]->pattern() + "' no longer compiles");
    }
  }
  filter_.Compile(&atoms_);
  for (std::size_t a = 0; a < atoms_.size(); ++a) {
    if (!scannable(atoms_[a])) present_everywhere_.push_back(static_cast<int>(a));
  }
  // What passes with only the atoms taken as present everywhere passes on every line.
  std::vector<int> unfiltered;
  filter_.AllPotentials(present_everywhere_, &unfiltered);
  std::fill(filtered_.begin(), filtered_.end(), true);
  for (int i : unfiltered) filtered_[static_cast<std::size_t>(i)] = false;
  if (!filters_any()) return;

  std::vector<std::string> literals;
  std::vector<std::size_t> literal_atoms;
  for (std::size_t a = 0; a < atoms_.size(); ++a) {
    if (scannable(atoms_[a])) literals.push_back(atoms_[a]), literal_atoms.push_back(a);
  }
  for (std::string_view letter : kFoldedLetters) literals.emplace_back(letter), literal_atoms.push_back(kEveryRegex);
  for (std::size_t first = 0; first < literals.size(); first += kLiteralsPerScanner) {
    std::size_t last = std::min(literals.size(), first + kLiteralsPerScanner);
    scanners_.push_back(std::make_unique<LiteralScanner>(std::vector<std::string>(
        literals.begin() + static_cast<std::ptrdiff_t>(first), literals.begin() + static_cast<std::ptrdiff_t>(last))));
    scanner_atoms_.emplace_back(literal_atoms.begin() + static_cast<std::ptrdiff_t>(first),
                                literal_atoms.begin() + static_cast<std::ptrdiff_t>(last));
  }
}

bool LinePrefilter::filters_any() const {
  return std::find(filtered_.begin(), filtered_.end(), true) != filtered_.end();
}

void LinePrefilter::passing(std::vector<int>& atoms, bool every_regex, std::vector<std::size_t>& passing) const {
  passing.clear();
  if (every_regex) {
    for (std::size_t i = 0; i < filtered_.size(); ++i) {
      if (filtered_[i]) passing.push_back(i);
    }
    return;
  }
  atoms.insert(atoms.end(), present_everywhere_.begin(), present_everywhere_.end());
  std::sort(atoms.begin(), atoms.end());
  atoms.erase(std::unique(atoms.begin(), atoms.end()), atoms.end());
  filter_.AllPotentials(atoms, &potentials_);
  for (int i : potentials_) {
    if (filtered_[static_cast<std::size_t>(i)]) passing.push_back(static_cast<std::size_t>(i));
  }
}

// ASCII letters only, byte for byte: positions in the copy are positions in the text. 32 bytes
// at a time with GCC's vector extensions (the plain loop is not vectorized at -O2).
void LinePrefilter::lowercase(std::string_view text) {
  typedef unsigned char Bytes32 __attribute__((vector_size(32)));
  lowered_.resize(text.size());
  const char* in = text.data();
  char* out = lowered_.data();
  std::size_t i = 0;
  for (; i + sizeof(Bytes32) <= text.size(); i += sizeof(Bytes32)) {
    Bytes32 bytes;
    std::memcpy(&bytes, in + i, sizeof bytes);
    Bytes32 upper = reinterpret_cast<Bytes32>(bytes - 'A' < 26);  // 0xff where 'A'..'Z'
    bytes |= upper & 0x20;
    std::memcpy(out + i, &bytes, sizeof bytes);
  }
  for (; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(in[i]);
    out[i] = static_cast<char>(static_cast<unsigned>(c - 'A') < 26u ? c | 0x20 : c);
  }
}

}  // namespace mljob::metrics
