// slurmctld asked in-process through libslurm (the library squeue itself is built on), which
// saves running squeue for every describe. libslurm is loaded with dlopen the first time it is
// needed, not linked: linked, it would be mapped and relocated at the start of every mljob
// command (docs/benchmarks.md). This file talks to Slurm; what the answer means is
// core/accounting.h's (QueuedJob, QueueSelection), which is pure.
#pragma once

#include <optional>
#include <vector>

#include "core/accounting.h"

namespace mljob {

// The jobs slurmctld holds that `selection` takes: one slurm_load_job call when the selection
// is one job, else one slurm_load_jobs call. nullopt when libslurm cannot answer (not
// installed, a different Slurm release than mljob was built for, no slurm.conf to be found, or
// the call failed for any reason but an unknown job ID or an unreachable slurmctld): the
// caller then asks squeue, which says what is wrong in Slurm's own words. Throws SlurmError
// when slurmctld cannot be reached (after libslurm's own retries), rather than have squeue
// wait as long again.
std::optional<std::vector<QueuedJob>> load_queued_jobs(const QueueSelection& selection);

// Loads and starts libslurm now if it can be used (load_queued_jobs does it the first time
// otherwise). Starting, libslurm sets SLURM_CONF in the environment (setenv), which another
// thread reading the environment (to spawn a process) must not meet: call this before
// starting such threads.
void prepare_slurm_library();

}  // namespace mljob
