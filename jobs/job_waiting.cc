#include "jobs/job_waiting.h"

#include <map>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/job_state.h"
#include "jobs/job_view.h"

namespace mljob::jobs {

nlohmann::json wait_for_end(const std::string& job_id, const SlurmAccess& slurm,
                            const std::function<void(const nlohmann::json&)>& on_poll) {
  constexpr int kAccountingGraceSeconds = 20;
  int waited_for_accounting = 0;
  JobStore store = JobStore::from_environment();
  for (;;) {
    auto record = store.load(job_id);
    if (!record) throw std::runtime_error("the record of job " + job_id + " disappeared");
    std::map<std::string, std::vector<AccountingRecord>> used;
    nlohmann::json resource = job_resources({*record}, slurm, &used).front();
    on_poll(resource);
    if (is_final_state(resource["state"])) {
      // The grace is counted from the end of the job, not from the start of the wait.
      bool settled = every_component_accounted(used[record->slurm_job_id], record->component_roles.size()) ||
                     waited_for_accounting++ >= kAccountingGraceSeconds;
      if (settled) return resource;
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

void follow_until_ended(const JobRecord& record, const SlurmAccess& slurm, const std::function<void()>& read_new,
                        std::chrono::milliseconds interval) {
  for (;;) {
    bool ended = is_final_state(job_resources({record}, slurm).front()["state"].get<std::string>());
    read_new();
    if (ended) return;  // read once more after the end was seen, then stop
    std::this_thread::sleep_for(interval);
  }
}

}  // namespace mljob::jobs
