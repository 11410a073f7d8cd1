// mljob metrics JOB_ID and mljob logs JOB_ID: what mljob-collect stored beside the job
// (JOB_FOLDER/metrics.db), paged as FfDL's training-data service pages it: --pos N (negative
// counts from the end), --limit N, --since TIME; metrics by --group, as JSON, CSV or a table,
// or drawn with --plot FILE.svg|.html; logs with --follow until the job ends.
#include <boost/program_options.hpp>

#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <thread>

#include "bridge/cli.h"
#include "bridge/command_line.h"
#include "bridge/job_view.h"
#include "bridge/metrics_view.h"
#include "core/job_state.h"
#include "base/input_error.h"
#include "metrics/metrics_store.h"
#include "report/plot.h"

namespace mljob::cli {
namespace {

namespace fs = std::filesystem;
namespace po = boost::program_options;
using metrics::EMetrics;
using metrics::MetricsDb;
using metrics::RecordQuery;

// RFC 3339 ("2024-05-01T12:00:00Z", fractions and offsets allowed) or seconds since the epoch.
std::int64_t parse_time_ms(const std::string& text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) return std::stoll(text) * 1000;
  std::tm parts{};
  const char* rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &parts);
  if (!rest) throw InputError("--since", text, "must be an RFC 3339 time (2024-05-01T12:00:00Z) or seconds since the epoch");
  std::int64_t ms = static_cast<std::int64_t>(timegm(&parts)) * 1000;
  if (*rest == '.') {
    double fraction = std::strtod(rest, const_cast<char**>(&rest));
    ms += static_cast<std::int64_t>(fraction * 1000);
  }
  if (*rest == 'Z' || *rest == 'z') return ms;
  int hours = 0, minutes = 0;
  char sign = 0;
  if (std::sscanf(rest, "%c%2d:%2d", &sign, &hours, &minutes) == 3 && (sign == '+' || sign == '-')) {
    return ms - (sign == '+' ? 1 : -1) * (hours * 3600 + minutes * 60) * 1000LL;
  }
  throw InputError("--since", text, "needs a time zone: Z or an offset such as +02:00");
}

struct PagingFlags {
  std::string job_id, since, format;
  std::optional<std::int64_t> pos, limit;
};

void add_paging(po::options_description& options, PagingFlags& flags) {
  options.add_options()("help,h", "show this help")("since", po::value(&flags.since), "records collected at or after TIME (RFC 3339 or epoch seconds)")(
      "pos", po::value<std::int64_t>(), "start at position N of the selection (negative: from its end)")(
      "limit", po::value<std::int64_t>(), "at most N records");
}

RecordQuery query_from(const po::variables_map& vm, const PagingFlags& flags) {
  RecordQuery query;
  if (vm.count("pos")) query.pos = vm["pos"].as<std::int64_t>();
  if (vm.count("limit")) {
    query.limit = vm["limit"].as<std::int64_t>();
    if (*query.limit < 0) throw InputError("--limit", std::to_string(*query.limit), "must not be negative");
  }
  if (!flags.since.empty()) query.since_ms = parse_time_ms(flags.since);
  return query;
}

JobRecord load_job(const std::string& job_id) {
  if (job_id.empty()) throw InputError("JOB_ID", "", "is required");
  JobStore store = JobStore::from_environment();
  auto record = store.load(job_id);
  if (!record) throw InputError("JOB_ID", job_id, "no such job among yours (in " + store.root().string() + ")");
  return *record;
}

std::unique_ptr<MetricsDb> open_db(const JobRecord& record) {
  fs::path file = metrics::metrics_db_path(record.folder);
  if (!fs::exists(file)) return nullptr;
  return std::make_unique<MetricsDb>(file, false);
}

nlohmann::json typed_map_json(const std::map<std::string, metrics::TypedValue>& values) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, value] : values) out[key] = {{"type", metrics::value_type_name(value.type)}, {"value", value.text}};
  return out;
}

nlohmann::json meta_json(const metrics::Meta& meta) {
  return {{"training_id", meta.training_id}, {"user_id", meta.user_id}, {"time", meta.time_ms}, {"rindex", meta.rindex},
          {"subid", meta.subid}};
}

std::string values_text(const std::map<std::string, metrics::TypedValue>& values) {
  std::string out;
  for (const auto& [key, value] : values) out += (out.empty() ? "" : " ") + key + "=" + value.text;
  return out;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void print_metrics(const std::vector<EMetrics>& records, const std::string& format) {
  if (format == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : records) {
      out.push_back({{"meta", meta_json(r.meta)}, {"grouplabel", r.grouplabel}, {"etimes", typed_map_json(r.etimes)},
                     {"values", typed_map_json(r.values)}});
    }
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else if (format == "csv") {
    std::cout << "rindex,time,subid,grouplabel,step,metric,value\n";
    for (const auto& r : records) {
      auto step = metrics::record_step(r);
      for (const auto& [name, value] : r.values) {
        std::cout << r.meta.rindex << "," << rfc3339_ms(r.meta.time_ms) << "," << csv_field(r.meta.subid) << ","
                  << csv_field(r.grouplabel) << "," << (step ? std::to_string(static_cast<long long>(*step)) : "") << ","
                  << csv_field(name) << "," << csv_field(value.text) << "\n";
      }
    }
  } else {
    std::printf("%-8s %-24s %-7s %-12s %-22s %s\n", "RINDEX", "TIME", "REPLICA", "GROUP", "ETIMES", "VALUES");
    for (const auto& r : records) {
      std::printf("%-8lld %-24s %-7s %-12s %-22s %s\n", static_cast<long long>(r.meta.rindex), rfc3339_ms(r.meta.time_ms).c_str(),
                  r.meta.subid.c_str(), r.grouplabel.c_str(), values_text(r.etimes).c_str(), values_text(r.values).c_str());
    }
  }
}

}  // namespace

int metrics_command(const Arguments& args) {
  PagingFlags flags;
  flags.format = "table";
  std::string group, plot;
  po::options_description options(
      "mljob metrics JOB_ID [--group G] [--since TIME] [--pos N] [--limit N] [--format json|csv|table] [--plot FILE.svg|.html]");
  add_paging(options, flags);
  options.add_options()("group", po::value(&group), "only this group (e.g. train, test)")(
      "format", po::value(&flags.format), "table (default), json or csv")(
      "plot", po::value(&plot), "draw each metric's curves, one per group, into FILE (.svg or .html)");
  po::variables_map vm = parse_command_line(args, options, &flags.job_id);
  if (vm.count("help")) {
    std::cout << options << "\n";
    return kExitOk;
  }
  if (flags.format != "table" && flags.format != "json" && flags.format != "csv") {
    throw InputError("--format", flags.format, "must be table, json or csv");
  }
  bool svg = plot.ends_with(".svg"), html = plot.ends_with(".html") || plot.ends_with(".htm");
  if (!plot.empty() && !svg && !html) throw InputError("--plot", plot, "must name a .svg or .html file");
  RecordQuery query = query_from(vm, flags);
  query.group = group;
  JobRecord record = load_job(flags.job_id);
  auto db = open_db(record);
  std::vector<EMetrics> records = db ? db->metrics(query) : std::vector<EMetrics>{};
  if (!db) std::cerr << "mljob: no metrics collected for " << flags.job_id << " (yet)\n";
  if (plot.empty()) {
    print_metrics(records, flags.format);
    return kExitOk;
  }
  auto panels = report::panels_from_records(records);
  std::string title = "mljob job " + flags.job_id + (group.empty() ? "" : " (group " + group + ")");
  std::ofstream out(plot);
  out << (svg ? report::render_svg(panels, title) : report::render_html(panels, title));
  if (!out) throw std::runtime_error("cannot write " + plot);
  std::cerr << "Wrote " << plot << ": " << panels.size() << " metric(s) from " << records.size() << " record(s)\n";
  return kExitOk;
}

int logs_command(const Arguments& args, const SlurmAccess& slurm) {
  PagingFlags flags;
  flags.format = "text";
  std::string replica;
  bool follow = false;
  po::options_description options("mljob logs JOB_ID [--since TIME] [--pos N] [--limit N] [--replica RANK] [--follow] [--format text|json]");
  add_paging(options, flags);
  options.add_options()("replica", po::value(&replica), "only the lines of the replica of this task rank (0 is the master)")(
      "follow,f", po::bool_switch(&follow), "keep printing new lines until the job ends")(
      "format", po::value(&flags.format), "text (default) or json (LogLine records)");
  po::variables_map vm = parse_command_line(args, options, &flags.job_id);
  if (vm.count("help")) {
    std::cout << options << "\n";
    return kExitOk;
  }
  if (flags.format != "text" && flags.format != "json") throw InputError("--format", flags.format, "must be text or json");
  RecordQuery query = query_from(vm, flags);
  query.subid = replica;
  JobRecord record = load_job(flags.job_id);
  bool many = record.task_roles.size() > 1 && replica.empty();  // one replica asked for: no prefix
  auto print = [&](const std::vector<metrics::LogLineRecord>& lines) {
    for (const auto& line : lines) {
      if (flags.format == "json") {
        std::cout << nlohmann::json{{"meta", meta_json(line.meta)}, {"line", line.line}}.dump(-1, ' ', false,
                                                                                         nlohmann::json::error_handler_t::replace)
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
  for (;;) {
    bool ended = is_final_state(job_resources({record}, slurm).front()["state"].get<std::string>());
    RecordQuery newer;
    newer.subid = replica;
    newer.from_rindex = next;
    show(newer);
    if (ended) return kExitOk;  // read once more after the end was seen, then stop
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

}  // namespace mljob::cli
