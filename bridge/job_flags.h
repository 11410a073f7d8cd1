// What describe, cancel and update share: "JOB_ID [--format F]" and the user's record of it.
#pragma once

#include <string>
#include <vector>

#include "bridge/command.h"
#include "core/job_store.h"

namespace mljob::bridge {

struct CommonFlags {
  std::string job_id;
  std::string format = "yaml";
};

// Parses "JOB_ID [--format F]"; returns false after printing help. `more_formats`: formats this
// command offers beyond yaml, json and table.
bool parse_common(const Arguments& args, const std::string& usage, bool wants_job_id, CommonFlags& flags,
                  const std::vector<std::string>& more_formats = {});

// The record of one of the user's jobs; InputError on JOB_ID when there is none.
JobRecord load_or_fail(const JobStore& store, const std::string& job_id);

}  // namespace mljob::bridge
