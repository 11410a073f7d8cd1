#include "metrics/collector.h"

#include <fstream>

namespace mljob::metrics {

nlohmann::ordered_json Collector::read_declarations(const std::filesystem::path& job_folder) {
  std::ifstream in(job_folder / kDeclarationsFile);
  if (!in) return nullptr;
  return nlohmann::ordered_json::parse(in, nullptr, false);
}

Collector::Collector(CollectorOptions options, WarningSink warn)
    : options_(std::move(options)),
      warn_(std::move(warn)),
      spec_(parse_metrics_spec(read_declarations(options_.job_folder))),
      extractors_(make_log_extractors(spec_, warn_)),
      log_(options_.job_folder / "output.log"),
      hypertune_(options_.hypertune_file),
      emetrics_(options_.emetrics_path),
      db_(metrics_db_path(options_.job_folder), true) {
  for (const auto& dir : options_.event_dirs) event_dirs_.emplace_back(dir);
}

void Collector::store(EMetrics& record) {
  record.meta.training_id = options_.training_id;
  record.meta.user_id = options_.user_id;
  db_.add(record);  // read, not taken: the extractor may fill the same record again
  ++records_;
}

void Collector::take_block(std::string_view block) {
  if (options_.store_log_lines) {
    std::int64_t now = now_ms();
    for (std::size_t start = 0; start < block.size();) {
      std::size_t end = block.find('\n', start);
      if (end == std::string_view::npos) end = block.size();
      std::string_view text;
      int rank = split_rank_label(block.substr(start, end - start), text);
      db_.add(LogLineRecord{Meta{options_.training_id, options_.user_id, now, 0, rank < 0 ? "" : std::to_string(rank)},
                            std::string(text)});
      start = end + 1;
    }
  }
  auto sink = [this](EMetrics&& record) { store(record); };
  for (auto& extractor : extractors_) extractor->process_block(block, sink);
  db_.commit();  // a block at a time: a backlog of gigabytes never makes one huge transaction
}

void Collector::poll(bool final) {
  auto sink = [this](EMetrics&& record) { store(record); };
  log_.poll([this](std::string_view block) { take_block(block); }, warn_, final);
  for (auto& dir : event_dirs_) dir.poll(sink, warn_, final);
  if (!options_.hypertune_file.empty()) hypertune_.poll(sink, warn_, final);
  if (!options_.emetrics_path.empty()) emetrics_.poll(sink, warn_, final);
  if (db_.commit() || !final) return;  // while the job runs, the next poll commits what waits
  // The last round has no next poll: wait out the readers a little longer before giving up.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (db_.commit()) return;
  }
  warn_("the last records could not be stored: readers kept " + metrics_db_path(options_.job_folder).string() +
        " busy");
}

}  // namespace mljob::metrics
