#include "bridge/update_command.h"

#include <boost/program_options.hpp>

#include <iostream>
#include <sstream>

#include "base/input_error.h"
#include "bridge/command_line.h"
#include "bridge/job_flags.h"
#include "bridge/output_format.h"
#include "core/job_filter.h"  // job_etag
#include "core/job_store.h"
#include "core/spec_parser.h"
#include "core/validation.h"

namespace mljob::bridge {

namespace po = boost::program_options;

int update(const Arguments& args) {
  std::string job_id, update_labels, remove_labels, etag;
  po::options_description options("mljob update JOB_ID [--update-labels K=V,...] [--remove-labels K,...] [--etag E]");
  options.add_options()("help,h", "show this help")(
      "update-labels", po::value(&update_labels), "labels to add or change")("remove-labels", po::value(&remove_labels),
                                                                             "label keys to remove")(
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
    throw InputError(
        "--etag", etag,
        "is stale: the job changed since it was read (its etag is now " + current + "); describe it again and retry");
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
  Job updated = parse_job_spec(record.job.dump(), "the updated job");
  // A SageMaker or FfDL job keeps its own door's rules (its name, no pythonModule).
  if (record.front_door.is_object()) {
    updated.launch.emplace();
    updated.launch->api = record.front_door.value("api", "");
  }
  validate_job(updated);  // label rules, as at submit
  store.save(record);
  print_formatted({{"jobId", job_id},
                   {"labels", record.job.value("labels", nlohmann::json::object())},
                   {"etag", job_etag(record.job)}},
                  "yaml");
  return kExitOk;
}

}  // namespace mljob::bridge
