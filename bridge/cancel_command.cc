#include "bridge/cancel_command.h"

#include <iostream>

#include "bridge/job_flags.h"
#include "core/job_state.h"
#include "study/study_controller.h"
#include "study/study_resources.h"

namespace mljob::bridge {

int cancel(const Arguments& args, const SlurmAccess& slurm) {
  CommonFlags flags;
  if (!parse_common(args, "mljob cancel JOB_ID", true, flags)) return kExitOk;
  JobStore store = JobStore::from_environment();
  // Read, decide and write as one step, as update and `study resume` do: a resume that saved
  // its new controller's ID meanwhile would otherwise be overwritten with the old one.
  JobStore::Lock lock = store.lock(flags.job_id);
  JobRecord record = load_or_fail(store, flags.job_id);
  std::string state = study::job_resources({record}, slurm).front()["state"];
  if (is_final_state(state)) {
    // Idempotent: a finished job stays as it ended. A study whose controller ended may still
    // have trials in Slurm, left for `mljob study resume`: cancelling the study ends them.
    if (int trials = study::cancel_trials_of_absent_controller(record, store, slurm); trials > 0) {
      std::cerr << "Study [" << flags.job_id << "] had already ended (" << state << "); cancelled its " << trials
                << " trial(s) still in Slurm.\n";
      return kExitOk;
    }
    std::cerr << "Job [" << flags.job_id << "] has already ended (" << state << "); nothing to cancel.\n";
    return kExitOk;
  }
  record.cancel_requested = true;
  store.save(record);  // first, so describe says CANCELLING from now on
  slurm.cancel(record.slurm_job_id);
  study::cancel_trials_of_absent_controller(record, store, slurm);
  std::cerr << "Cancelled job [" << flags.job_id << "].\n";
  return kExitOk;
}

}  // namespace mljob::bridge
