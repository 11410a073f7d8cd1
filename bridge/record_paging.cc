#include "bridge/record_paging.h"

#include <cstdio>
#include <ctime>
#include <filesystem>

#include "base/input_error.h"

namespace mljob::bridge {

namespace fs = std::filesystem;
namespace po = boost::program_options;
using metrics::MetricsDb;
using metrics::RecordQuery;

std::int64_t parse_time_ms(const std::string& text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) return std::stoll(text) * 1000;
  std::tm parts{};
  const char* rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &parts);
  if (!rest)
    throw InputError("--since", text, "must be an RFC 3339 time (2024-05-01T12:00:00Z) or seconds since the epoch");
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

void add_paging(po::options_description& options, PagingFlags& flags) {
  options.add_options()("help,h", "show this help")("since", po::value(&flags.since),
                                                    "records collected at or after TIME (RFC 3339 or epoch seconds)")(
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
  for (const auto& [key, value] : values)
    out[key] = {{"type", metrics::value_type_name(value.type)}, {"value", value.text}};
  return out;
}

nlohmann::json meta_json(const metrics::Meta& meta) {
  return {{"training_id", meta.training_id},
          {"user_id", meta.user_id},
          {"time", meta.time_ms},
          {"rindex", meta.rindex},
          {"subid", meta.subid}};
}

}  // namespace mljob::bridge
