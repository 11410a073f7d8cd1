// What a user wrote that mljob accepts but does not act on, said once on stderr, so that nothing
// the user wrote is dropped without a word.
#pragma once

#include <iostream>
#include <string>

namespace mljob {

// A field mljob accepts (and keeps, for describe) but does not act on, and why.
struct IgnoredField {
  std::string field, value, why;
};

// "mljob: warning: FIELD: value 'VALUE': ignored: WHY" on `err`, once per process for each
// message: a spec is read several times on its way to Slurm (a study's trials too).
void warn_ignored(const IgnoredField& ignored, std::ostream& err = std::cerr);

}  // namespace mljob
