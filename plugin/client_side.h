// The plugin in the client commands (sbatch, salloc, srun): refuse bad values where they
// are typed, so that a job that cannot run is never submitted. Module only.
#pragma once

#include "options.h"

namespace mljob::plugin {

// The callback of every option in spank_options.cc's table (spank_opt_cb_f). In the client
// commands (remote == 0) it checks the value and records it in the plugin's context; a
// refusal (-1, the reason logged) makes the command fail before anything is submitted. In
// slurmstepd (remote != 0) Slurm would only log a refusal and drop the option, silently:
// there the value is accepted here and checked in user_init, where a failure fails the
// step with our message. Never throws.
int on_client_option(int option_id, const char* argument, int remote) noexcept;

// init_post_opt: the options were checked one by one in on_client_option; here the MLJOB_*
// variables of the submitting environment are checked too, for the options not given, so
// that a bad MLJOB_ROLES fails the submission rather than the job. Throws
// std::invalid_argument with the reason.
void check_submission(const OptionValues& command_line);

}  // namespace mljob::plugin
