// Command-line parsing shared by every mljob command (Boost.Program_options).
#pragma once

#include <boost/program_options.hpp>

#include <string>

#include "bridge/command.h"

namespace mljob::bridge {

// Parses `args` against `flags` (a command's options, as --help shows them). With `job_id`,
// one positional argument is accepted and stored there. A malformed command line is a
// InputError (exit 2); whether the JOB_ID is required is left to the caller.
boost::program_options::variables_map parse_command_line(const Arguments& args,
                                                         const boost::program_options::options_description& flags,
                                                         std::string* job_id);

// Every argument must be UTF-8 text: a job's record is JSON, which holds nothing else, so an
// argument in another encoding is refused before anything is done (InputError naming it).
void check_arguments_are_text(const Arguments& args);

}  // namespace mljob::bridge
