// Random training logs for a set of SageMaker MetricDefinitions: lines made of what the set's
// regexes match and almost match (samples of each regex, mutated), numbers, other sets'
// samples, progress-bar noise, CR, invalid UTF-8 and the few non-ASCII letters that case
// folding ties to ASCII ones. For the equivalence test (and throughput checks) over the corpus.
#pragma once

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace mljob::metrics::testing {

// Every MetricDefinitions list of the corpus, named by where it was found.
struct DefinitionSet {
  std::string where;
  nlohmann::ordered_json definitions;
};

inline void collect_definition_sets(const nlohmann::ordered_json& node, const std::string& where,
                                    std::vector<DefinitionSet>& out) {
  if (node.is_object()) {
    if (node.contains("MetricDefinitions") && node["MetricDefinitions"].is_array()) {
      std::string name = node.contains("path") ? where + ": " + node["path"].get<std::string>() : where;
      out.push_back({name, node["MetricDefinitions"]});
      return;
    }
    for (const auto& [key, value] : node.items()) collect_definition_sets(value, where, out);
  } else if (node.is_array()) {
    // A bare list of {Name, Regex} is itself a set (aws-docs' *.MetricDefinitions.json).
    if (!node.empty() && node[0].is_object() && node[0].contains("Regex")) {
      out.push_back({where, node});
      return;
    }
    for (const auto& item : node) collect_definition_sets(item, where, out);
  }
}

// The sets under `sagemaker` (the corpus' sagemaker folder), in a stable order.
inline std::vector<DefinitionSet> corpus_definition_sets(const std::filesystem::path& sagemaker) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(sagemaker)) {
    if (entry.path().extension() == ".json" && entry.path().string().find("/schema/") == std::string::npos) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<DefinitionSet> sets;
  for (const auto& file : files) {
    std::ifstream in(file);
    auto document = nlohmann::ordered_json::parse(in, nullptr, false);
    if (!document.is_discarded()) {
      collect_definition_sets(document, std::filesystem::relative(file, sagemaker).string(), sets);
    }
  }
  return sets;
}

// A random string a Python regex is likely to match: literals kept, each class or escape one
// of its members, each quantifier a few repetitions, each alternation one branch. A sketch of
// the language, not a generator of it: lookarounds and backreferences are left out.
class RegexSampler {
 public:
  RegexSampler(std::string_view pattern, std::mt19937& random) : pattern_(pattern), random_(random) {}

  std::string sample() {
    pos_ = 0;
    std::string out;
    while (pos_ < pattern_.size()) {
      alternation(out);
      if (pos_ < pattern_.size()) ++pos_;  // an unbalanced ')': go on after it
    }
    return out;
  }

 private:
  std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(random_); }
  bool at(char c) const { return pos_ < pattern_.size() && pattern_[pos_] == c; }

  void alternation(std::string& out) {
    std::vector<std::string> branches(1);
    while (pos_ < pattern_.size() && !at(')')) {
      if (at('|')) {
        ++pos_;
        branches.emplace_back();
      } else {
        piece(branches.back());
      }
    }
    out += branches[pick(branches.size())];
  }

  // An atom and its quantifier: the atom parsed again for each repetition.
  void piece(std::string& out) {
    std::size_t start = pos_;
    std::string first;
    atom(first);
    std::size_t atom_end = pos_;
    auto [low, high] = quantifier();
    std::size_t after = pos_;
    if (after == atom_end) {
      out += first;
      return;
    }
    std::size_t times = low + pick(std::min<std::size_t>(high, low + 3) - low + 1);
    for (std::size_t i = 0; i < times; ++i) {
      pos_ = start;
      atom(out);
    }
    pos_ = after;
  }

  std::pair<std::size_t, std::size_t> quantifier() {
    constexpr std::size_t kMany = 1000;
    std::pair<std::size_t, std::size_t> range{1, 1};
    if (at('*')) {
      range = {0, kMany}, ++pos_;
    } else if (at('+')) {
      range = {1, kMany}, ++pos_;
    } else if (at('?')) {
      range = {0, 1}, ++pos_;
    } else if (at('{')) {
      std::size_t close = pattern_.find('}', pos_);
      std::string inside(close == std::string_view::npos ? "" : pattern_.substr(pos_ + 1, close - pos_ - 1));
      if (inside.empty() || inside.find_first_not_of("0123456789,") != std::string::npos) return range;
      std::size_t comma = inside.find(',');
      std::string low = inside.substr(0, comma), high = comma == std::string::npos ? low : inside.substr(comma + 1);
      range = {low.empty() ? 0 : std::stoul(low), high.empty() ? kMany : std::stoul(high)};
      if (range.second < range.first) range.second = range.first;
      pos_ = close + 1;
    } else {
      return range;
    }
    if (at('?') || at('+')) ++pos_;  // lazy or possessive: the same strings
    return range;
  }

  void atom(std::string& out) {
    char c = pattern_[pos_++];
    switch (c) {
      case '(':
        group(out);
        return;
      case '[':
        out += bracket();
        return;
      case '.':
        out += " ax0.:-"[pick(7)];
        return;
      case '\\':
        escape(out);
        return;
      case '^':
      case '$':
        return;
      default:
        out += c;
    }
  }

  void group(std::string& out) {
    bool keep = true;
    if (at('?')) {
      ++pos_;
      if (at(':')) {
        ++pos_;
      } else if (at('P') && pos_ + 1 < pattern_.size() && pattern_[pos_ + 1] == '<') {
        pos_ = pattern_.find('>', pos_) + 1;
      } else if (at('=') || at('!') || at('<') || at('P')) {
        keep = false;  // lookaround, backreference: not sampled
      } else {
        // Flags: "(?i)" alone, or "(?i:...)".
        while (pos_ < pattern_.size() && !at(')') && !at(':')) ++pos_;
        if (at(')')) {
          ++pos_;
          return;
        }
        ++pos_;
      }
    }
    std::string inside;
    alternation(inside);
    if (at(')')) ++pos_;
    if (keep) out += inside;
  }

  // One member of a bracket expression (one byte not in it, when negated).
  std::string bracket() {
    bool negated = at('^');
    if (negated) ++pos_;
    std::vector<std::string> members;
    std::string excluded;
    bool first = true;
    while (pos_ < pattern_.size() && (first || !at(']'))) {
      first = false;
      std::string member(1, pattern_[pos_++]);
      if (member == "\\" && pos_ < pattern_.size()) {
        member.clear();
        escape(member);
        if (member.empty()) continue;
      } else if (at('-') && pos_ + 1 < pattern_.size() && pattern_[pos_ + 1] != ']') {
        char high = pattern_[pos_ + 1];
        pos_ += 2;
        for (char x = member[0]; x < high && x >= member[0]; ++x) excluded += x, members.emplace_back(1, x);
        member = std::string(1, high);
      }
      excluded += member;
      members.push_back(member);
    }
    if (at(']')) ++pos_;
    if (!negated) return members.empty() ? "" : members[pick(members.size())];
    std::string others;
    for (char x : std::string_view(" x0.,:;-=|eE9")) {
      if (excluded.find(x) == std::string::npos) others += x;
    }
    return others.empty() ? "" : std::string(1, others[pick(others.size())]);
  }

  void escape(std::string& out) {
    if (pos_ >= pattern_.size()) return;
    char c = pattern_[pos_++];
    switch (c) {
      case 'd':
        out += static_cast<char>('0' + pick(10));
        return;
      case 'D':
        out += "x.-"[pick(3)];
        return;
      case 's':
        out += " \t"[pick(2)];
        return;
      case 'S':
        out += "x1.-"[pick(4)];
        return;
      case 'w':
        out += "a_7"[pick(3)];
        return;
      case 'W':
        out += " .-"[pick(3)];
        return;
      case 'b':
      case 'B':
      case 'A':
      case 'Z':
        return;
      case 'n':
        return;  // a line holds no '\n'
      case 't':
        out += '\t';
        return;
      default:
        if (c >= '0' && c <= '9') return;  // a backreference
        out += c;
    }
  }

  std::string_view pattern_;
  std::size_t pos_ = 0;
  std::mt19937& random_;
};

// Blocks of srun-labelled log ("RANK: text\n" lines, some without a label) for one set of
// regexes; `foreign` are other sets' samples.
class MetricLogSampler {
 public:
  MetricLogSampler(const std::vector<std::string>& regexes, const std::vector<std::string>& foreign, std::uint32_t seed)
      : random_(seed), foreign_(foreign) {
    for (const auto& regex : regexes) {
      RegexSampler sampler(regex, random_);
      for (int i = 0; i < 6; ++i) {
        std::string sample = sampler.sample();
        samples_.push_back(sample);
        if (!sample.empty()) samples_.push_back(mutated(sample));
      }
    }
  }

  // A few of this set's samples, for other sets' logs.
  std::vector<std::string> some_samples(std::size_t count) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < count && !samples_.empty(); ++i) out.push_back(samples_[pick(samples_.size())]);
    return out;
  }

  std::string block(std::size_t max_lines) {
    static const std::vector<std::string> kLabels = {"0: ", "1: ", "12: ", " 3: ", "srun: ", "", "1:", "7: "};
    std::string out;
    for (std::size_t line = 0, lines = 1 + pick(max_lines); line < lines; ++line) {
      out += kLabels[pick(kLabels.size())];
      std::size_t pieces = pick(8);
      if (pick(40) == 0) pieces = 200 + pick(800);  // a long line
      for (std::size_t i = 0; i < pieces; ++i) out += piece();
      out += '\n';
    }
    return out;
  }

  // A line as a training job prints it: a metric line one time in `one_in`, else progress-bar
  // noise (for throughput checks).
  std::string training_line(int rank, std::size_t one_in) {
    std::string out = std::to_string(rank) + ": ";
    if (pick(one_in) == 0 && !samples_.empty()) {
      for (std::size_t i = 0, n = 1 + pick(3); i < n; ++i) out += samples_[pick(samples_.size())] + " ";
    } else {
      std::size_t step = pick(1000);
      out += "Epoch 3:  " + std::to_string(step / 10) + "%|\xe2\x96\x88\xe2\x96\x88\xe2\x96\x8c      | " +
             std::to_string(step) + "/1000 [00:10<00:12, 45.12it/s, v_num=0]";
    }
    return out + "\n";
  }

 private:
  std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(random_); }

  std::string mutated(std::string text) {
    switch (pick(4)) {
      case 0:
        text.erase(pick(text.size()), 1);
        break;
      case 1:
        text.insert(pick(text.size() + 1), 1, " x:.="[pick(5)]);
        break;
      case 2:
        text.resize(pick(text.size()));
        break;
      default:
        for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return text;
  }

  std::string piece() {
    static const std::vector<std::string> kNumbers = {"0.25", "1e-3",  "-2.5E+1", "3.", ".5",  "1.2.3", "nan",
                                                      "inf",  "1_000", "0x1f",    "+7", "1e-", "42",    "9."};
    static const std::vector<std::string> kNoise = {" ",
                                                    "  ",
                                                    "\t",
                                                    " - ",
                                                    ",",
                                                    ";",
                                                    ":",
                                                    "=",
                                                    "'",
                                                    "{",
                                                    "}",
                                                    "\r",
                                                    "\xff\xfe",
                                                    "\xc3\x28",
                                                    "\xe2\x84\xaa",  // Kelvin sign
                                                    "\xc5\xbf",      // long s
                                                    "LOSS",
                                                    "Loss",
                                                    "Epoch 1/10",
                                                    "\xe2\x96\x88",
                                                    "45%|",
                                                    "it/s]",
                                                    "step - ",
                                                    "[J1",
                                                    "<stdout>:|",
                                                    "0: ",
                                                    "x"};
    switch (pick(10)) {
      case 0:
      case 1:
        return kNumbers[pick(kNumbers.size())];
      case 2:
      case 3:
        return kNoise[pick(kNoise.size())];
      case 4:
        return foreign_.empty() ? "" : foreign_[pick(foreign_.size())];
      default:
        return samples_.empty() ? "" : samples_[pick(samples_.size())];
    }
  }

  std::mt19937 random_;
  std::vector<std::string> foreign_;
  std::vector<std::string> samples_;
};

}  // namespace mljob::metrics::testing
