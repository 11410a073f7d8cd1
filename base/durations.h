// Time spans as the API writes them: google.protobuf.Duration's JSON form ("7200s", "1.5s").
// Slurm's own time syntax is core/slurm_time.h.
#pragma once

#include <cstdint>
#include <string>

namespace mljob {

// "7200s" -> 7200. Fractions round up to a whole second. Throws InputError naming `field` when
// the text is not a positive duration in the API's form.
std::int64_t parse_api_duration(const std::string& text, const std::string& field);

}  // namespace mljob
