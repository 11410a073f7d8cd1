// What mljob metrics and mljob logs share: paging flags over metrics.db's records (--since,
// --pos, --limit), the job's record, its metrics.db, and records' metadata as JSON.
#pragma once

#include <boost/program_options.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/job_store.h"
#include "metrics/metrics_store.h"

namespace mljob::bridge {

struct PagingFlags {
  std::string job_id, since, format;
  std::optional<std::int64_t> pos, limit;
};

// RFC 3339 ("2024-05-01T12:00:00Z", fractions and offsets allowed) or seconds since the epoch,
// as milliseconds since the epoch. InputError on --since otherwise.
std::int64_t parse_time_ms(const std::string& text);
void add_paging(boost::program_options::options_description& options, PagingFlags& flags);
metrics::RecordQuery query_from(const boost::program_options::variables_map& vm, const PagingFlags& flags);
// The user's record of JOB_ID; InputError when it is missing or unknown.
JobRecord load_job(const std::string& job_id);
// The job's metrics.db, or nullptr when the collector has written none yet.
std::unique_ptr<metrics::MetricsDb> open_db(const JobRecord& record);
nlohmann::json typed_map_json(const std::map<std::string, metrics::TypedValue>& values);
nlohmann::json meta_json(const metrics::Meta& meta);

}  // namespace mljob::bridge
