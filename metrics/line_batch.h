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
int split_rank_label(std::string_view line, std::string_view& text);

}  // namespace mljob::metrics
