#include "bridge/job_view.h"

#include <map>

#include "core/job_filter.h"
#include "core/job_state.h"

namespace mljob::cli {

std::vector<nlohmann::json> job_resources(const std::vector<JobRecord>& records, const SlurmClient& slurm) {
  std::vector<std::string> ids;
  for (const auto& record : records) {
    if (!record.slurm_job_id.empty()) ids.push_back(record.slurm_job_id);
  }
  std::map<std::string, std::vector<AccountingRecord>> by_job;
  for (auto& entry : slurm.accounting(ids)) by_job[entry.base_job_id].push_back(std::move(entry));

  std::vector<nlohmann::json> resources;
  for (const auto& record : records) {
    nlohmann::json job = record.job;
    JobStatus status = derive_status(by_job[record.slurm_job_id], record.component_roles, record.cancel_requested);
    if (by_job[record.slurm_job_id].empty()) {
      // Submitted moments ago: accounting has not heard of it yet.
      status.state = record.cancel_requested ? "CANCELLING" : "QUEUED";
    }
    if (status.create_time) job["createTime"] = rfc3339_utc(*status.create_time);
    if (status.start_time) job["startTime"] = rfc3339_utc(*status.start_time);
    if (status.end_time) job["endTime"] = rfc3339_utc(*status.end_time);
    job["state"] = status.state;
    if (!status.error_message.empty()) job["errorMessage"] = status.error_message;
    job["slurmJobId"] = record.slurm_job_id;
    job["etag"] = job_etag(job);
    resources.push_back(std::move(job));
  }
  return resources;
}

}  // namespace mljob::cli
