// Slurm's time-limit syntax ("90", "1:30:00", "2-00:00:00"): read from a partition's MaxTime,
// written for sbatch --time. The API's own durations ("7200s") are base/durations.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace mljob {

// Slurm's time syntax (sbatch --time, a partition's MaxTime): "minutes", "minutes:seconds",
// "hours:minutes:seconds", "days-hours", "days-hours:minutes", "days-hours:minutes:seconds".
// Returns nullopt for "UNLIMITED" / "INFINITE"; throws std::invalid_argument on anything else.
std::optional<std::int64_t> parse_slurm_time(const std::string& text);

// Seconds as a Slurm time limit, "D-HH:MM:SS". Slurm enforces limits in whole minutes, so the
// value is rounded up to the next minute: a limit never ends a job earlier than asked.
std::string slurm_time_limit(std::int64_t seconds);

}  // namespace mljob
