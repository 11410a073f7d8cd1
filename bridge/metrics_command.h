// mljob metrics JOB_ID: the records the collector extracted (metrics.db), paged, as a table,
// JSON, CSV, or drawn (--plot FILE.svg|.html).
#pragma once

#include "bridge/command.h"

namespace mljob::bridge {

int metrics_command(const Arguments& args);

}  // namespace mljob::bridge
