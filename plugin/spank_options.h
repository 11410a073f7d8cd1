// The plugin's SPANK options (--ml-roles, --ml-port, --ml-env, --ml-chief, --ml-bind): the
// one table that sbatch, salloc and srun parse them with (checked there by client_side.h's
// callback) and that slurmstepd reads them back from. Module only (spank_mljob.so).
#pragma once

extern "C" {
#include <slurm/spank.h>
}

#include "options.h"

namespace mljob::plugin {

// The `val` Slurm hands back to the option callback: which option was given.
enum OptionId : int { kRolesOption = 1, kPortOption, kEnvOption, kChiefOption, kBindOption };

// Registers every option (spank_option_register): sbatch and salloc only see options
// registered in slurm_spank_init, not a static spank_options table. Returns false, the
// failure logged, when Slurm refuses one.
bool register_options(spank_t spank) noexcept;

// The options as slurmstepd received them with the step's launch request, whether they
// were given to srun or to sbatch (README: How sbatch's options reach the steps). Throws
// std::runtime_error naming the option when Slurm cannot say.
OptionValues options_of_step(spank_t spank);

}  // namespace mljob::plugin
