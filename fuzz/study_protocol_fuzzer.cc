// The tuner's ask/tell protocol as `mljob-study serve` speaks it: JSON lines of results in
// (final values, intermediate values, failures), suggestions and stop decisions out. A line
// that is not a result must be refused as bad input (exit 2); exit 1 is kept for a failure of
// the system, which this target, writing no file, cannot have: an exit 1 here is an exception
// that escaped the protocol's checks, and a finding.
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "fuzz/fuzz_support.h"
#include "tuner/study_command.h"

namespace {

// Bayesian (the default) over each parameter type, with early stopping, so that a few lines
// reach the Gaussian process, the median stopping rule and the end of the study.
constexpr std::string_view kSpec = R"({
  "goal": "MAXIMIZE", "hyperparameterMetricTag": "accuracy", "maxTrials": 8, "maxParallelTrials": 2,
  "maxFailedTrials": 3, "enableTrialEarlyStopping": true,
  "params": [
    {"parameterName": "lr", "type": "DOUBLE", "minValue": 0.0001, "maxValue": 1, "scaleType": "UNIT_LOG_SCALE"},
    {"parameterName": "layers", "type": "INTEGER", "minValue": 1, "maxValue": 8},
    {"parameterName": "batch", "type": "DISCRETE", "discreteValues": [16, 32, 64]},
    {"parameterName": "optimizer", "type": "CATEGORICAL", "categoricalValues": ["sgd", "adam"]}]})";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::filesystem::path spec = [] {
    auto file = mljob::fuzz::scratch_file("spec.json");
    mljob::fuzz::write_file(file, kSpec);
    return file;
  }();
  std::istringstream in{std::string(mljob::fuzz::as_text(data, size))};
  std::ostringstream out, err;
  int status = mljob::tuner::run_study_command({"serve", "--spec", spec.string(), "--seed", "7"}, in, out, err);
  if (status == 1) {
    std::cerr << "mljob-study serve failed (exit 1) on input it should have refused: " << err.str();
    std::abort();
  }
  return 0;
}
