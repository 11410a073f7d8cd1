// A study's spec, in either form: AI Platform's HyperparameterSpec or SageMaker's tuning job
// (parse_hyperparameter_spec tells them apart), read from YAML or JSON as the CLI reads it.
#include "base/input_error.h"
#include "base/yaml_json.h"
#include "fuzz/fuzz_support.h"
#include "tuner/hyperparameter_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    nlohmann::json value = mljob::yaml_text_to_json(std::string(mljob::fuzz::as_text(data, size)), "fuzz.yaml");
    mljob::tuner::to_json(mljob::tuner::parse_hyperparameter_spec(value));
  } catch (const mljob::InputError&) {
  }
  return 0;
}
