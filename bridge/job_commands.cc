// mljob describe / list / cancel: the Job resource in its own terms, state from accounting.
#include <unistd.h>

#include <boost/program_options.hpp>

#include <algorithm>
#include <iostream>
#include <sstream>

#include "bridge/cli.h"
#include "bridge/command_line.h"
#include "bridge/job_view.h"
#include "bridge/metrics_view.h"
#include "bridge/study_controller.h"
#include "bridge/study_views.h"
#include "core/job_filter.h"
#include "core/job_state.h"
#include "core/spec_parser.h"
#include "core/validation.h"
#include "base/input_error.h"

namespace mljob::cli {
namespace {

namespace po = boost::program_options;

struct CommonFlags {
  std::string job_id;
  std::string format = "yaml";
};

// Parses "JOB_ID [--format F]"; returns false after printing help.
// `more_formats`: formats this command offers beyond yaml, json and table.
bool parse_common(const Arguments& args, const std::string& usage, bool wants_job_id, CommonFlags& flags,
                  const std::vector<std::string>& more_formats = {}) {
  std::vector<std::string> formats = {"yaml", "json", "table"};
  formats.insert(formats.end(), more_formats.begin(), more_formats.end());
  po::options_description options(usage);
  options.add_options()("help,h", "show this help")(
      "format", po::value(&flags.format),
      more_formats.empty() ? "yaml (default), json or table" : "yaml (default), json, table, or sagemaker (a study in SageMaker's form)");
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

}  // namespace

int describe(const Arguments& args, const SlurmAccess& slurm) {
  CommonFlags flags;
  if (!parse_common(args, "mljob describe JOB_ID [--format yaml|json|table|sagemaker]", true, flags, {"sagemaker"})) return kExitOk;
  JobStore store = JobStore::from_environment();
  JobRecord record = load_or_fail(store, flags.job_id);
  nlohmann::json resource = job_resources({record}, slurm).front();
  add_metric_outputs(resource, record);  // finalMetric, FinalMetricDataList (bridge/metrics_view.h)
  if (flags.format == "sagemaker") {
    // A study as SageMaker's DescribeHyperParameterTuningJob shows it, in JSON.
    auto sagemaker = sagemaker_study_output(resource, record);
    if (!sagemaker) throw InputError("--format", "sagemaker", "is for tuning studies; " + flags.job_id + " is a single training job");
    std::cout << sagemaker->dump(2) << "\n";
    return kExitOk;
  }
  add_study_output(resource, record);    // a study's trials, best first (bridge/study_controller.h)
  if (flags.format == "table") print_job_table({resource});
  else print_formatted(resource, flags.format);
  if (flags.format == "yaml" && ::isatty(STDOUT_FILENO)) {
    if (std::string line = objective_sparkline(record); !line.empty()) std::cout << "# " << line << "\n";
  }
  return kExitOk;
}

int list(const Arguments& args, const SlurmAccess& slurm) {
  std::string format = "table", filter_text, page_token;
  int limit = 0, page_size = 0;
  po::options_description options("mljob list [--filter EXPR] [--limit N] [--page-size N] [--page-token T] [--format table|yaml|json]");
  options.add_options()("help,h", "show this help")("format", po::value(&format), "table (default), yaml or json")(
      "filter", po::value(&filter_text), "e.g. state=RUNNING AND labels.team=vision (=, != or : over state, jobId, labels.KEY)")(
      "limit", po::value(&limit), "list at most N jobs in all")(
      "page-size", po::value(&page_size), "jobs per page; the output then carries nextPageToken")(
      "page-token", po::value(&page_token), "the nextPageToken of the previous page");
  po::variables_map vm = parse_command_line(args, options, nullptr);
  if (vm.count("help")) {
    std::cout << options << "\n";
    return kExitOk;
  }
  require_format(format, {"table", "yaml", "json"});
  if (limit < 0) throw InputError("--limit", std::to_string(limit), "must not be negative");
  if (page_size < 0) throw InputError("--page-size", std::to_string(page_size), "must not be negative");
  // The token is the position of the page's first job in the sorted, filtered list.
  std::size_t first = 0;
  if (!page_token.empty()) {
    if (page_token.find_first_not_of("0123456789") != std::string::npos || page_token.size() > 9)
      throw InputError("--page-token", page_token, "is not a token that mljob list gave out");
    first = std::stoul(page_token);
  }
  JobFilter filter = JobFilter::parse(filter_text);

  JobStore store = JobStore::from_environment();
  std::vector<nlohmann::json> jobs;
  for (auto& job : job_resources(store.load_all(), slurm)) {
    if (filter.matches(job)) jobs.push_back(std::move(job));
  }
  std::stable_sort(jobs.begin(), jobs.end(), [](const auto& a, const auto& b) {
    return a.value("createTime", std::string()) > b.value("createTime", std::string());  // newest first
  });
  if (limit > 0 && jobs.size() > static_cast<std::size_t>(limit)) jobs.resize(limit);
  std::size_t end = page_size > 0 ? std::min(jobs.size(), first + page_size) : jobs.size();
  std::vector<nlohmann::json> page(jobs.begin() + std::min(first, jobs.size()), jobs.begin() + std::max(end, std::min(first, jobs.size())));
  std::string next_token = end < jobs.size() ? std::to_string(end) : "";

  if (format != "table") {
    // The API's ListJobsResponse: {jobs, nextPageToken}.
    nlohmann::json out = {{"jobs", page}};
    if (!next_token.empty()) out["nextPageToken"] = next_token;
    print_formatted(out, format);
    return kExitOk;
  }
  print_job_table(page);
  if (!next_token.empty()) std::cout << "nextPageToken: " << next_token << "\n";
  return kExitOk;
}

int update(const Arguments& args) {
  std::string job_id, update_labels, remove_labels, etag;
  po::options_description options("mljob update JOB_ID [--update-labels K=V,...] [--remove-labels K,...] [--etag E]");
  options.add_options()("help,h", "show this help")("update-labels", po::value(&update_labels), "labels to add or change")(
      "remove-labels", po::value(&remove_labels), "label keys to remove")(
      "etag", po::value(&etag), "refuse the update unless the job is still at this etag (from describe)");
  po::variables_map vm = parse_command_line(args, options, &job_id);
  if (vm.count("help")) {
    std::cout << options << "\n";
    return kExitOk;
  }
  if (job_id.empty()) throw InputError("JOB_ID", "", "is required");
  if (update_labels.empty() && remove_labels.empty())
    throw InputError("--update-labels", "", "give --update-labels or --remove-labels (nothing to update)");

  JobStore store = JobStore::from_environment();
  JobStore::Lock lock = store.lock(job_id);  // read, compare and write as one step
  JobRecord record = load_or_fail(store, job_id);
  std::string current = job_etag(record.job);
  if (!etag.empty() && etag != current) {
    throw InputError("--etag", etag, "is stale: the job changed since it was read (its etag is now " + current +
                                        "); describe it again and retry");
  }
  nlohmann::json& labels = record.job["labels"];
  if (!labels.is_object()) labels = nlohmann::json::object();
  std::istringstream removals(remove_labels);
  for (std::string key; std::getline(removals, key, ',');) labels.erase(key);
  std::istringstream updates(update_labels);
  for (std::string item; std::getline(updates, item, ',');) {
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) throw InputError("--update-labels", update_labels, "must be KEY=VALUE,...");
    labels[item.substr(0, eq)] = item.substr(eq + 1);
  }
  if (labels.empty()) record.job.erase("labels");
  validate_job(parse_job_spec(record.job.dump(), "the updated job"));  // label rules, as at submit
  store.save(record);
  print_formatted({{"jobId", job_id}, {"labels", record.job.value("labels", nlohmann::json::object())},
                   {"etag", job_etag(record.job)}}, "yaml");
  return kExitOk;
}

int cancel(const Arguments& args, const SlurmAccess& slurm) {
  CommonFlags flags;
  if (!parse_common(args, "mljob cancel JOB_ID", true, flags)) return kExitOk;
  JobStore store = JobStore::from_environment();
  // Read, decide and write as one step, as update and `study resume` do: a resume that saved
  // its new controller's ID meanwhile would otherwise be overwritten with the old one.
  JobStore::Lock lock = store.lock(flags.job_id);
  JobRecord record = load_or_fail(store, flags.job_id);
  std::string state = job_resources({record}, slurm).front()["state"];
  if (is_final_state(state)) {
    // Idempotent: a finished job stays as it ended. A study whose controller ended may still
    // have trials in Slurm, left for `mljob study resume`: cancelling the study ends them.
    if (int trials = cancel_trials_of_absent_controller(record, store, slurm); trials > 0) {
      std::cerr << "Study [" << flags.job_id << "] had already ended (" << state << "); cancelled its " << trials
                << " trial(s) still in Slurm.\n";
      return kExitOk;
    }
    std::cerr << "Job [" << flags.job_id << "] has already ended (" << state << "); nothing to cancel.\n";
    return kExitOk;
  }
  record.cancel_requested = true;
  store.save(record);  // first, so describe says CANCELLING from now on
  slurm.cancel(record.slurm_job_id);
  cancel_trials_of_absent_controller(record, store, slurm);
  std::cerr << "Cancelled job [" << flags.job_id << "].\n";
  return kExitOk;
}

}  // namespace mljob::cli
