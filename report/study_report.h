// A study drawn for people to look at rather than read (`mljob report STUDY --html FILE`): the
// objective of every trial in the order they ran with the best so far, and each parameter
// against the objective; then the trials, best first, as a table. Pure: a Study in, HTML out.
#pragma once

#include <string>
#include <vector>

#include "report/plot.h"
#include "tuner/study.h"

namespace mljob::report {

// The panels: "objective per trial" (trials that ran to their end, trials stopped early, the
// best so far as a line), then one "<parameter> against the objective" panel per parameter
// (categorical values as named columns; log-scaled parameters on a log axis).
std::vector<Panel> study_panels(const tuner::Study& study);

std::string render_study_report(const tuner::Study& study, const std::string& title);

}  // namespace mljob::report
