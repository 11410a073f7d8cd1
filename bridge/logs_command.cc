#include "bridge/logs_command.h"

#include <boost/program_options.hpp>

#include <iostream>

#include "base/input_error.h"
#include "bridge/command_line.h"
#include "bridge/record_paging.h"
#include "jobs/job_waiting.h"

namespace mljob::bridge {

namespace po = boost::program_options;
using metrics::RecordQuery;

int logs_command(const Arguments& args, const SlurmAccess& slurm) {
  PagingFlags flags;
  flags.format = "text";
  std::string replica;
  bool follow = false;
  po::options_description options(
      "mljob logs JOB_ID [--since TIME] [--pos N] [--limit N] [--replica RANK] [--follow] [--format text|json]");
  add_paging(options, flags);
  options.add_options()("replica", po::value(&replica),
                        "only the lines of the replica of this task rank (0 is the master)")(
      "follow,f", po::bool_switch(&follow), "keep printing new lines until the job ends")(
      "format", po::value(&flags.format), "text (default) or json (LogLine records)");
  po::variables_map vm = parse_command_line(args, options, &flags.job_id);
  if (vm.count("help")) {
    std::cout << options << "\n";
    return kExitOk;
  }
  if (flags.format != "text" && flags.format != "json")
    throw InputError("--format", flags.format, "must be text or json");
  RecordQuery query = query_from(vm, flags);
  query.subid = replica;
  JobRecord record = load_job(flags.job_id);
  bool many = record.task_roles.size() > 1 && replica.empty();  // one replica asked for: no prefix
  auto print = [&](const std::vector<metrics::LogLineRecord>& lines) {
    for (const auto& line : lines) {
      if (flags.format == "json") {
        std::cout << nlohmann::json{{"meta", meta_json(line.meta)}, {"line", line.line}}.dump(
                         -1, ' ', false, nlohmann::json::error_handler_t::replace)
                  << "\n";
        continue;
      }
      std::string role;
      if (many && !line.meta.subid.empty()) {
        std::size_t rank = std::stoul(line.meta.subid);
        role = (rank < record.task_roles.size() ? record.task_roles[rank] : "task-" + line.meta.subid) + "| ";
      }
      std::cout << role << line.line << "\n";
    }
    std::cout << std::flush;
  };
  std::int64_t next = 0;
  auto show = [&](const RecordQuery& q) {
    auto db = open_db(record);
    if (!db) return;
    auto lines = db->log_lines(q);
    if (!lines.empty()) next = lines.back().meta.rindex + 1;
    print(lines);
  };
  show(query);
  if (!follow) return kExitOk;
  jobs::follow_until_ended(record, slurm, [&] {
    RecordQuery newer;
    newer.subid = replica;
    newer.from_rindex = next;
    show(newer);
  });
  return kExitOk;
}

}  // namespace mljob::bridge
