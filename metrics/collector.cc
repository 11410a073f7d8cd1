#include "metrics/collector.h"

#include <fstream>

namespace mljob::metrics {

nlohmann::json Collector::read_declarations(const std::filesystem::path& job_folder) {
  std::ifstream in(job_folder / kDeclarationsFile);
  if (!in) return nullptr;
  return nlohmann::json::parse(in, nullptr, false);
}

Collector::Collector(CollectorOptions options, WarningSink warn)
    : options_(std::move(options)),
      warn_(std::move(warn)),
      spec_(parse_metrics_spec(read_declarations(options_.job_folder))),
      extractors_(make_log_extractors(spec_, warn_)),
      log_(options_.job_folder / "output.log"),
      hypertune_(options_.hypertune_file),
      db_(metrics_db_path(options_.job_folder), true) {
  for (const auto& dir : options_.event_dirs) event_dirs_.emplace_back(dir);
}

void Collector::store(EMetrics&& record) {
  record.meta.training_id = options_.training_id;
  record.meta.user_id = options_.user_id;
  db_.add(std::move(record));
  ++records_;
}

void Collector::take_batch(const LineBatch& batch) {
  const LineBatch* for_extraction = &batch;
  bool unlabelled = false;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (options_.store_log_lines) {
      LogLineRecord line{Meta{options_.training_id, options_.user_id, now_ms(), 0,
                              batch.rank(i) < 0 ? "" : std::to_string(batch.rank(i))},
                         std::string(batch.line(i))};
      db_.add(std::move(line));
    }
    unlabelled = unlabelled || batch.rank(i) < 0;
  }
  if (unlabelled) {  // Slurm's own messages (and ours) carry no rank: they are not the trainer's metrics
    labelled_.clear();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (batch.rank(i) >= 0) labelled_.add(batch.line(i), batch.rank(i));
    }
    for_extraction = &labelled_;
  }
  auto sink = [this](EMetrics&& record) { store(std::move(record)); };
  for (auto& extractor : extractors_) extractor->process(*for_extraction, sink);
}

void Collector::poll(bool final) {
  auto sink = [this](EMetrics&& record) { store(std::move(record)); };
  log_.poll([this](const LineBatch& batch) { take_batch(batch); }, warn_, final);
  for (auto& dir : event_dirs_) dir.poll(sink, warn_, final);
  if (!options_.hypertune_file.empty()) hypertune_.poll(sink, warn_, final);
  db_.commit();
}

}  // namespace mljob::metrics
