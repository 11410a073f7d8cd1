// What the metrics tests share.
#pragma once

#include <algorithm>
#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "metrics/log_extractor.h"

namespace mljob::metrics::testing {

// The records `extractor` makes of `lines`, all from replica `rank`.
inline std::vector<EMetrics> run(LogExtractor& extractor, const std::vector<std::string>& lines, int rank = 0) {
  LineBatch batch;
  for (const auto& line : lines) batch.add(line, rank);
  std::vector<EMetrics> out;
  extractor.process(batch, [&](EMetrics&& record) { out.push_back(std::move(record)); });
  return out;
}

// One SageMaker datapoint: its definition's name, the value, the replica.
struct Datapoint {
  std::string name, value, subid;
  bool operator==(const Datapoint&) const = default;
};

inline std::ostream& operator<<(std::ostream& out, const Datapoint& d) {
  return out << d.name << "=" << d.value << "@" << d.subid;
}

inline std::vector<Datapoint> datapoints(const std::vector<EMetrics>& records) {
  std::vector<Datapoint> out;
  for (const auto& r : records) {
    for (const auto& [name, value] : r.values) out.push_back({name, value.text, r.meta.subid});
  }
  return out;
}

// What Python's collector does, written the plain way: per line, every definition's finditer
// over the line's text (an empty match moves on by one), the first group a number; datapoints
// in the order of where their matches start (then of the definitions).
inline void reference_line_datapoints(const std::vector<MetricDefinition>& defs, std::string_view text, int rank,
                                      std::vector<Datapoint>& out) {
  std::vector<std::tuple<std::size_t, std::size_t, std::string>> found;
  for (std::size_t d = 0; d < defs.size(); ++d) {
    re2::StringPiece match[2];
    for (std::size_t pos = 0;
         pos <= text.size() && defs[d].compiled->Match(text, pos, text.size(), RE2::UNANCHORED, match, 2);) {
      std::size_t at = static_cast<std::size_t>(match[0].data() - text.data());
      pos = at + match[0].size() + (match[0].empty() ? 1 : 0);
      std::string value(match[1].data() ? std::string(match[1].data(), match[1].size()) : "");
      if (match[1].data() && parse_number(value)) found.emplace_back(at, d, value);
    }
  }
  std::sort(found.begin(), found.end());
  for (const auto& [at, d, value] : found) out.push_back({defs[d].name, value, rank < 0 ? "" : std::to_string(rank)});
}

// The reference over a block of output.log: srun-labelled lines only (process_block).
inline std::vector<Datapoint> reference_datapoints(const std::vector<MetricDefinition>& defs, std::string_view block) {
  std::vector<Datapoint> out;
  for (std::size_t start = 0; start < block.size();) {
    std::size_t end = std::min(block.find('\n', start), block.size());
    std::string_view text;
    int rank = split_rank_label(block.substr(start, end - start), text);
    start = end + 1;
    if (rank >= 0) reference_line_datapoints(defs, text, rank, out);
  }
  return out;
}

// The reference over a batch: every line, labelled or not (process).
inline std::vector<Datapoint> reference_datapoints(const std::vector<MetricDefinition>& defs, const LineBatch& batch) {
  std::vector<Datapoint> out;
  for (std::size_t i = 0; i < batch.size(); ++i) reference_line_datapoints(defs, batch.line(i), batch.rank(i), out);
  return out;
}

// Every line of `block` into a batch as the collector's line path gives it: the label taken
// off where there is one, unlabelled lines kept with rank -1.
inline LineBatch batch_of_block(std::string_view block) {
  LineBatch batch;
  for (std::size_t start = 0; start < block.size();) {
    std::size_t end = std::min(block.find('\n', start), block.size());
    std::string_view text;
    int rank = split_rank_label(block.substr(start, end - start), text);
    batch.add(text, rank);
    start = end + 1;
  }
  return batch;
}

}  // namespace mljob::metrics::testing
