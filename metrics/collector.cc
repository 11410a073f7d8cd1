#include "metrics/collector.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace mljob::metrics {

namespace fs = std::filesystem;

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
  db_.set_job(options_.training_id, options_.user_id, "output.log");
  // A collector started again for the same job (a requeue) goes on after what was collected,
  // when output.log still holds it: its lines are not indexed and extracted twice.
  log_.resume_at(db_.log_resume_offset());
}

void Collector::store(EMetrics& record) {
  db_.add(record);  // read, not taken: the extractor may fill the same record again (the job's
                    // training and user ids are stored once, by set_job)
  ++records_;
}

void Collector::take_block(std::string_view block, std::uint64_t file_offset) {
  last_time_ms_ = std::max(last_time_ms_, now_ms());
  if (options_.store_log_lines) db_.add_log_lines(block, file_offset, last_time_ms_);
  auto sink = [this](EMetrics&& record) { store(record); };
  for (auto& extractor : extractors_) extractor->process_block(block, sink);
}

void Collector::cap_log() {
  if (options_.max_log_bytes == 0 || !options_.store_log_lines || !can_free_log_) return;
  fs::path log = options_.job_folder / "output.log";
  auto free_bytes = [&](std::uint64_t length) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    bool freed =
        fd >= 0 && ::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(length)) == 0;
    int error = errno;
    if (fd >= 0) ::close(fd);
    if (!freed) {
      // Lines that stay on disk stay readable: without a hole, nothing is dropped.
      can_free_log_ = false;
      warn_(log.string() + " passed the site's cap of " + std::to_string(options_.max_log_bytes) +
            " bytes, but its oldest lines cannot be freed (" + std::strerror(error) + "): the whole log is kept");
    }
    return freed;
  };
  db_.cap_log(options_.max_log_bytes, free_bytes);
}

void Collector::poll(bool final) {
  auto sink = [this](EMetrics&& record) { store(record); };
  // What the log's backlog gives is committed every 64 MiB of log: a backlog of gigabytes never
  // makes one huge transaction.
  log_.poll(
      [this](std::string_view block, std::uint64_t file_offset) {
        take_block(block, file_offset);
        if (log_.offset() - committed_offset_ >= kCommitBytes) {
          db_.commit();
          committed_offset_ = log_.offset();
        }
      },
      warn_, final);
  for (auto& dir : event_dirs_) dir.poll(sink, warn_, final);
  if (!options_.hypertune_file.empty()) hypertune_.poll(sink, warn_, final);
  if (!options_.emetrics_path.empty()) emetrics_.poll(sink, warn_, final);
  committed_offset_ = log_.offset();
  if (db_.commit(final)) {
    cap_log();
    return;
  }
  if (!final) return;  // while the job runs, the next poll commits what waits
  // The last round has no next poll: wait out the readers a little longer before giving up.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (db_.commit(final)) return;
  }
  warn_("the last records could not be stored: readers kept " + metrics_db_path(options_.job_folder).string() +
        " busy");
}

}  // namespace mljob::metrics
