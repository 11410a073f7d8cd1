// FfDL's regex_extractor over a job's log (see log_extractor.h).
#include <deque>
#include <map>

#include "metrics/log_extractor.h"

namespace mljob::metrics {
namespace {

struct Window {
  std::string text;
  std::deque<std::size_t> lengths;
};

class FfdlExtractor : public LogExtractor {
 public:
  explicit FfdlExtractor(const FfdlSpec& spec) : spec_(spec) {
    for (const auto& group : spec_.groups) {
      std::map<std::string, int> names(group.compiled->NamedCapturingGroups().begin(),
                                       group.compiled->NamedCapturingGroups().end());
      capture_index_.push_back(std::move(names));
    }
  }

  void process(const LineBatch& batch, const RecordSink& sink) override {
    std::int64_t now = now_ms();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      Window& window = windows_[batch.rank(i)];
      std::string_view line = batch.line(i);
      window.text.append(line);
      window.text.push_back('\n');
      window.lengths.push_back(line.size() + 1);
      if (window.lengths.size() > static_cast<std::size_t>(spec_.line_lookahead)) {
        window.text.erase(0, window.lengths.front());
        window.lengths.pop_front();
      }
      match_window(window, batch.rank(i), now, sink);
    }
  }

 private:
  void match_window(Window& window, int rank, std::int64_t now, const RecordSink& sink) {
    for (std::size_t g = 0; g < spec_.groups.size(); ++g) {
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
};

}  // namespace

std::unique_ptr<LogExtractor> make_ffdl_extractor(const FfdlSpec& spec) {
  return std::make_unique<FfdlExtractor>(spec);
}

}  // namespace mljob::metrics
