#include "bridge/job_flags.h"

#include <boost/program_options.hpp>

#include <iostream>

#include "base/input_error.h"
#include "bridge/command_line.h"
#include "bridge/output_format.h"

namespace mljob::bridge {

namespace po = boost::program_options;

bool parse_common(const Arguments& args, const std::string& usage, bool wants_job_id, CommonFlags& flags,
                  const std::vector<std::string>& more_formats) {
  std::vector<std::string> formats = {"yaml", "json", "table"};
  formats.insert(formats.end(), more_formats.begin(), more_formats.end());
  po::options_description options(usage);
  options.add_options()("help,h", "show this help")(
      "format", po::value(&flags.format),
      more_formats.empty() ? "yaml (default), json or table"
                           : "yaml (default), json, table, or sagemaker (a study in SageMaker's form)");
  po::variables_map vm = parse_command_line(args, options, wants_job_id ? &flags.job_id : nullptr);
  if (vm.count("help")) {
    std::cout << options << "\n";
    return false;
  }
  if (wants_job_id && flags.job_id.empty()) throw InputError("JOB_ID", "", "is required");
  require_format(flags.format, formats);
  return true;
}

JobRecord load_or_fail(const JobStore& store, const std::string& job_id) {
  auto record = store.load(job_id);
  if (!record) throw InputError("JOB_ID", job_id, "no such job among yours (in " + store.root().string() + ")");
  return *record;
}

}  // namespace mljob::bridge
