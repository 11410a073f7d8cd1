#include "jobs/metrics_view.h"

#include <iostream>

#include <filesystem>
#include <memory>
#include <optional>

#include "core/job_state.h"
#include "metrics/collector.h"
#include "report/plot.h"

namespace mljob::jobs {
namespace {

namespace fs = std::filesystem;
using metrics::MetricsDb;

std::unique_ptr<MetricsDb> open_db(const JobRecord& record) {
  fs::path file = metrics::metrics_db_path(record.folder);
  if (!fs::exists(file)) return nullptr;
  return std::make_unique<MetricsDb>(file, false);
}

nlohmann::json declarations(const JobRecord& record) {
  nlohmann::json stored = metrics::Collector::read_declarations(record.folder);
  return stored.is_object() ? stored : nlohmann::json::object();
}

std::string objective_name(const nlohmann::json& declared) {
  if (declared.contains("hyperparameterMetricTag")) return declared["hyperparameterMetricTag"].get<std::string>();
  if (declared.contains("MetricDefinitions") && declared["MetricDefinitions"].is_array() &&
      !declared["MetricDefinitions"].empty()) {
    return declared["MetricDefinitions"][0].value("Name", "");
  }
  return "loss";
}

// The master's (rank 0) values when it reported the metric, as a cloud job's chief does;
// else whichever replica did.
std::vector<metrics::EMetrics> latest(const MetricsDb& db, const std::string& name, std::int64_t last_n) {
  auto records = db.metrics_with_value(name, last_n, "0");
  return records.empty() ? db.metrics_with_value(name, last_n) : records;
}

// How many of the latest records the final metric is chosen among (see final_metric_record).
constexpr std::int64_t kFinalMetricWindow = 20;

// The record finalMetric comes from, among the latest records of the tag: the master's (rank
// "0") and the job's own (no rank: the hypertune file, which reports for the whole trial),
// else any replica's; of those the newest that carries a training step, else the newest. A
// trainer that writes the hypertune file (with global_step) and also prints "tag=value" gives
// two records per report, the printed one without a step: finalMetric.trainingStep must not
// read 0 because the print came last. The study controller's objective_values prefers stepped
// records the same way.
std::optional<metrics::EMetrics> final_metric_record(const std::vector<metrics::EMetrics>& oldest_first) {
  std::vector<metrics::EMetrics> candidates;
  for (const auto& record : oldest_first) {
    if (record.meta.subid == "0" || record.meta.subid.empty()) candidates.push_back(record);
  }
  if (candidates.empty()) candidates = oldest_first;
  for (auto it = candidates.rbegin(); it != candidates.rend(); ++it) {
    if (metrics::record_step(*it)) return *it;
  }
  if (candidates.empty()) return std::nullopt;
  return candidates.back();
}

}  // namespace

std::string rfc3339_ms(std::int64_t epoch_ms) {
  std::string seconds = rfc3339_utc(epoch_ms / 1000);  // ...Z
  char fraction[8];
  std::snprintf(fraction, sizeof fraction, ".%03lld", static_cast<long long>(epoch_ms % 1000));
  return seconds.substr(0, seconds.size() - 1) + fraction + "Z";
}

namespace {

void metric_outputs_from(nlohmann::json& resource, const JobRecord& record) {
  auto db = open_db(record);
  if (!db) return;
  nlohmann::json declared = declarations(record);
  if (declared.contains("hyperparameterMetricTag")) {
    std::string tag = declared["hyperparameterMetricTag"];
    resource["trainingOutput"]["hyperparameterMetricTag"] = tag;
    if (auto final_record = final_metric_record(db->metrics_with_value(tag, kFinalMetricWindow))) {
      auto value = metrics::parse_number(final_record->values.at(tag).text);
      auto step = metrics::record_step(*final_record);
      if (value) {
        resource["trainingOutput"]["finalMetric"] = {
            {"trainingStep", std::to_string(static_cast<long long>(step.value_or(0)))}, {"objectiveValue", *value}};
      }
    }
  }
  if (declared.contains("MetricDefinitions") && declared["MetricDefinitions"].is_array()) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& definition : declared["MetricDefinitions"]) {
      std::string name = definition.value("Name", "");
      auto last = latest(*db, name, 1);
      if (last.empty()) continue;
      auto value = metrics::parse_number(last[0].values.at(name).text);
      if (!value) continue;
      list.push_back({{"MetricName", name}, {"Value", *value}, {"Timestamp", rfc3339_ms(last[0].meta.time_ms)}});
    }
    resource["FinalMetricDataList"] = list;
  }
}

}  // namespace

void add_metric_outputs(nlohmann::json& resource, const JobRecord& record) {
  try {
    metric_outputs_from(resource, record);
  } catch (const metrics::StoreError& error) {
    // The job is still described (and a trial still judged, as one that reported nothing).
    std::cerr << "mljob: warning: " << error.what() << "; the job's metrics are left out\n";
  }
}

std::string objective_sparkline(const JobRecord& record) {
  auto db = open_db(record);
  if (!db) return "";
  std::string name = objective_name(declarations(record));
  auto records = latest(*db, name, 200);
  std::vector<double> values;
  for (const auto& r : records) {
    if (auto value = metrics::parse_number(r.values.at(name).text)) values.push_back(*value);
  }
  if (values.empty()) return "";
  char last[32];
  std::snprintf(last, sizeof last, "%.6g", values.back());
  std::string line = "objective " + name + ": " + report::sparkline(values) + " " + last;
  if (auto step = metrics::record_step(records.back()))
    line += " (step " + std::to_string(static_cast<long long>(*step)) + ")";
  return line;
}

}  // namespace mljob::jobs
