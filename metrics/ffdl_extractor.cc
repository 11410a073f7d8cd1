// FfDL's regex_extractor over a job's log (see log_extractor.h).
//
// Speed: after every line, every group's regex is matched at its replica's window start, which
// on a chatty trainer is most of the collector's time. A group's regex is tried only when the
// window holds the atoms (words) its matches must contain (LinePrefilter, RE2's FilteredRE2):
// the atoms of every line are found once, in one scan of the batch, and a window's atoms are
// those of its lines. A match lies inside the window, so a window without them cannot match:
// skipping the group changes nothing, and groups are still tried in manifest order.
#include <algorithm>
#include <deque>
#include <map>
#include <optional>

#include "metrics/line_prefilter.h"
#include "metrics/log_extractor.h"

namespace mljob::metrics {
namespace {

// The atoms of one line of a window (indices into the prefilter's atoms).
struct LineAtoms {
  std::vector<int> atoms;
  bool every_regex = false;  // the line passes every regex (see line_prefilter.h)
};

struct Window {
  std::string text;
  std::deque<std::size_t> lengths;
  std::deque<LineAtoms> atoms;  // per line, with the prefilter
};

class FfdlExtractor : public LogExtractor {
 public:
  FfdlExtractor(const FfdlSpec& spec, bool prefilter) : spec_(spec) {
    std::vector<const RE2*> regexes;
    for (const auto& group : spec_.groups) regexes.push_back(group.compiled.get());
    if (prefilter && !regexes.empty()) {
      prefilter_.emplace(regexes);
      if (!prefilter_->filters_any()) prefilter_.reset();
    }
    for (const auto& group : spec_.groups) {
      std::map<std::string, int> names(group.compiled->NamedCapturingGroups().begin(),
                                       group.compiled->NamedCapturingGroups().end());
      capture_index_.push_back(std::move(names));
    }
  }

  void process(const LineBatch& batch, const RecordSink& sink) override {
    std::int64_t now = now_ms();
    if (prefilter_) find_atoms(batch);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      Window& window = windows_[batch.rank(i)];
      std::string_view line = batch.line(i);
      window.text.append(line);
      window.text.push_back('\n');
      window.lengths.push_back(line.size() + 1);
      if (prefilter_) window.atoms.push_back(std::move(line_atoms_[i]));
      if (window.lengths.size() > static_cast<std::size_t>(spec_.line_lookahead)) {
        window.text.erase(0, window.lengths.front());
        window.lengths.pop_front();
        if (prefilter_) window.atoms.pop_front();
      }
      match_window(window, batch.rank(i), now, sink);
    }
  }

 private:
  // Every line's atoms, in one scan of the batch (an atom never spans lines: see line_prefilter.h).
  void find_atoms(const LineBatch& batch) {
    line_atoms_.assign(batch.size(), LineAtoms{});
    std::size_t line = 0;
    prefilter_->scan(batch.text(), [&](std::size_t at, std::size_t atom) {
      while (line + 1 < batch.size() && at >= batch.line_start(line + 1)) ++line;
      if (atom == LinePrefilter::kEveryRegex)
        line_atoms_[line].every_regex = true;
      else
        line_atoms_[line].atoms.push_back(static_cast<int>(atom));
    });
  }

  // Whether group g may match the window: unfiltered, or passed by the window's atoms.
  std::vector<bool>& groups_to_try(const Window& window) {
    try_group_.assign(spec_.groups.size(), true);
    if (!prefilter_) return try_group_;
    window_atoms_.clear();
    bool every_regex = false;
    for (const LineAtoms& line : window.atoms) {
      window_atoms_.insert(window_atoms_.end(), line.atoms.begin(), line.atoms.end());
      every_regex = every_regex || line.every_regex;
    }
    prefilter_->passing(window_atoms_, every_regex, passing_);
    for (std::size_t g = 0; g < spec_.groups.size(); ++g) {
      try_group_[g] = !prefilter_->filters(g) || std::find(passing_.begin(), passing_.end(), g) != passing_.end();
    }
    return try_group_;
  }

  void match_window(Window& window, int rank, std::int64_t now, const RecordSink& sink) {
    const std::vector<bool>& try_group = groups_to_try(window);
    for (std::size_t g = 0; g < spec_.groups.size(); ++g) {
      if (!try_group[g]) continue;
      const FfdlGroup& group = spec_.groups[g];
      int groups = group.compiled->NumberOfCapturingGroups() + 1;
      captures_.resize(groups);
      if (!group.compiled->Match(window.text, 0, window.text.size(), RE2::ANCHOR_START, captures_.data(), groups)) {
        continue;
      }
      EMetrics record;
      record.grouplabel = group.name;
      record.meta.time_ms = now;
      record.meta.subid = rank < 0 ? "" : std::to_string(rank);
      if (!group.meta_subid.empty()) {
        if (auto subid = bound_text(group.meta_subid, g)) record.meta.subid = *subid;
      }
      bind(group.values, g, record.values);
      bind(group.etimes, g, record.etimes);
      sink(std::move(record));
      window.text.clear();
      window.lengths.clear();
      window.atoms.clear();
      return;  // one record per line, as FfDL
    }
  }

  // "$name" -> the capture's text (nothing when that group did not take part); else the literal.
  std::optional<std::string> bound_text(const std::string& value, std::size_t group) const {
    if (!value.starts_with("$")) return value;
    auto found = capture_index_[group].find(value.substr(1));
    if (found == capture_index_[group].end()) return std::nullopt;
    const auto& capture = captures_[found->second];
    if (capture.data() == nullptr) return std::nullopt;
    return std::string(capture);
  }

  void bind(const std::vector<ValueBinding>& bindings, std::size_t group,
            std::map<std::string, TypedValue>& out) const {
    for (const auto& binding : bindings) {
      if (auto text = bound_text(binding.value, group)) out[binding.key] = TypedValue{binding.type, std::move(*text)};
    }
  }

  const FfdlSpec& spec_;
  std::vector<std::map<std::string, int>> capture_index_;
  std::map<int, Window> windows_;  // per replica rank
  std::vector<re2::StringPiece> captures_;
  std::optional<LinePrefilter> prefilter_;  // none: every group is tried after every line
  std::vector<LineAtoms> line_atoms_;       // per line of the batch being processed
  std::vector<int> window_atoms_;
  std::vector<std::size_t> passing_;
  std::vector<bool> try_group_;
};

}  // namespace

std::unique_ptr<LogExtractor> make_ffdl_extractor(const FfdlSpec& spec, bool prefilter) {
  return std::make_unique<FfdlExtractor>(spec, prefilter);
}

}  // namespace mljob::metrics
