#include "core/job_filter.h"

#include "base/test_support.h"

namespace mljob {
namespace {

const nlohmann::json kJob = {{"jobId", "j1"}, {"state", "RUNNING"}, {"labels", {{"team", "vision"}}}};

TEST(JobFilter, Terms) {
  EXPECT_TRUE(JobFilter::parse("").matches(kJob));
  EXPECT_TRUE(JobFilter::parse("state=RUNNING").matches(kJob));
  EXPECT_TRUE(JobFilter::parse("state = \"RUNNING\" AND labels.team:vision").matches(kJob));
  EXPECT_FALSE(JobFilter::parse("state=RUNNING AND labels.team=audio").matches(kJob));
  EXPECT_TRUE(JobFilter::parse("state!=FAILED").matches(kJob));
  EXPECT_FALSE(JobFilter::parse("labels.owner=me").matches(kJob));
  EXPECT_TRUE(JobFilter::parse("labels.owner!=me").matches(kJob));
}

TEST(JobFilter, BadTermsNameThemselves) {
  testing::expect_input_error([] { JobFilter::parse("state=RUNNING AND colour=red"); }, "--filter", "each term is");
  testing::expect_input_error([] { JobFilter::parse("state"); }, "--filter", "each term is");
}

TEST(JobEtag, ChangesWithTheLabelsOnly) {
  nlohmann::json other = kJob;
  other["state"] = "SUCCEEDED";
  EXPECT_EQ(job_etag(kJob), job_etag(other));
  other["labels"]["team"] = "audio";
  EXPECT_NE(job_etag(kJob), job_etag(other));
  EXPECT_EQ(job_etag(kJob).size(), 16u);
}

}  // namespace
}  // namespace mljob
