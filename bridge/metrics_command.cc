// mljob metrics JOB_ID: what mljob-collect stored beside the job (JOB_FOLDER/metrics.db), paged
// as FfDL's training-data service pages it: --pos N (negative counts from the end), --limit N,
// --since TIME; by --group, as JSON, CSV or a table, or drawn with --plot FILE.svg|.html.
#include <boost/program_options.hpp>

#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <thread>

#include "base/input_error.h"
#include "bridge/command_line.h"
#include "bridge/metrics_command.h"
#include "bridge/output_format.h"
#include "bridge/record_paging.h"
#include "core/job_state.h"
#include "jobs/job_view.h"
#include "jobs/metrics_view.h"
#include "metrics/metrics_store.h"
#include "report/plot.h"

namespace mljob::bridge {
namespace {

namespace fs = std::filesystem;
namespace po = boost::program_options;
using metrics::EMetrics;
using metrics::MetricsDb;
using metrics::RecordQuery;

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

// Prints records as they come, so that a job's millions of records never sit in memory at once
// (the JSON is the array nlohmann's dump(2) writes, an element at a time).
class MetricsPrinter {
 public:
  explicit MetricsPrinter(std::string format) : format_(std::move(format)) {
    if (format_ == "csv") std::cout << "rindex,time,subid,grouplabel,step,metric,value\n";
    if (format_ == "table") {
      std::printf("%-8s %-24s %-7s %-12s %-22s %s\n", "RINDEX", "TIME", "REPLICA", "GROUP", "ETIMES", "VALUES");
    }
  }

  void print(const EMetrics& r) {
    if (format_ == "json") {
      nlohmann::json element{{"meta", meta_json(r.meta)},
                             {"grouplabel", r.grouplabel},
                             {"etimes", typed_map_json(r.etimes)},
                             {"values", typed_map_json(r.values)}};
      std::string text = element.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
      std::cout << (printed_ == 0 ? "[\n  " : ",\n  ");
      std::size_t start = 0;
      for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
        std::cout.write(text.data() + start, static_cast<std::streamsize>(end - start + 1)) << "  ";
      }
      std::cout.write(text.data() + start, static_cast<std::streamsize>(text.size() - start));
    } else if (format_ == "csv") {
      auto step = metrics::record_step(r);
      for (const auto& [name, value] : r.values) {
        std::cout << r.meta.rindex << "," << jobs::rfc3339_ms(r.meta.time_ms) << "," << csv_field(r.meta.subid) << ","
                  << csv_field(r.grouplabel) << "," << (step ? std::to_string(static_cast<long long>(*step)) : "")
                  << "," << csv_field(name) << "," << csv_field(value.text) << "\n";
      }
    } else {
      std::printf("%-8lld %-24s %-7s %-12s %-22s %s\n", static_cast<long long>(r.meta.rindex),
                  jobs::rfc3339_ms(r.meta.time_ms).c_str(), r.meta.subid.c_str(), r.grouplabel.c_str(),
                  values_text(r.etimes).c_str(), values_text(r.values).c_str());
    }
    ++printed_;
  }

  void finish() {
    if (format_ == "json") std::cout << (printed_ == 0 ? "[]\n" : "\n]\n");
    std::cout << std::flush;
  }

 private:
  std::string format_;
  std::size_t printed_ = 0;
};

}  // namespace

int metrics_command(const Arguments& args) {
  PagingFlags flags;
  flags.format = "table";
  std::string group, plot;
  po::options_description options(
      "mljob metrics JOB_ID [--group G] [--since TIME] [--pos N] [--limit N] [--format json|csv|table] [--plot "
      "FILE.svg|.html]");
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
  if (!db) std::cerr << "mljob: no metrics collected for " << flags.job_id << " (yet)\n";
  if (plot.empty()) {
    MetricsPrinter printer(flags.format);
    if (db) {
      db->for_each_metric(query, [&](const EMetrics& r) {
        printer.print(r);
        return true;
      });
    }
    printer.finish();
    return kExitOk;
  }
  std::vector<EMetrics> records = db ? db->metrics(query) : std::vector<EMetrics>{};
  auto panels = report::panels_from_records(records);
  std::string title = "mljob job " + flags.job_id + (group.empty() ? "" : " (group " + group + ")");
  std::ofstream out(plot);
  out << (svg ? report::render_svg(panels, title) : report::render_html(panels, title));
  if (!out) throw std::runtime_error("cannot write " + plot);
  std::cerr << "Wrote " << plot << ": " << panels.size() << " metric(s) from " << records.size() << " record(s)\n";
  return kExitOk;
}

}  // namespace mljob::bridge
