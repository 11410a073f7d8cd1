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

}  // namespace mljob::metrics
