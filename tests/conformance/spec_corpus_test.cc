// The conformance corpus (real job specs from public sample repositories; see its SOURCES.md)
// is not part of the repository: these suites read it from MLJOB_CONFORMANCE_DIR, the CMake
// cache variable of the same name, and are built only when that folder exists.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/spec_parser.h"
#include "tests/conformance/corpus.h"

namespace mljob {
namespace {

using mljob::testing::corpus_path;

TEST(SpecParser, EveryAiPlatformConfigInTheCorpusParses) {
  // The training configs of the conformance corpus (shared/conformance) must all read cleanly.
  namespace fs = std::filesystem;
  fs::path corpus = corpus_path("aiplatform/cloudml-samples");
  if (!fs::exists(corpus)) GTEST_FAIL() << "conformance corpus missing at " << corpus;
  int parsed = 0;
  for (const auto& entry : fs::recursive_directory_iterator(corpus)) {
    if (entry.path().extension() != ".yaml") continue;
    EXPECT_NO_THROW(parse_job_spec_file(entry.path())) << entry.path();
    ++parsed;
  }
  EXPECT_GT(parsed, 20);
}

}  // namespace
}  // namespace mljob
