// The zero-configuration extractor: a trainer that prints `loss=0.25` or `accuracy: 0.9` gets
// curves without declaring anything (see log_extractor.h).
#include <set>

#include "metrics/log_extractor.h"

namespace mljob::metrics {
namespace {

// A name, then '=' or ': ' (a colon with no space after it is a host:port or a role:index, not
// a metric), then a decimal number; the boundaries around it are checked by hand below because
// RE2 has no lookaround.
constexpr const char* kPairPattern =
    R"(([A-Za-z_][A-Za-z0-9_.\-/]*)(?:[ \t]*=[ \t]*|:[ \t]+)([-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?))";

bool is_left_boundary(char c) {
  return std::string_view(" \t,;:{([|'\"").find(c) != std::string_view::npos;
}
bool is_right_boundary(char c) {
  return std::string_view(" \t,;})]|'\"\r").find(c) != std::string_view::npos;
}

bool is_step_name(std::string_view name) {
  static const std::set<std::string_view> steps = {"step", "global_step", "epoch",       "iteration",
                                                   "iter", "batch",       "trainingStep"};
  return steps.contains(name);
}

class DefaultExtractor : public LogExtractor {
 public:
  DefaultExtractor(WarningSink warn, std::size_t max_names)
      : warn_(std::move(warn)), max_names_(max_names), pair_(kPairPattern) {}

  void process(const LineBatch& batch, const RecordSink& sink) override {
    std::int64_t now = now_ms();
    const std::string& text = batch.text();
    re2::StringPiece found[3];
    std::size_t pos = 0;
    std::size_t current_line = SIZE_MAX;
    EMetrics record;
    auto flush = [&] {
      if (current_line != SIZE_MAX && !record.values.empty()) sink(std::move(record));
      record = EMetrics{};
    };
    while (pos < text.size() && pair_.Match(text, pos, text.size(), RE2::UNANCHORED, found, 3)) {
      std::size_t start = static_cast<std::size_t>(found[0].data() - text.data());
      std::size_t end = start + found[0].size();
      pos = end;
      std::size_t line = batch.line_at(start);
      if (start > batch.line_start(line) && !is_left_boundary(text[start - 1])) continue;
      if (text[end] != '\n' && !is_right_boundary(text[end])) continue;
      if (line != current_line) {
        flush();
        current_line = line;
        record.grouplabel = kDefaultGroup;
        record.meta.time_ms = now;
        record.meta.subid = batch.rank(line) < 0 ? "" : std::to_string(batch.rank(line));
      }
      add_pair(record, std::string_view(found[1].data(), found[1].size()), std::string(found[2]));
    }
    flush();
  }

 private:
  void add_pair(EMetrics& record, std::string_view name, std::string value) {
    if (is_step_name(name) && value.find_first_of(".eE") == std::string::npos) {
      record.etimes[std::string(name)] = TypedValue{ValueType::kInt, std::move(value)};
      return;
    }
    if (!names_.contains(name)) {
      if (names_.size() >= max_names_) {
        if (!warned_)
          warn_("default metrics: more than " + std::to_string(max_names_) +
                " distinct names; further new names are ignored (first ignored: '" + std::string(name) + "')");
        warned_ = true;
        return;
      }
      names_.insert(std::string(name));
    }
    record.values[std::string(name)] = TypedValue{ValueType::kFloat, std::move(value)};
  }

  WarningSink warn_;
  std::size_t max_names_;
  RE2 pair_;
  std::set<std::string, std::less<>> names_;
  bool warned_ = false;
};

}  // namespace

void labelled_lines(std::string_view block, LineBatch& batch) {
  batch.clear();
  while (!block.empty()) {
    std::size_t end = block.find('\n');
    std::string_view line = block.substr(0, end);
    std::string_view text;
    int rank = split_rank_label(line, text);
    if (rank >= 0) batch.add(text, rank);
    if (end == std::string_view::npos) break;
    block.remove_prefix(end + 1);
  }
}

void LogExtractor::process_block(std::string_view block, const RecordSink& sink) {
  labelled_lines(block, scratch_);
  if (!scratch_.empty()) process(scratch_, sink);
}

std::unique_ptr<LogExtractor> make_default_extractor(WarningSink warn, std::size_t max_names) {
  if (!warn) warn = [](const std::string&) {};
  return std::make_unique<DefaultExtractor>(std::move(warn), max_names);
}

std::vector<std::unique_ptr<LogExtractor>> make_log_extractors(const MetricsSpec& spec, WarningSink warn) {
  std::vector<std::unique_ptr<LogExtractor>> out;
  if (spec.ffdl && spec.ffdl->type == "regex_extractor") out.push_back(make_ffdl_extractor(*spec.ffdl));
  if (!spec.metric_definitions.empty()) out.push_back(make_metric_definitions_extractor(spec.metric_definitions, warn));
  if (spec.uses_default_extractor()) out.push_back(make_default_extractor(warn));
  return out;
}

}  // namespace mljob::metrics
