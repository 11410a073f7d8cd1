#include "core/job_store.h"

#include <fstream>

#include "core/test_support.h"

namespace mljob {
namespace {

namespace fs = std::filesystem;

JobRecord record_in(const fs::path& folder, const std::string& job_id) {
  return {{{"jobId", job_id}, {"labels", {{"team", std::string(300, 'v')}}}}, "42", {"master"}, {"master-0"}, false, folder};
}

TEST(JobStore, ARecordThatCannotBeWrittenIsAnErrorAndTheOldOneStays) {
  testing::ScratchFolder scratch("mljob-store");
  JobStore store(scratch.path());
  fs::path folder = store.reserve("job_1");
  JobRecord record = record_in(folder, "job_1");
  store.save(record);
  record.slurm_job_id = "43";
  {
    testing::FileSizeLimit full(64);  // the record is larger, and smaller than the stream's buffer
    EXPECT_THROW(store.save(record), std::runtime_error);
  }
  EXPECT_EQ(store.load("job_1")->slurm_job_id, "42");
}

}  // namespace
}  // namespace mljob
