#include "metrics/line_batch.h"

#include <algorithm>

namespace mljob::metrics {

void LineBatch::add(std::string_view text, int rank) {
  text_.append(text);
  ends_.push_back(static_cast<std::uint32_t>(text_.size()));
  text_.push_back('\n');
  ranks_.push_back(rank);
}

void LineBatch::clear() {
  text_.clear();
  ends_.clear();
  ranks_.clear();
}

std::string_view LineBatch::line(std::size_t i) const {
  std::size_t start = line_start(i);
  return std::string_view(text_).substr(start, ends_[i] - start);
}

std::size_t LineBatch::line_at(std::size_t offset) const {
  return static_cast<std::size_t>(std::lower_bound(ends_.begin(), ends_.end(), offset) - ends_.begin());
}

int split_rank_label(std::string_view line, std::string_view& text) {
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
