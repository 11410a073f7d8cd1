// mljob describe / list / cancel: the Job resource in its own terms, state from accounting.
#include <boost/program_options.hpp>

#include <algorithm>
#include <iostream>

#include "bridge/cli.h"
#include "bridge/job_view.h"
#include "core/job_state.h"
#include "core/spec_error.h"

namespace mljob::cli {
namespace {

namespace po = boost::program_options;

struct CommonFlags {
  std::string job_id;
  std::string format = "yaml";
  int limit = 0;
};

// Parses "[JOB_ID] [--format F] [--limit N]"; returns false after printing help.
bool parse_common(const Arguments& args, const std::string& usage, bool wants_job_id, bool wants_limit,
                  CommonFlags& flags) {
  po::options_description options(usage);
  options.add_options()("help,h", "show this help")("format", po::value(&flags.format), "yaml (default) or json");
  if (wants_limit) options.add_options()("limit", po::value(&flags.limit), "list at most N jobs, newest first");
  po::options_description all;
  all.add(options);
  po::positional_options_description positional;
  if (wants_job_id) {
    all.add_options()("job-id", po::value(&flags.job_id));
    positional.add("job-id", 1);
  }
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw SpecError("command line", "", e.what());
  }
  if (vm.count("help")) {
    std::cout << options << "\n";
    return false;
  }
  if (wants_job_id && flags.job_id.empty()) throw SpecError("JOB_ID", "", "is required");
  if (flags.format != "yaml" && flags.format != "json") throw SpecError("--format", flags.format, "must be yaml or json");
  if (flags.limit < 0) throw SpecError("--limit", std::to_string(flags.limit), "must not be negative");
  return true;
}

JobRecord load_or_fail(const JobStore& store, const std::string& job_id) {
  auto record = store.load(job_id);
  if (!record) throw SpecError("JOB_ID", job_id, "no such job among yours (in " + store.root().string() + ")");
  return *record;
}

}  // namespace

int describe(const Arguments& args) {
  CommonFlags flags;
  if (!parse_common(args, "mljob describe JOB_ID [--format yaml|json]", true, false, flags)) return kExitOk;
  JobStore store = JobStore::from_environment();
  JobRecord record = load_or_fail(store, flags.job_id);
  print_formatted(job_resources({record}, SlurmClient{}).front(), flags.format);
  return kExitOk;
}

int list(const Arguments& args) {
  CommonFlags flags;
  if (!parse_common(args, "mljob list [--format yaml|json] [--limit N]", false, true, flags)) return kExitOk;
  JobStore store = JobStore::from_environment();
  auto resources = job_resources(store.load_all(), SlurmClient{});
  std::stable_sort(resources.begin(), resources.end(), [](const auto& a, const auto& b) {
    return a.value("createTime", std::string()) > b.value("createTime", std::string());  // newest first
  });
  if (flags.limit > 0 && resources.size() > static_cast<std::size_t>(flags.limit)) resources.resize(flags.limit);
  if (flags.format == "json") {
    print_formatted(nlohmann::json{{"jobs", resources}}, "json");
    return kExitOk;
  }
  std::printf("%-40s %-12s %-22s\n", "JOB_ID", "STATUS", "CREATED");
  for (const auto& job : resources) {
    std::printf("%-40s %-12s %-22s\n", job.value("jobId", "").c_str(), job.value("state", "").c_str(),
                job.value("createTime", "").c_str());
  }
  return kExitOk;
}

int cancel(const Arguments& args) {
  CommonFlags flags;
  if (!parse_common(args, "mljob cancel JOB_ID", true, false, flags)) return kExitOk;
  JobStore store = JobStore::from_environment();
  JobRecord record = load_or_fail(store, flags.job_id);
  SlurmClient slurm;
  std::string state = job_resources({record}, slurm).front()["state"];
  if (is_final_state(state)) {
    // Idempotent: a finished job stays as it ended.
    std::cerr << "Job [" << flags.job_id << "] has already ended (" << state << "); nothing to cancel.\n";
    return kExitOk;
  }
  record.cancel_requested = true;
  store.save(record);  // first, so describe says CANCELLING from now on
  slurm.cancel(record.slurm_job_id);
  std::cerr << "Cancelled job [" << flags.job_id << "].\n";
  return kExitOk;
}

}  // namespace mljob::cli
