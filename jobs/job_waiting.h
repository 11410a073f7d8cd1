// Waiting for a job, and following what it writes until it ends: the one loop behind
// --stream-logs, mljob-submit --wait, mljob stream-logs --follow and mljob logs --follow.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/job_store.h"
#include "core/slurm_access.h"

namespace mljob::jobs {

// Polls once a second until the job has ended and Slurm has accounted every component (at
// most 20 s after the end: accounting may lag); `on_poll` sees each Job resource read on the
// way. Returns the final Job resource.
nlohmann::json wait_for_end(const std::string& job_id, const SlurmAccess& slurm,
                            const std::function<void(const nlohmann::json&)>& on_poll);

// Calls `read_new` until the job has ended, `interval` apart: each round first asks Slurm
// whether the job has ended, then reads, so the last read comes after the end was seen and
// nothing written before it is missed.
void follow_until_ended(const JobRecord& record, const SlurmAccess& slurm, const std::function<void()>& read_new,
                        std::chrono::milliseconds interval = std::chrono::milliseconds(500));

}  // namespace mljob::jobs
