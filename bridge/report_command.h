// mljob report STUDY_JOB_ID --html FILE: the study drawn (report/study_report.h).
#pragma once

#include "bridge/command.h"

namespace mljob::bridge {

int report_study(const Arguments& args);

}  // namespace mljob::bridge
