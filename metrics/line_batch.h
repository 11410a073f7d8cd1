// A batch of complete log lines as the extractors see them: srun's "RANK: " label taken off
// (the rank kept per line), every line ending in '\n' in one contiguous buffer, so that an
// extractor can scan the whole batch with one regex pass instead of one call per line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mljob::metrics {

class LineBatch {
 public:
  // Appends one line (without its '\n'). rank -1: the line carried no srun label.
  void add(std::string_view text, int rank);
  void clear();

  std::size_t size() const { return ends_.size(); }
  bool empty() const { return ends_.empty(); }
  const std::string& text() const { return text_; }  // every line, each ending in '\n'
  std::string_view line(std::size_t i) const;        // without its '\n'
  int rank(std::size_t i) const { return ranks_[i]; }
  // The line holding byte `offset` of text().
  std::size_t line_at(std::size_t offset) const;
  std::size_t line_start(std::size_t i) const { return i == 0 ? 0 : ends_[i - 1] + 1; }

 private:
  std::string text_;
  std::vector<std::uint32_t> ends_;  // offset of each line's '\n'
  std::vector<int> ranks_;
};

// "3: text" (srun --label; leading spaces pad the rank) -> 3 and "text"; -1 and the whole
// line when it carries no label (Slurm's own messages).
// Inline: the collector calls it for every line it indexes.
inline int split_rank_label(std::string_view line, std::string_view& text) {
  text = line;
  std::size_t start = line.find_first_not_of(' ');
  if (start == std::string_view::npos) return -1;
  std::size_t at = start;
  int rank = 0;
  while (at < line.size() && at - start < 9 && line[at] >= '0' && line[at] <= '9')
    rank = rank * 10 + (line[at++] - '0');
  if (at == start || at >= line.size() || line[at] != ':') return -1;
  if (at + 1 == line.size()) {  // "3:" alone: an empty line of rank 3
    text = line.substr(at + 1);
    return rank;
  }
  if (line[at + 1] != ' ') return -1;
  text = line.substr(at + 2);
  return rank;
}

}  // namespace mljob::metrics
