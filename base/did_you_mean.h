// "did you mean 'scaleTier'?": the hint every unknown-field error gives.
#pragma once

#include <string>
#include <vector>

namespace mljob {

// The closest of `candidates` to `word` (case-insensitive edit distance) if it is close enough
// to be a likely typo; "" otherwise.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace mljob
