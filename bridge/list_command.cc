#include "bridge/list_command.h"

#include <boost/program_options.hpp>

#include <algorithm>
#include <iostream>

#include "base/input_error.h"
#include "bridge/command_line.h"
#include "bridge/job_flags.h"
#include "bridge/output_format.h"
#include "core/job_filter.h"
#include "core/job_store.h"
#include "jobs/sagemaker_view.h"
#include "study/study_resources.h"

namespace mljob::bridge {

namespace po = boost::program_options;

namespace {

void require_one_of(const std::string& flag, const std::string& value, const std::vector<std::string>& allowed) {
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  throw InputError(flag, value, "must be one of " + list);
}

// `mljob list --study NAME`: SageMaker's ListTrainingJobsForHyperParameterTuningJob, in JSON.
int list_study_training_jobs(const std::string& study_id, const tuner::TrainingJobQuery& query,
                             const po::variables_map& vm) {
  for (const char* not_for_a_study : {"filter", "limit", "page-size", "page-token"}) {
    if (vm.count(not_for_a_study))
      throw InputError(std::string("--") + not_for_a_study, "", "is not offered with --study");
  }
  if (!query.status_equals.empty())
    require_one_of("--status-equals", query.status_equals,
                   {"InProgress", "Completed", "Failed", "Stopping", "Stopped"});
  require_one_of("--sort-by", query.sort_by, {"Name", "CreationTime", "Status", "FinalObjectiveMetricValue"});
  require_one_of("--sort-order", query.sort_order, {"Ascending", "Descending"});
  JobRecord record = load_or_fail(JobStore::from_environment(), study_id);
  auto answer = study::sagemaker_study_training_jobs(record, query);
  if (!answer) throw InputError("--study", study_id, "is not one of your tuning studies");
  std::cout << answer->dump(2) << "\n";
  return kExitOk;
}

}  // namespace

int list(const Arguments& args, const SlurmAccess& slurm) {
  std::string format = "table", filter_text, page_token;
  int limit = 0, page_size = 0;
  po::options_description options(
      "mljob list [--filter EXPR] [--limit N] [--page-size N] [--page-token T] [--format table|yaml|json|sagemaker]");
  options.add_options()("help,h", "show this help")(
      "format", po::value(&format),
      "table (default), yaml, json, or sagemaker (ListTrainingJobs' answer: the jobs submitted with `mljob submit "
      "sagemaker`)")("filter", po::value(&filter_text),
                     "e.g. state=RUNNING AND labels.team=vision (=, != or : over state, jobId, labels.KEY)")(
      "limit", po::value(&limit), "list at most N jobs in all")("page-size", po::value(&page_size),
                                                                "jobs per page; the output then carries nextPageToken")(
      "page-token", po::value(&page_token), "the nextPageToken of the previous page");
  std::string study_id;
  tuner::TrainingJobQuery query;
  po::options_description study_options("A study's trials (ListTrainingJobsForHyperParameterTuningJob)");
  study_options.add_options()("study", po::value(&study_id), "the tuning study whose training jobs to list, as JSON")(
      "status-equals", po::value(&query.status_equals), "InProgress, Completed, Failed, Stopping or Stopped")(
      "sort-by", po::value(&query.sort_by), "Name, CreationTime (default), Status or FinalObjectiveMetricValue")(
      "sort-order", po::value(&query.sort_order), "Ascending or Descending (default)");
  options.add(study_options);
  po::variables_map vm = parse_command_line(args, options, nullptr);
  if (vm.count("help")) {
    std::cout << options << "\n";
    return kExitOk;
  }
  if (!study_id.empty()) return list_study_training_jobs(study_id, query, vm);
  for (const char* only_with_study : {"status-equals", "sort-by", "sort-order"}) {
    if (vm.count(only_with_study))
      throw InputError(std::string("--") + only_with_study, vm[only_with_study].as<std::string>(),
                       "is for a study's training jobs: give --study NAME");
  }
  require_format(format, {"table", "yaml", "json", "sagemaker"});
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
  std::vector<JobRecord> records = store.load_all();
  if (format == "sagemaker") std::erase_if(records, [](const JobRecord& r) { return !jobs::is_sagemaker_job(r); });
  std::map<std::string, const JobRecord*> record_of;
  for (const auto& record : records) record_of[record.job.value("jobId", "")] = &record;
  std::vector<nlohmann::json> jobs;
  for (auto& job : study::job_resources(records, slurm)) {
    if (filter.matches(job)) jobs.push_back(std::move(job));
  }
  std::stable_sort(jobs.begin(), jobs.end(), [](const auto& a, const auto& b) {
    return a.value("createTime", std::string()) > b.value("createTime", std::string());  // newest first
  });
  if (limit > 0 && jobs.size() > static_cast<std::size_t>(limit)) jobs.resize(limit);
  std::size_t end = page_size > 0 ? std::min(jobs.size(), first + page_size) : jobs.size();
  std::vector<nlohmann::json> page(jobs.begin() + std::min(first, jobs.size()),
                                   jobs.begin() + std::max(end, std::min(first, jobs.size())));
  std::string next_token = end < jobs.size() ? std::to_string(end) : "";

  if (format == "sagemaker") {
    // ListTrainingJobsResponse: {TrainingJobSummaries, NextToken}.
    nlohmann::ordered_json out = {{"TrainingJobSummaries", nlohmann::ordered_json::array()}};
    for (const auto& job : page)
      out["TrainingJobSummaries"].push_back(jobs::training_job_summary(job, *record_of.at(job.value("jobId", ""))));
    if (!next_token.empty()) out["NextToken"] = next_token;
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
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

}  // namespace mljob::bridge
