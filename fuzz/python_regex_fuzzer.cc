// The Python-to-RE2 translator: a metric's regex as a job spec gives it (FfDL's
// evaluation_metrics, SageMaker's MetricDefinitions). The first byte picks the flags.
#include <re2/re2.h>

#include "fuzz/fuzz_support.h"
#include "metrics/python_regex.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view pattern = mljob::fuzz::as_text(data + 1, size - 1);
  mljob::metrics::PythonFlags flags;
  flags.dotall = data[0] & 1;
  flags.multiline = data[0] & 2;
  try {
    mljob::metrics::literal_prefix(pattern);
    mljob::metrics::literal_then_run(pattern);
    auto regex = mljob::metrics::compile_python_regex(pattern, flags);
    std::string subject(pattern);
    RE2::PartialMatch(subject, *regex);
  } catch (const mljob::metrics::RegexError&) {
  }
  return 0;
}
