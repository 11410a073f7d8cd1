// Which of a few regexes may match a line, from the words ("atoms") their matches must contain:
// RE2's FilteredRE2 reduces each regex to an AND/OR of lowercase atoms (".*box_loss:\s*(\S+)"
// needs "box_loss:"), the atoms of all regexes are found in one pass over a lowercased copy of
// the text (LiteralScanner), and a line is handed to a regex only when the atoms it holds pass
// that regex's filter. A regex that passes may still not match; one that does not pass cannot.
//
// Where FilteredRE2's lowercasing is not enough, the filter errs on the side of passing:
// - Atoms are lowercase by Unicode's rules, the copy only by ASCII's: an atom with non-ASCII
//   bytes is taken as present on every line (a regex that needs nothing more is unfiltered).
//   So is an atom with a '\n' in it (a multi-line regex's), which no line can hold.
// - Case folding ties two non-ASCII letters to ASCII ones: (?i)k matches KELVIN SIGN (U+212A)
//   and (?i)s LATIN SMALL LETTER LONG S (U+017F), whose atoms are "k" and "s"; and those two
//   letters written in a pattern become the atoms "k" and "s". A line holding either letter
//   passes every regex. (Found by trying every rune below U+20000 against RE2 20220601.)
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <re2/filtered_re2.h>
#include <re2/re2.h>

#include "metrics/literal_scanner.h"

namespace mljob::metrics {

class LinePrefilter {
 public:
  // Marks a line that passes every regex (see above), in place of an atom's index.
  static constexpr std::size_t kEveryRegex = static_cast<std::size_t>(-1);

  // The regexes as compiled (their pattern and options are what the filter is built from).
  explicit LinePrefilter(const std::vector<const RE2*>& regexes);

  // Whether regex i is filtered at all: false when it may match a line holding none of the
  // atoms, so that every line has to be tried.
  bool filters(std::size_t i) const { return filtered_[i]; }
  bool filters_any() const;
  const std::vector<std::string>& atoms() const { return atoms_; }

  // Calls found(position, atom) for every occurrence of an atom in `text` (compared as
  // lowercase), in order of position; atom kEveryRegex where one of the letters above is.
  template <typename Found>
  void scan(std::string_view text, Found&& found);

  // The filtered regexes (in order) that the atoms of one line pass, into `passing`.
  // `atoms` (indices, repeats allowed) is reordered.
  void passing(std::vector<int>& atoms, bool every_regex, std::vector<std::size_t>& passing) const;

 private:
  void lowercase(std::string_view text);

  re2::FilteredRE2 filter_;
  std::vector<bool> filtered_;
  std::vector<std::string> atoms_;
  std::vector<int> present_everywhere_;  // the atoms with non-ASCII bytes
  // Each scans for at most 64 literals (its vector filter's width); the last literal of each
  // scanner's list may be one of kFoldedLetters.
  std::vector<std::unique_ptr<LiteralScanner>> scanners_;
  std::vector<std::vector<std::size_t>> scanner_atoms_;  // per scanner literal: its atom or kEveryRegex
  std::string lowered_;
  std::vector<std::pair<std::size_t, std::size_t>> hits_;  // (position, atom) when scanners_ > 1
  mutable std::vector<int> potentials_;
};

template <typename Found>
void LinePrefilter::scan(std::string_view text, Found&& found) {
  if (scanners_.empty()) return;
  lowercase(text);
  if (scanners_.size() == 1) {
    scanners_[0]->scan(lowered_, [&](std::size_t at, std::size_t literal) { found(at, scanner_atoms_[0][literal]); });
    return;
  }
  // Several scanners: their occurrences merged into one ordered stream.
  hits_.clear();
  for (std::size_t s = 0; s < scanners_.size(); ++s) {
    scanners_[s]->scan(
        lowered_, [&](std::size_t at, std::size_t literal) { hits_.emplace_back(at, scanner_atoms_[s][literal]); });
  }
  std::stable_sort(hits_.begin(), hits_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [at, atom] : hits_) found(at, atom);
}

}  // namespace mljob::metrics
