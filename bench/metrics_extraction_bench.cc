// Extraction speed over a training log: the collector's own path (LogFollower reading the file
// in chunks, srun labels taken off, SageMaker MetricDefinitions extractor) with three metric
// regexes. Prints one JSON line: bytes, seconds, MB/s, datapoints, their sum (to compare with
// the Python baseline) and the process's maximum resident set size.
//
//   metrics_extraction_bench LOG_FILE
#include <sys/resource.h>

#include <chrono>
#include <iostream>

#include <nlohmann/json.hpp>

#include "metrics/log_follower.h"

using namespace mljob::metrics;

// The three definitions; bench/python_extract.py holds the same three.
const char* kDefinitions = R"json([
  {"Name": "train:loss", "Regex": "loss: ([0-9\\.]+)"},
  {"Name": "train:accuracy", "Regex": "accuracy: ([0-9\\.]+)"},
  {"Name": "validation:loss", "Regex": "val_loss=([0-9.eE+-]+)"}
])json";

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: metrics_extraction_bench LOG_FILE\n";
    return 2;
  }
  auto definitions = parse_metric_definitions(nlohmann::json::parse(kDefinitions), "bench", nullptr);
  auto extractor = make_metric_definitions_extractor(definitions, [](const std::string& w) { std::cerr << w << "\n"; });
  LogFollower follower(argv[1]);
  std::uint64_t datapoints = 0;
  double sum = 0;
  auto sink = [&](EMetrics&& record) {
    for (const auto& [name, value] : record.values) {
      ++datapoints;
      sum += *parse_number(value.text);
    }
  };
  auto started = std::chrono::steady_clock::now();
  std::uint64_t bytes =
      follower.poll([&](std::string_view block, std::uint64_t) { extractor->process_block(block, sink); },
                    [](const std::string& w) { std::cerr << w << "\n"; }, true);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  nlohmann::json result = {{"impl", "mljob (RE2)"},
                           {"bytes", bytes},
                           {"seconds", seconds},
                           {"mb_per_s", bytes / seconds / 1e6},
                           {"datapoints", datapoints},
                           {"sum", sum},
                           {"max_rss_kib", usage.ru_maxrss}};
  std::cout << result.dump() << "\n";
  return 0;
}
