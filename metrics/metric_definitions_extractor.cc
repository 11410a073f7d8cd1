// SageMaker's MetricDefinitions over a job's log (see log_extractor.h).
//
// Speed: no definition is tried line by line when it need not be.
// - A definition whose every match starts with the same literal text ("Loss = " in
//   "Loss = (.*?);") is tried, anchored, only where that text occurs, on that line alone:
//   Python's leftmost match on a line starts at one of those places, so the first that matches
//   is the one Python finds. The literals of all such definitions are found in one pass over the
//   block (LiteralScanner), not one pass each.
// - Of those, a definition that is just the literal and a run of one class ("loss: ([0-9.]+)",
//   see literal_then_run) needs no regex engine at all: the run after the literal is the match.
// - A definition without such a prefix whose matches must contain some words (".*box_loss:\s*(\S+)"
//   needs "box_loss:"; RE2's FilteredRE2 tells which, as an AND/OR of lowercase "atoms") is run,
//   line by line as Python runs it, only on the lines that hold enough of its atoms. The atoms of
//   all such definitions are found in one pass over a lowercased copy of the block.
// - Any other definition scans the whole block in one RE2 call per match. A match found on the
//   block is exactly the match Python would find on that line when it lies inside the line's
//   text: a block match that crosses a line end or starts in srun's label sends that one line
//   to the careful line-by-line path.
// Patterns whose meaning depends on where the text starts or ends (^, \A, \z) take the
// line-by-line path: on the lines their atoms pick, or on every line when they have none.
#include <algorithm>
#include <charconv>
#include <cstring>

#include "metrics/line_prefilter.h"
#include "metrics/literal_scanner.h"
#include "metrics/log_extractor.h"
#include "metrics/python_regex.h"

namespace mljob::metrics {
namespace {

struct Definition {
  const MetricDefinition* declared;
  std::unique_ptr<RE2> block_pattern;  // (?m) so that $ holds before every '\n'; null: lines only
  std::string prefix;                  // what every match starts with, if known (with block_pattern)
  std::optional<LiteralThenRun> run;   // the whole pattern is `prefix` and a run of one class
  bool prefiltered = false;            // tried only on the lines prefilter_ passes it
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
    if (translated[i] == '\\')
      ++i;
    else if (translated[i] == '^' && (i == 0 || translated[i - 1] != '['))
      return true;
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
        if (!definition.prefix.empty()) definition.run = literal_then_run(declared.regex);
      }
      if (matches_empty && warn) {
        warn("metric definition '" + declared.name + "' (" + declared.regex +
             ") matches the empty string; its empty matches carry no value");
      }
      definitions_.push_back(std::move(definition));
    }
    // One scanner for every definition that has a literal prefix; definitions sharing a prefix
    // share its literal.
    std::vector<std::string> literals;
    for (std::size_t d = 0; d < definitions_.size(); ++d) {
      if (!with_prefix(d)) continue;
      auto known = std::find(literals.begin(), literals.end(), definitions_[d].prefix);
      if (known == literals.end()) {
        literals.push_back(definitions_[d].prefix);
        literal_definitions_.emplace_back();
        known = literals.end() - 1;
      }
      literal_definitions_[static_cast<std::size_t>(known - literals.begin())].push_back(d);
    }
    scanner_ = std::make_unique<LiteralScanner>(std::move(literals));
    make_prefilter();
    next_allowed_.resize(definitions_.size());
    records_.resize(definitions_.size());
  }

  void process(const LineBatch& batch, const RecordSink& sink) override {
    labelled_mode_ = false;
    now_ = now_ms();
    scan(
        batch.text(),
        [&](std::size_t offset) {
          std::size_t line = batch.line_at(offset);
          return LineSpan{batch.line_start(line), batch.line_start(line),
                          batch.line_start(line) + batch.line(line).size(), batch.rank(line)};
        },
        sink);
  }

  void process_block(std::string_view block, const RecordSink& sink) override {
    labelled_mode_ = true;
    now_ = now_ms();
    scan(
        block,
        [&](std::size_t offset) {
          LineSpan span;
          const void* before = offset == 0 ? nullptr : ::memrchr(block.data(), '\n', offset);
          span.start = before ? static_cast<std::size_t>(static_cast<const char*>(before) - block.data()) + 1 : 0;
          const void* after = ::memchr(block.data() + offset, '\n', block.size() - offset);
          span.end = after ? static_cast<std::size_t>(static_cast<const char*>(after) - block.data()) : block.size();
          std::string_view text;
          span.rank = split_rank_label(block.substr(span.start, span.end - span.start), text);
          span.text_start = span.end - text.size();
          return span;
        },
        sink);
  }

 private:
  template <typename Locate>
  void scan(std::string_view text, const Locate& locate, const RecordSink& sink) {
    found_.clear();
    scan_prefixes(text, locate);
    scan_prefiltered(text, locate);
    for (std::size_t d = 0; d < definitions_.size(); ++d) {
      if (definitions_[d].declared->compiled->NumberOfCapturingGroups() < 1 || with_prefix(d)) continue;
      if (definitions_[d].prefiltered) continue;
      if (definitions_[d].block_pattern) {
        scan_block(d, text, locate);
      } else {
        for (std::size_t start = 0; start < text.size();) {  // line by line
          LineSpan span = locate(start);
          if (span.rank >= 0 || !labelled_mode_) extract_line(d, text, span);
          start = span.end + 1;
        }
      }
    }
    // Datapoints in the order the lines were written, whichever definition found them (one
    // definition's matches never start at the same place twice).
    auto written_order = [](const Found& a, const Found& b) {
      return a.offset != b.offset ? a.offset < b.offset : a.definition < b.definition;
    };
    if (!std::is_sorted(found_.begin(), found_.end(), written_order))
      std::sort(found_.begin(), found_.end(), written_order);
    for (const Found& found : found_) sink(std::move(record_of(found)));
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

  // The definitions that neither a prefix nor their lack of a group settles, in prefilter_.
  void make_prefilter() {
    std::vector<const RE2*> regexes;
    for (std::size_t d = 0; d < definitions_.size(); ++d) {
      if (definitions_[d].declared->compiled->NumberOfCapturingGroups() < 1 || with_prefix(d)) continue;
      regexes.push_back(definitions_[d].declared->compiled.get());
      prefiltered_.push_back(d);
    }
    prefilter_ = std::make_unique<LinePrefilter>(regexes);
    for (std::size_t p = 0; p < prefiltered_.size(); ++p)
      definitions_[prefiltered_[p]].prefiltered = prefilter_->filters(p);
  }

  // Every prefiltered definition, on the lines whose atoms pass it: the atoms' occurrences come
  // in order, so each line's are complete when the next line's first one comes.
  template <typename Locate>
  void scan_prefiltered(std::string_view text, const Locate& locate) {
    if (!prefilter_->filters_any()) return;
    LineSpan span;
    bool have_span = false, every_regex = false;
    line_atoms_.clear();
    auto finish_line = [&] {
      if (!every_regex && line_atoms_.empty()) return;
      prefilter_->passing(line_atoms_, every_regex, passing_);
      for (std::size_t p : passing_) extract_line(prefiltered_[p], text, span);
      line_atoms_.clear();
      every_regex = false;
    };
    prefilter_->scan(text, [&](std::size_t at, std::size_t atom) {
      if (!have_span || at > span.end) {
        if (have_span) finish_line();
        span = locate(at);
        have_span = true;
      }
      if (span.rank < 0 && labelled_mode_) return;  // not a replica's line
      if (at < span.text_start) return;             // starts in srun's label: no match of the text holds it
      if (atom == LinePrefilter::kEveryRegex)
        every_regex = true;
      else
        line_atoms_.push_back(static_cast<int>(atom));
    });
    if (have_span) finish_line();
  }

  bool with_prefix(std::size_t d) const {
    return !definitions_[d].prefix.empty() && definitions_[d].declared->compiled->NumberOfCapturingGroups() >= 1;
  }

  // Every definition with a literal prefix, in one pass over the text: each occurrence of a
  // prefix is a place where its definitions may match.
  template <typename Locate>
  void scan_prefixes(std::string_view text, const Locate& locate) {
    std::fill(next_allowed_.begin(), next_allowed_.end(), 0);
    LineSpan span;
    bool have_span = false;
    scanner_->scan(text, [&](std::size_t at, std::size_t literal) {
      if (!have_span || at > span.end) {  // occurrences come in order: most share the last one's line
        span = locate(at);
        have_span = true;
      }
      if (span.rank < 0 && labelled_mode_) return;  // not a replica's line
      if (at < span.text_start) return;             // inside srun's label: no match of the line's text starts there
      for (std::size_t d : literal_definitions_[literal]) {
        if (at >= next_allowed_[d]) match_at(d, text, at, span);
      }
    });
  }

  // Definition d tried at `at`, where its prefix occurs, on that line alone, as Python's finditer
  // would reach it: a match there is the leftmost from `at`; the next is searched after its end.
  void match_at(std::size_t d, std::string_view text, std::size_t at, const LineSpan& span) {
    const Definition& definition = definitions_[d];
    if (definition.run) {
      std::size_t value_start = at + definition.prefix.size(), end = value_start;
      while (end < span.end && definition.run->in_run[static_cast<unsigned char>(text[end])]) ++end;
      if (end == value_start) return;  // no run: no match here
      add(d, at, re2::StringPiece(text.data() + value_start, end - value_start), span.rank);
      next_allowed_[d] = end;
      return;
    }
    // The line alone is the text, as Python sees it (\b and $ judge its edges as Python does).
    std::string_view line = text.substr(span.text_start, span.end - span.text_start);
    re2::StringPiece match[2];
    if (definition.block_pattern->Match(line, at - span.text_start, line.size(), RE2::ANCHOR_START, match, 2)) {
      add(d, at, match[1], span.rank);
      next_allowed_[d] = span.text_start + static_cast<std::size_t>(match[0].data() - line.data()) + match[0].size();
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

  // The record of one datapoint, in the definition's own record object: a sink that only reads
  // it leaves it to be filled again (no allocation per datapoint); one that takes it (moves
  // from it) makes the next one be built afresh.
  EMetrics& record_of(const Found& found) {
    EMetrics& record = records_[found.definition];
    const std::string& name = definitions_[found.definition].declared->name;
    if (record.values.size() != 1 || record.values.begin()->first != name) {
      record.values.clear();
      record.values.emplace(name, TypedValue{ValueType::kFloat, {}});
    }
    record.values.begin()->second.type = ValueType::kFloat;
    record.values.begin()->second.text.assign(found.value);
    record.etimes.clear();
    record.grouplabel.assign(kMetricDefinitionsGroup);
    record.meta.training_id.clear();
    record.meta.user_id.clear();
    record.meta.time_ms = now_;
    record.meta.rindex = 0;
    if (found.rank >= 0)
      record.meta.subid.assign(rank_text(found.rank));
    else
      record.meta.subid.clear();
    return record;
  }

  // The rank as text, without allocating for the usual small ranks.
  static std::string_view rank_text(int rank) {
    static thread_local char buffer[16];
    auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, rank);
    return std::string_view(buffer, static_cast<std::size_t>(end - buffer));
  }

  std::vector<Definition> definitions_;
  std::unique_ptr<LiteralScanner> scanner_;                    // every prefix of definitions_
  std::vector<std::vector<std::size_t>> literal_definitions_;  // per scanner literal: its definitions
  std::vector<std::size_t> next_allowed_;                      // per definition: where its next match may start
  std::unique_ptr<LinePrefilter> prefilter_;                   // over the definitions in prefiltered_
  std::vector<std::size_t> prefiltered_;                       // per prefilter regex: its definition
  std::vector<int> line_atoms_;                                // the atoms found on the line at hand
  std::vector<std::size_t> passing_;                           // the prefilter regexes that line passes
  std::vector<Found> found_;
  std::vector<EMetrics> records_;  // per definition: the record its datapoints are handed over in
  std::int64_t now_ = now_ms();
  bool labelled_mode_ = true;
};

}  // namespace

std::unique_ptr<LogExtractor> make_metric_definitions_extractor(const std::vector<MetricDefinition>& definitions,
                                                                WarningSink warn) {
  return std::make_unique<MetricDefinitionsExtractor>(definitions, std::move(warn));
}

}  // namespace mljob::metrics
