#include "bridge/command_line.h"

#include "base/input_error.h"

namespace mljob::bridge {

namespace po = boost::program_options;

po::variables_map parse_command_line(const Arguments& args, const po::options_description& flags, std::string* job_id) {
  po::options_description all;
  all.add(flags);
  po::positional_options_description positional;
  if (job_id) {
    all.add_options()("job-id", po::value(job_id));
    positional.add("job-id", 1);
  }
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw InputError("command line", "", e.what());
  }
  return vm;
}

}  // namespace mljob::bridge
