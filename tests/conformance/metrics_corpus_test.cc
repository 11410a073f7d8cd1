// The conformance corpus (real job specs from public sample repositories; see its SOURCES.md)
// is not part of the repository: these suites read it from MLJOB_CONFORMANCE_DIR, the CMake
// cache variable of the same name, and are built only when that folder exists.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>

#include "base/yaml_json.h"
#include "metrics/log_extractor.h"
#include "metrics/metrics_spec.h"
#include "metrics/python_regex.h"
#include "metrics/test_support.h"
#include "tests/conformance/corpus.h"

namespace mljob::metrics {
namespace {

using mljob::metrics::testing::run;
using mljob::testing::corpus_path;
using nlohmann::json;

json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  return json::parse(in);
}

// A Caffe training log as glog writes it: three test phases and the training iterations between.
std::vector<std::string> caffe_log() {
  std::vector<std::string> lines = {"I0704 12:10:40.000001  1234 caffe.cpp:218] Starting Optimization"};
  const double accuracy[] = {0.1135, 0.9712, 0.9843};
  const double loss[] = {2.3096, 0.0891, 0.0487};
  for (int phase = 0; phase < 3; ++phase) {
    int iteration = phase * 500;
    std::string stamp = "I0704 12:1" + std::to_string(phase) + ":41.12345" + std::to_string(phase);
    lines.push_back(stamp + "  1234 solver.cpp:330] Iteration " + std::to_string(iteration) + ", Testing net (#0)");
    lines.push_back(stamp + "  1234 solver.cpp:397]     Test net output #0: accuracy = " +
                    std::to_string(accuracy[phase]).substr(0, 6));
    lines.push_back(
        stamp + "  1234 solver.cpp:397]     Test net output #1: loss = " + std::to_string(loss[phase]).substr(0, 6) +
        " (* 1 = " + std::to_string(loss[phase]).substr(0, 6) + " loss)");
    for (int step = 0; step < 5; ++step) {
      int it = iteration + step * 100;
      lines.push_back(stamp + "  1234 solver.cpp:218] Iteration " + std::to_string(it) +
                      " (0 iter/s, 0.5s/100 iters), loss = 0.5");
      lines.push_back(stamp + "  1234 solver.cpp:237]     Train net output #0: loss = 0.5 (* 1 = 0.5 loss)");
      lines.push_back(stamp + "  1234 sgd_solver.cpp:105] Iteration " + std::to_string(it) + ", lr = 0.01");
    }
  }
  return lines;
}

TEST(FfdlExtractor, TheCaffeExampleExtractsTheTestAccuracySeries) {
  std::ifstream in(corpus_path("ffdl/extracted/AISphere-ffdl-cli/README.train-printout.caffe-regex_extractor.json"));
  FfdlSpec spec = parse_ffdl_spec(json::parse(in)["EvaluationMetrics"], "EvaluationMetrics", nullptr);
  auto extractor = make_ffdl_extractor(spec);
  auto records = run(*extractor, caffe_log());
  std::vector<std::string> test_accuracy, test_iterations;
  int train = 0;
  for (const auto& record : records) {
    if (record.grouplabel == "test") {
      test_accuracy.push_back(record.values.at("accuracy").text);
      test_iterations.push_back(record.etimes.at("iteration").text);
      EXPECT_EQ(record.values.at("accuracy").type, ValueType::kFloat);
      EXPECT_EQ(record.etimes.at("glog").text.substr(0, 5), "I0704");
    } else if (record.grouplabel == "train") {
      ++train;
      EXPECT_EQ(record.values.at("loss").text, "0.5");
      EXPECT_EQ(record.values.at("learning-rate").text, "0.01");
    }
  }
  EXPECT_EQ(test_accuracy, (std::vector<std::string>{"0.1135", "0.9712", "0.9843"}));
  EXPECT_EQ(test_iterations, (std::vector<std::string>{"0", "500", "1000"}));
  EXPECT_EQ(train, 15);
}

TEST(MetricsSpec, TheCaffeExampleFromFfdlsCliIsUnderstood) {
  json manifest =
      read_json(corpus_path("ffdl/extracted/AISphere-ffdl-cli/README.train-printout.caffe-regex_extractor.json"));
  FfdlSpec spec = parse_ffdl_spec(manifest["EvaluationMetrics"], "EvaluationMetrics", nullptr);
  EXPECT_EQ(spec.type, "regex_extractor");
  EXPECT_EQ(spec.line_lookahead, 4);
  ASSERT_EQ(spec.groups.size(), 2u);
  EXPECT_EQ(spec.groups[0].name, "test");
  EXPECT_EQ(spec.groups[0].meta_time, "$glogstamp");
  EXPECT_EQ(spec.groups[0].values.size(), 2u);
  EXPECT_EQ(spec.groups[0].etimes.size(), 2u);
}

TEST(MetricsSpec, EveryFfdlManifestInTheCorpusParses) {
  int parsed = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(corpus_path("ffdl"))) {
    if (entry.path().extension() != ".yml" && entry.path().extension() != ".yaml") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    json manifest = yaml_text_to_json(text.str(), entry.path().string());
    if (!manifest.contains("evaluation_metrics")) continue;
    std::vector<std::string> warnings;
    EXPECT_NO_THROW(parse_ffdl_spec(manifest["evaluation_metrics"], "evaluation_metrics", &warnings)) << entry.path();
    ++parsed;
  }
  EXPECT_GE(parsed, 10);
}

TEST(MetricsSpec, SageMakerDefinitionsFromTheCorpus) {
  json definitions = read_json(corpus_path("sagemaker/extracted/aws-docs/training-metrics.MetricDefinitions.json"));
  auto parsed = parse_metric_definitions(definitions, "MetricDefinitions", nullptr);
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed[1].name, "validation:error");
}

TEST(PythonRegex, EveryMetricDefinitionInTheCorpusCompilesOrIsRefusedWithAReason) {
  namespace fs = std::filesystem;
  fs::path corpus = corpus_path("sagemaker");
  ASSERT_TRUE(fs::exists(corpus)) << corpus;
  int compiled = 0, refused = 0;
  std::function<void(const nlohmann::json&)> visit = [&](const nlohmann::json& node) {
    if (node.is_object()) {
      if (node.contains("Regex") && node["Regex"].is_string()) {
        std::string regex = node["Regex"];
        try {
          compile_python_regex(regex);
          ++compiled;
        } catch (const RegexError& e) {
          ++refused;
          EXPECT_FALSE(e.reason().empty()) << regex;
          EXPECT_NE(regex.find(e.part()), std::string::npos) << "the quoted part is not from the pattern: " << e.what();
        }
      }
      for (const auto& [key, value] : node.items()) visit(value);
    } else if (node.is_array()) {
      for (const auto& item : node) visit(item);
    }
  };
  for (const auto& entry : fs::recursive_directory_iterator(corpus)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    visit(nlohmann::json::parse(in, nullptr, false));
  }
  EXPECT_GT(compiled, 190);  // 198 distinct real regexes, plus the docs' and requests' copies
  std::cout << "corpus regexes: " << compiled << " compile, " << refused << " refused\n";
}

}  // namespace
}  // namespace mljob::metrics
