#include "bridge/command_line.h"

#include "base/input_error.h"
#include "base/text.h"

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

void check_arguments_are_text(const Arguments& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (!is_valid_utf8(args[i])) {
      throw InputError("argument " + std::to_string(i + 1), "(not shown)",
                       "is not valid UTF-8 text (a job's record holds only UTF-8)");
    }
  }
}

}  // namespace mljob::bridge
