// The SageMaker front door: a CreateTrainingJob request as `mljob submit sagemaker` reads it,
// against the sample catalog's images and storage.
#include "base/input_error.h"
#include "core/sagemaker_training.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    mljob::SageMakerTraining training = mljob::parse_sagemaker_training_text(
        std::string(mljob::fuzz::as_text(data, size)), "fuzz.json", mljob::fuzz::sample_catalog(), {"/tmp/job", false});
    mljob::sagemaker_task_script(training);
  } catch (const mljob::InputError&) {
  }
  return 0;
}
