// SageMaker's MetricDefinitions over a job's log (see log_extractor.h).
#include "metrics/log_extractor.h"
#include "metrics/python_regex.h"

namespace mljob::metrics {
namespace {

class MetricDefinitionsExtractor : public LogExtractor {
 public:
  MetricDefinitionsExtractor(const std::vector<MetricDefinition>& definitions, WarningSink warn)
      : definitions_(definitions) {
    prefilter_ = combined_pattern(warn);
  }

  void process(const LineBatch& batch, const RecordSink& sink) override {
    std::int64_t now = now_ms();
    if (!prefilter_) {
      for (std::size_t i = 0; i < batch.size(); ++i) extract_line(batch, i, now, sink);
      return;
    }
    // One pass of the combined pattern finds the lines worth a closer look: any match on a
    // line is also a match of the combined pattern over the batch, so no line is missed.
    const std::string& text = batch.text();
    re2::StringPiece hit;
    std::size_t pos = 0;
    while (pos < text.size() && prefilter_->Match(text, pos, text.size(), RE2::UNANCHORED, &hit, 1)) {
      std::size_t line = batch.line_at(static_cast<std::size_t>(hit.data() - text.data()));
      if (line >= batch.size()) break;
      extract_line(batch, line, now, sink);
      pos = batch.line_start(line + 1);
    }
  }

 private:
  // Every definition in one pattern, (?m) so that ^ and $ also hold at line boundaries.
  std::unique_ptr<RE2> combined_pattern(const WarningSink& warn) const {
    std::string combined = "(?m)";
    for (std::size_t i = 0; i < definitions_.size(); ++i) {
      combined += (i ? "|(?:" : "(?:") + translate_python_regex(definitions_[i].regex, true) + ")";
    }
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(128 << 20);
    auto compiled = std::make_unique<RE2>(combined, options);
    if (compiled->ok()) return compiled;
    if (warn) warn("metric definitions: no combined scan (" + compiled->error() + "); matching line by line");
    return nullptr;
  }

  void extract_line(const LineBatch& batch, std::size_t index, std::int64_t now, const RecordSink& sink) {
    std::string_view line = batch.line(index);
    for (const auto& definition : definitions_) {
      const RE2& re = *definition.compiled;
      if (re.NumberOfCapturingGroups() < 1) continue;
      re2::StringPiece found[2];
      std::size_t pos = 0;
      while (pos <= line.size() && re.Match(line, pos, line.size(), RE2::UNANCHORED, found, 2)) {
        std::size_t end = static_cast<std::size_t>(found[0].data() - line.data()) + found[0].size();
        pos = found[0].empty() ? end + 1 : end;  // an empty match moves on, as Python's finditer does
        if (found[1].data() == nullptr) continue;
        if (!parse_number(std::string_view(found[1].data(), found[1].size()))) continue;  // non-numeric: dropped
        EMetrics record;
        record.grouplabel = kMetricDefinitionsGroup;
        record.meta.time_ms = now;
        record.meta.subid = batch.rank(index) < 0 ? "" : std::to_string(batch.rank(index));
        record.values[definition.name] = TypedValue{ValueType::kFloat, std::string(found[1])};
        sink(std::move(record));
      }
    }
  }

  const std::vector<MetricDefinition>& definitions_;
  std::unique_ptr<RE2> prefilter_;
};

}  // namespace

std::unique_ptr<LogExtractor> make_metric_definitions_extractor(const std::vector<MetricDefinition>& definitions,
                                                                WarningSink warn) {
  return std::make_unique<MetricDefinitionsExtractor>(definitions, std::move(warn));
}

}  // namespace mljob::metrics
