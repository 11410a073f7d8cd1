// The log extractors with random definitions: the first part of the input is the declarations
// as a job stores them (metrics.json: FfDL's evaluation_metrics, SageMaker's
// MetricDefinitions), the rest a block of output.log ("RANK: text" lines) run through every
// extractor they call for.
#include <fuzzer/FuzzedDataProvider.h>

#include "base/input_error.h"
#include "fuzz/fuzz_support.h"
#include "metrics/log_extractor.h"
#include "metrics/metrics_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider input(data, size);
  auto declarations = nlohmann::ordered_json::parse(input.ConsumeRandomLengthString(4096), nullptr,
                                                    /*allow_exceptions=*/false);
  std::string log = input.ConsumeRemainingBytesAsString();
  // The collector hands the extractors whole lines only.
  log.resize(log.rfind('\n') == std::string::npos ? 0 : log.rfind('\n') + 1);
  mljob::metrics::MetricsSpec spec;
  try {
    spec = mljob::metrics::parse_metrics_spec(declarations.is_discarded() ? nullptr : declarations);
  } catch (const mljob::InputError&) {
    return 0;
  }
  auto extractors = mljob::metrics::make_log_extractors(spec, [](const std::string&) {});
  for (auto& extractor : extractors) extractor->process_block(log, [](mljob::metrics::EMetrics&&) {});
  return 0;
}
