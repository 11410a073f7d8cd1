// The ask/tell interface of the tuner as a command, kept in a function so that `mljob study`
// can call it as well as the stand-alone `mljob-study`:
//   init  STUDY --spec FILE [--seed N]      a study file from a HyperparameterSpec (JSON/YAML)
//   ask   STUDY [--count N]                 new trials as JSON lines (at most the free slots)
//   tell  STUDY --trial ID --value V [--step S] | --trial ID --failed [--reason R]
//         STUDY  (no --trial: JSON lines of results on stdin, as `serve` reads them)
//   report STUDY --trial ID --step S --value V   an intermediate value; prints shouldStop
//   show  STUDY                             TrainingOutput, best trial first
//   serve --spec FILE [--seed N] [--study FILE]  a spec in, JSON lines of results on stdin,
//         suggestions (and stop decisions) out as JSON lines; see tuner/README.md.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace mljob::tuner {

// `args` start with the subcommand. Returns the exit status: 0 done, 1 failure of the system
// (a file that cannot be written), 2 bad input (nothing changed). Errors go to `err`.
int run_study_command(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace mljob::tuner
