#include "prediction/shard_worker.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <future>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "base/files.h"
#include "core/prediction_input.h"
#include "prediction/instance_text.h"
#include "prediction/output_line.h"
#include "prediction/predictor_process.h"
#include "prediction/record_reader.h"

namespace mljob::prediction {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Batches sent to the server and not yet answered: enough to keep the reader and the model
// busy at once, few enough that memory is a handful of batches.
constexpr std::size_t kBatchesInFlight = 4;
// Errors written one by one to the errors file; past this many a shard only counts them.
constexpr std::uint64_t kListedErrorsPerShard = 10000;
// Messages and paths are the user's bytes: invalid UTF-8 is replaced, not a crash.
constexpr auto kReplace = nlohmann::json::error_handler_t::replace;

// The instances of one batch, where each came from, and the unreadable records met before them.
struct Batch {
  std::vector<std::string> instances;
  std::vector<std::pair<const std::string*, std::uint64_t>> origins;
  std::vector<RecordError> unreadable;
};

// A queue of batches between the reader thread and the writer (this one), bounded so that a
// slow model holds the reader back.
class BatchQueue {
 public:
  void push(Batch batch) {
    std::unique_lock lock(mutex_);
    room_.wait(lock, [&] { return batches_.size() < kBatchesInFlight || closed_; });
    batches_.push_back(std::move(batch));
    ready_.notify_one();
  }
  std::optional<Batch> pop() {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return !batches_.empty() || closed_; });
    if (batches_.empty()) return std::nullopt;
    Batch batch = std::move(batches_.front());
    batches_.pop_front();
    room_.notify_one();
    return batch;
  }
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    ready_.notify_all();
    room_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_, room_;
  std::deque<Batch> batches_;
  bool closed_ = false;
};

struct StopReading {};  // thrown out of read_piece's callbacks to stop reading

// A shard's output file, written under its temporary name until it is committed.
class OutputFile {
 public:
  OutputFile(fs::path final_path)
      : final_(std::move(final_path)),
        partial_(final_.parent_path() / ("." + final_.filename().string() + ".partial")) {
    file_ = std::fopen(partial_.c_str(), "w");
    if (!file_) throw std::runtime_error(partial_.string() + ": cannot be written: " + std::strerror(errno));
    std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
  }
  ~OutputFile() { discard(); }
  void write(const std::string& line) {
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fputc('\n', file_) == EOF)
      throw std::runtime_error(partial_.string() + ": cannot be written: " + std::strerror(errno));
  }
  // Flushed to the disk, then named as final: the rename is the commit.
  void commit() {
    if (std::fflush(file_) != 0 || ::fsync(::fileno(file_)) != 0 || std::fclose(file_) != 0) {
      file_ = nullptr;
      throw std::runtime_error(partial_.string() + ": cannot be written: " + std::strerror(errno));
    }
    file_ = nullptr;
    fs::rename(partial_, final_);
  }
  void discard() {
    if (!file_) return;
    std::fclose(file_);
    file_ = nullptr;
    std::error_code ignored;
    fs::remove(partial_, ignored);
  }

 private:
  fs::path final_, partial_;
  std::FILE* file_ = nullptr;
};

double cpu_seconds(const rusage& usage) {
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double seconds_since_epoch() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

class ShardRunner {
 public:
  ShardRunner(const ShardRun& run, const std::atomic<bool>& stop)
      : run_(run),
        stop_(stop),
        input_format_(*data_format_from_name(run.config.at("dataFormat").get<std::string>())),
        output_format_(*data_format_from_name(run.config.at("outputDataFormat").get<std::string>())),
        batch_size_(run.config.at("batchSize").get<std::size_t>()),
        max_record_bytes_(run.config.at("maxRecordBytes").get<std::uint64_t>()),
        shard_count_(run.config.at("shardCount").get<int>()),
        output_folder_(run.config.at("outputFolder").get<std::string>()) {
    const json& shard = run.config.at("shards").at(static_cast<std::size_t>(run.shard));
    for (const auto& piece : shard.at("pieces"))
      pieces_.push_back({piece.at("path").get<std::string>(), piece.at("begin").get<std::uint64_t>(),
                         piece.at("end").get<std::uint64_t>()});
    bytes_total_ = shard.at("bytes").get<std::uint64_t>();
  }

  int run() {
    write_progress(false, "");
    std::optional<OutputFile> results, errors;
    std::string failure;
    try {
      results.emplace(output_folder_ / shard_file_name("prediction.results", run_.shard, shard_count_));
      errors.emplace(output_folder_ / shard_file_name("prediction.errors_stats", run_.shard, shard_count_));
      results_ = &*results;
      errors_ = &*errors;
      total_future_ = std::async(std::launch::async, [this] { return count_records(); });
      failure = predict_all();
    } catch (const std::exception& e) {
      failure = e.what();
    }
    if (failure.empty() && stop_) failure = "stopped by a signal";
    if (!failure.empty()) counting_cancelled_ = true;  // no need to finish counting what will not be read
    if (!records_total_ && total_future_.valid()) records_total_ = total_future_.get();
    if (failure.empty()) failure = commit(*results, *errors);
    if (!failure.empty()) {
      if (results) results->discard();
      if (errors) errors->discard();
      write_progress(false, failure);
      std::cerr << "mljob-predict: shard " << run_.shard << ": " << failure << "\n";
      return stop_ ? kShardStopped : kShardFailed;
    }
    write_progress(true, "");
    std::cerr << "mljob-predict: shard " << run_.shard << " done: " << predictions_ << " predictions, " << errors_count_
              << " errors\n";
    return kShardDone;
  }

 private:
  // The model's server started, the reader thread feeding it, this thread writing its answers.
  // Returns why it stopped early, or "".
  std::string predict_all() {
    PredictorProcess server(run_.config.at("python").get<std::string>(), run_.server_source,
                            run_.config.at("server").dump());
    server_ = &server;
    std::thread reader([this] { read_all(); });
    std::string failure = write_all();
    if (!failure.empty()) server.kill();  // unblocks the reader if it waits on the server
    queue_.close();
    reader.join();
    return failure.empty() ? reader_failure_ : failure;
  }

  // Errors first, results last: the rename of the results is the shard's commit. Returns why it
  // failed, or "", with no file left under a final name when it failed.
  std::string commit(OutputFile& results, OutputFile& errors) {
    try {
      finish_errors_file();
      errors.commit();
    } catch (const std::exception& e) {
      return e.what();
    }
    try {
      results.commit();
    } catch (const std::exception& e) {
      std::error_code ignored;
      fs::remove(output_folder_ / shard_file_name("prediction.errors_stats", run_.shard, shard_count_), ignored);
      return e.what();
    }
    return "";
  }

  // The reader thread: records to instances, instances to batches, batches to the server.
  void read_all() {
    try {
      for (const auto& piece : pieces_) {
        read_piece(
            piece, input_format_, max_record_bytes_,
            [&](std::string_view record, std::uint64_t offset) { take_record(piece, record, offset); },
            [&](const RecordError& error) { take_unreadable(error); });
        bytes_done_before_ += piece.end - piece.begin;
      }
      send_batch();
    } catch (const StopReading&) {
    } catch (const std::exception& e) {
      reader_failure_ = e.what();
    }
    // No more batches: the server answers those it has, then ends (the writer then sees it end).
    server_->close_input();
    queue_.close();
  }

  void take_unreadable(const RecordError& error) {
    if (stop_ || writer_gave_up_) throw StopReading{};
    batch_.unreadable.push_back(error);
    if (batch_.unreadable.size() >= batch_size_) send_batch();  // memory stays bounded however many are bad
  }

  void take_record(const Piece& piece, std::string_view record, std::uint64_t offset) {
    if (stop_ || writer_gave_up_) throw StopReading{};
    bytes_read_ = bytes_done_before_ + (offset >= piece.begin ? offset - piece.begin : 0);
    std::string why;
    std::optional<std::string> instance = instance_json(record, input_format_, &why);
    if (!instance) {
      take_unreadable({piece.path, offset, why});
      return;
    } else {
      batch_.instances.push_back(std::move(*instance));
      batch_.origins.emplace_back(&piece.path, offset);
    }
    if (batch_.instances.size() >= batch_size_) send_batch();
  }

  void send_batch() {
    if (batch_.instances.empty() && batch_.unreadable.empty()) return;
    if (!batch_.instances.empty()) {
      std::string line = "[";
      for (std::size_t i = 0; i < batch_.instances.size(); ++i) {
        if (i) line += ',';
        line += batch_.instances[i];
      }
      line += "]\n";
      server_->send(line);
    }
    queue_.push(std::move(batch_));
    batch_ = Batch{};
  }

  // This thread: answers to output lines. Returns why it stopped early, or "".
  std::string write_all() {
    auto last_progress = std::chrono::steady_clock::now();
    try {
      while (std::optional<Batch> batch = queue_.pop()) {
        for (const auto& error : batch->unreadable) write_error(error.path, error.offset, error.message);
        if (!batch->instances.empty()) write_batch(*batch, server_->receive());
        if (stop_) return "stopped by a signal";
        if (auto now = std::chrono::steady_clock::now(); now - last_progress > std::chrono::seconds(1)) {
          write_progress(false, "");
          last_progress = now;
        }
      }
    } catch (const std::exception& e) {
      writer_gave_up_ = true;
      return e.what();
    }
    return "";
  }

  void write_batch(const Batch& batch, const BatchReply& reply) {
    if (reply.predictions.size() != batch.instances.size())
      throw std::runtime_error("the predictor answered " + std::to_string(reply.predictions.size()) +
                               " predictions for " + std::to_string(batch.instances.size()) + " instances");
    for (std::size_t i = 0; i < batch.instances.size(); ++i) {
      auto failed = reply.errors.find(i);
      if (failed != reply.errors.end()) {
        write_error(*batch.origins[i].first, batch.origins[i].second, failed->second);
        if (auto line = error_line(batch.instances[i], failed->second, output_format_)) results_->write(*line);
        continue;
      }
      results_->write(prediction_line(batch.instances[i], reply.predictions[i], output_format_));
      ++predictions_;
    }
  }

  void write_error(const std::string& path, std::uint64_t offset, const std::string& message) {
    ++errors_count_;
    if (errors_count_ > kListedErrorsPerShard) return;
    errors_->write(json{{"file", path}, {"offset", offset}, {"error", message}}.dump(-1, ' ', false, kReplace));
  }

  void finish_errors_file() {
    if (errors_count_ > kListedErrorsPerShard)
      errors_->write(
          json{{"error", "more errors, not listed"}, {"count", errors_count_ - kListedErrorsPerShard}}.dump());
  }

  // The shard's record count, for progress; none for a gzip stream (it would be read twice).
  std::optional<std::uint64_t> count_records() const {
    if (input_format_ == DataFormat::kTfRecordGzip) return std::nullopt;
    std::uint64_t count = 0;
    auto counted = [&] {
      if (counting_cancelled_) throw StopReading{};
      ++count;
    };
    try {
      for (const auto& piece : pieces_)
        read_piece(
            piece, input_format_, max_record_bytes_, [&](std::string_view, std::uint64_t) { counted(); },
            [&](const RecordError&) { counted(); });
    } catch (const StopReading&) {
      return std::nullopt;
    } catch (const std::exception&) {
      return std::nullopt;  // the reader meets the same problem and says so
    }
    return count;
  }

  void write_progress(bool complete, const std::string& failure) {
    using namespace std::chrono_literals;
    if (!records_total_ && total_future_.valid() && total_future_.wait_for(0s) == std::future_status::ready)
      records_total_ = total_future_.get();
    json progress = {{"shard", run_.shard},
                     {"attempt", run_.attempt},
                     {"recordsRead", predictions_ + errors_count_},
                     {"predictions", predictions_},
                     {"errors", errors_count_},
                     {"bytesRead", complete ? bytes_total_ : std::min(bytes_read_.load(), bytes_total_)},
                     {"bytesTotal", bytes_total_},
                     {"complete", complete}};
    progress["startedAt"] = started_at_;
    if (!complete && records_total_) progress["recordsTotal"] = *records_total_;
    if (complete) {
      progress["recordsTotal"] = predictions_ + errors_count_;
      progress["finishedAt"] = seconds_since_epoch();
      // Peak memory, for the benchmark's "flat as the input grows" (the server is reaped by now).
      rusage self{}, children{};
      ::getrusage(RUSAGE_SELF, &self);
      ::getrusage(RUSAGE_CHILDREN, &children);
      progress["workerMaxRssKb"] = self.ru_maxrss;
      progress["serverMaxRssKb"] = children.ru_maxrss;
      progress["workerCpuSeconds"] = cpu_seconds(self);
      progress["serverCpuSeconds"] = cpu_seconds(children);
    }
    if (!failure.empty()) progress["failure"] = failure;
    char name[32];
    std::snprintf(name, sizeof name, "%05d.json", run_.shard);
    try {
      write_atomically(run_.job_folder / "progress" / name, progress.dump(-1, ' ', false, kReplace) + "\n");
    } catch (const std::exception& e) {
      std::cerr << "mljob-predict: warning: progress not written: " << e.what() << "\n";  // describe lags, no more
    }
  }

  const ShardRun& run_;
  const std::atomic<bool>& stop_;
  DataFormat input_format_, output_format_;
  std::size_t batch_size_;
  std::uint64_t max_record_bytes_;
  int shard_count_;
  fs::path output_folder_;
  std::vector<Piece> pieces_;
  std::uint64_t bytes_total_ = 0, bytes_done_before_ = 0;
  std::atomic<std::uint64_t> bytes_read_{0};
  std::optional<std::uint64_t> records_total_;
  // Before the future: its destructor waits for the count, which reads the flag.
  std::atomic<bool> counting_cancelled_{false};
  std::future<std::optional<std::uint64_t>> total_future_;
  PredictorProcess* server_ = nullptr;
  OutputFile* results_ = nullptr;
  OutputFile* errors_ = nullptr;
  Batch batch_;
  BatchQueue queue_;
  std::string reader_failure_;
  std::atomic<bool> writer_gave_up_{false};
  std::uint64_t predictions_ = 0, errors_count_ = 0;
  double started_at_ = seconds_since_epoch();
};

}  // namespace

int run_shard(const ShardRun& run, const std::atomic<bool>& stop) {
  try {
    return ShardRunner(run, stop).run();
  } catch (const std::exception& e) {
    std::cerr << "mljob-predict: shard " << run.shard << ": " << e.what() << "\n";
    return kShardFailed;
  }
}

}  // namespace mljob::prediction
