// SageMaker's MetricDefinitions over a job's log (see log_extractor.h).
//
// Speed: no definition is tried line by line when it need not be.
// - A definition whose every match starts with the same literal text ("Loss = " in
//   "Loss = (.*?);") looks for that text over the whole block (memmem) and tries the pattern,
//   anchored, only where it occurs, on that line alone: Python's leftmost match on a line starts
//   at one of those places, so the first that matches is the one Python finds.
// - Any other definition scans the whole block in one RE2 call per match. A match found on the
//   block is exactly the match Python would find on that line when it lies inside the line's
//   text: a block match that crosses a line end or starts in srun's label sends that one line
//   to the careful line-by-line path.
// Patterns whose meaning depends on where the text starts or ends (^, \A, \z) always take the
// line-by-line path.
#include <algorithm>
#include <cstring>

#include "metrics/log_extractor.h"
#include "metrics/python_regex.h"

namespace mljob::metrics {
namespace {

struct Definition {
  const MetricDefinition* declared;
  std::unique_ptr<RE2> block_pattern;  // (?m) so that $ holds before every '\n'; null: lines only
  std::string prefix;                  // what every match starts with, if known (with block_pattern)
};

// Where a line of the scanned text lies.
struct LineSpan {
  std::size_t start = 0;       // first byte of the line (its label, if any)
  std::size_t text_start = 0;  // first byte after the label
  std::size_t end = 0;         // its '\n'
  int rank = -1;
};

bool depends_on_text_edges(const std::string& translated) {
  if (translated.find("\\A") != std::string::npos || translated.find("\\z") != std::string::npos) return true;
  for (std::size_t i = 0; i < translated.size(); ++i) {
    if (translated[i] == '\\') ++i;
    else if (translated[i] == '^' && (i == 0 || translated[i - 1] != '[')) return true;
  }
  return false;
}

class MetricDefinitionsExtractor : public LogExtractor {
 public:
  MetricDefinitionsExtractor(const std::vector<MetricDefinition>& definitions, WarningSink warn) {
    for (const auto& declared : definitions) {
      Definition definition{&declared, nullptr, {}};
      std::string translated = translate_python_regex(declared.regex);
      bool matches_empty = RE2::FullMatch("", *declared.compiled);
      if (declared.compiled->NumberOfCapturingGroups() >= 1 && !matches_empty && !depends_on_text_edges(translated)) {
        RE2::Options options;
        options.set_log_errors(false);
        options.set_max_mem(64 << 20);
        definition.block_pattern = std::make_unique<RE2>("(?m)" + translated, options);
        if (!definition.block_pattern->ok()) definition.block_pattern.reset();
        if (definition.block_pattern) definition.prefix = literal_prefix(declared.regex);
      }
      if (matches_empty && warn) {
        warn("metric definition '" + declared.name + "' (" + declared.regex +
             ") matches the empty string; its empty matches carry no value");
      }
      definitions_.push_back(std::move(definition));
    }
  }

  void process(const LineBatch& batch, const RecordSink& sink) override {
    labelled_mode_ = false;
    now_ = now_ms();
    scan(batch.text(), [&](std::size_t offset) {
      std::size_t line = batch.line_at(offset);
      return LineSpan{batch.line_start(line), batch.line_start(line), batch.line_start(line) + batch.line(line).size(),
                      batch.rank(line)};
    }, sink);
  }

  void process_block(std::string_view block, const RecordSink& sink) override {
    labelled_mode_ = true;
    now_ = now_ms();
    scan(block, [&](std::size_t offset) {
      LineSpan span;
      std::size_t before = offset == 0 ? std::string_view::npos : block.rfind('\n', offset - 1);
      span.start = before == std::string_view::npos ? 0 : before + 1;
      span.end = block.find('\n', offset);
      if (span.end == std::string_view::npos) span.end = block.size();
      std::string_view text;
      span.rank = split_rank_label(block.substr(span.start, span.end - span.start), text);
      span.text_start = span.end - text.size();
      return span;
    }, sink);
  }

 private:
  template <typename Locate>
  void scan(std::string_view text, const Locate& locate, const RecordSink& sink) {
    found_.clear();
    for (std::size_t d = 0; d < definitions_.size(); ++d) {
      if (definitions_[d].declared->compiled->NumberOfCapturingGroups() < 1) continue;
      if (!definitions_[d].prefix.empty()) {
        scan_prefix(d, text, locate);
      } else if (definitions_[d].block_pattern) {
        scan_block(d, text, locate);
      } else {
        for (std::size_t start = 0; start < text.size();) {  // line by line
          LineSpan span = locate(start);
          if (span.rank >= 0 || !labelled_mode_) extract_line(d, text, span);
          start = span.end + 1;
        }
      }
    }
    // Datapoints in the order the lines were written, whichever definition found them.
    std::stable_sort(found_.begin(), found_.end(), [](const Found& a, const Found& b) { return a.offset < b.offset; });
    for (const Found& found : found_) {
      EMetrics record;
      record.grouplabel = kMetricDefinitionsGroup;
      record.meta.time_ms = now_;
      if (found.rank >= 0) record.meta.subid = std::to_string(found.rank);
      record.values.emplace(definitions_[found.definition].declared->name,
                            TypedValue{ValueType::kFloat, std::string(found.value)});
      sink(std::move(record));
    }
  }

  template <typename Locate>
  void scan_block(std::size_t d, std::string_view text, const Locate& locate) {
    const RE2& pattern = *definitions_[d].block_pattern;
    re2::StringPiece match[2];
    std::size_t pos = 0;
    while (pos < text.size() && pattern.Match(text, pos, text.size(), RE2::UNANCHORED, match, 2)) {
      std::size_t start = static_cast<std::size_t>(match[0].data() - text.data());
      std::size_t end = start + match[0].size();
      LineSpan span = locate(start);
      bool inside_text = start >= span.text_start && end <= span.end && !match[0].empty();
      if (span.rank < 0 && labelled_mode_) {
        pos = span.end + 1;  // not a replica's line
      } else if (inside_text) {
        add(d, start, match[1], span.rank);
        pos = end;
      } else {
        extract_line(d, text, span);
        pos = span.end + 1;
      }
    }
  }

  template <typename Locate>
  void scan_prefix(std::size_t d, std::string_view text, const Locate& locate) {
    const Definition& definition = definitions_[d];
    const RE2& pattern = *definition.block_pattern;
    const std::string& prefix = definition.prefix;
    re2::StringPiece match[2];
    std::size_t pos = 0;
    while (pos < text.size()) {
      const void* found = ::memmem(text.data() + pos, text.size() - pos, prefix.data(), prefix.size());
      if (!found) break;
      std::size_t at = static_cast<std::size_t>(static_cast<const char*>(found) - text.data());
      LineSpan span = locate(at);
      if (span.rank < 0 && labelled_mode_) {
        pos = span.end + 1;  // not a replica's line
        continue;
      }
      if (at < span.text_start) {  // inside srun's label: no match of the line's text starts there
        pos = at + 1;
        continue;
      }
      // The line alone is the text, as Python sees it (\b and $ judge its edges as Python does).
      std::string_view line = text.substr(span.text_start, span.end - span.text_start);
      if (pattern.Match(line, at - span.text_start, line.size(), RE2::ANCHOR_START, match, 2)) {
        add(d, at, match[1], span.rank);
        pos = span.text_start + static_cast<std::size_t>(match[0].data() - line.data()) + match[0].size();
      } else {
        pos = at + 1;
      }
    }
  }

  // Every match of definition d on one line, by Python's rules (finditer over the line's text).
  void extract_line(std::size_t d, std::string_view text, const LineSpan& span) {
    std::string_view line = text.substr(span.text_start, span.end - span.text_start);
    const RE2& re = *definitions_[d].declared->compiled;
    re2::StringPiece match[2];
    std::size_t pos = 0;
    while (pos <= line.size() && re.Match(line, pos, line.size(), RE2::UNANCHORED, match, 2)) {
      std::size_t end = static_cast<std::size_t>(match[0].data() - line.data()) + match[0].size();
      pos = match[0].empty() ? end + 1 : end;  // an empty match moves on, as Python's finditer does
      add(d, span.text_start + static_cast<std::size_t>(match[0].data() - line.data()), match[1], span.rank);
    }
  }

  void add(std::size_t d, std::size_t offset, re2::StringPiece value, int rank) {
    std::string_view text(value.data(), value.size());
    if (value.data() == nullptr || !parse_number(text)) return;  // not a number: dropped, as SageMaker does
    found_.push_back(Found{offset, d, text, rank});
  }

  // A datapoint found in the text being scanned (which outlives it).
  struct Found {
    std::size_t offset;
    std::size_t definition;
    std::string_view value;
    int rank;
  };

  std::vector<Definition> definitions_;
  std::vector<Found> found_;
  std::int64_t now_ = now_ms();
  bool labelled_mode_ = true;
};

}  // namespace

std::unique_ptr<LogExtractor> make_metric_definitions_extractor(const std::vector<MetricDefinition>& definitions,
                                                                WarningSink warn) {
  return std::make_unique<MetricDefinitionsExtractor>(definitions, std::move(warn));
}

}  // namespace mljob::metrics
