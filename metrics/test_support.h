// What the metrics tests share.
#pragma once

#include <string>
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

}  // namespace mljob::metrics::testing
