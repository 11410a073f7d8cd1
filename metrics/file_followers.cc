#include "metrics/file_followers.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "metrics/event_decoder.h"

namespace mljob::metrics {
namespace {

namespace fs = std::filesystem;

std::string number_text(double value) {
  char buffer[64];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);  // shortest exact form
  return error == std::errc() ? std::string(buffer, end) : std::to_string(value);
}

}  // namespace

void EventDirFollower::poll(const RecordSink& sink, const WarningSink& warn, bool final) {
  std::error_code error;
  if (!fs::is_directory(root_, error)) return;
  for (fs::recursive_directory_iterator it(root_, fs::directory_options::skip_permission_denied, error), end;
       !error && it != end; it.increment(error)) {
    if (!it->is_regular_file(error) || it->path().filename().string().find("tfevents") == std::string::npos) continue;
    readers_.try_emplace(it->path(), it->path());
  }
  for (auto& [path, reader] : readers_) {
    std::string run = path.parent_path().lexically_relative(root_).generic_string();
    if (run.empty() || run == ".") run = kTensorboardGroup;
    reader.read_new(
        [&](std::string_view bytes) {
          auto event = decode_event(bytes);
          if (!event) {
            warn(path.string() + ": a record is not a valid Event; skipped");
            return;
          }
          if (event->scalars.empty()) return;
          EMetrics record;
          record.grouplabel = run;
          record.meta.time_ms = now_ms();
          record.etimes["step"] = TypedValue{ValueType::kInt, std::to_string(event->step)};
          record.etimes["wall_time"] = TypedValue{ValueType::kFloat, number_text(event->wall_time)};
          for (const auto& scalar : event->scalars) {
            if (std::isfinite(scalar.value)) record.values[scalar.tag] = TypedValue{ValueType::kFloat, number_text(scalar.value)};
          }
          if (!record.values.empty()) sink(std::move(record));
        },
        warn, final);
  }
}

void HypertuneFileFollower::poll(const RecordSink& sink, const WarningSink& warn, bool final) {
  std::ifstream in(file_, std::ios::binary);
  if (!in) return;
  in.seekg(0, std::ios::end);
  auto size = static_cast<std::uint64_t>(in.tellg());
  if (size < offset_) {
    offset_ = 0;
    partial_.clear();
  }
  in.seekg(static_cast<std::streamoff>(offset_));
  std::string chunk(1 << 16, '\0');
  while (offset_ < size) {
    in.read(chunk.data(), static_cast<std::streamsize>(std::min<std::uint64_t>(chunk.size(), size - offset_)));
    std::size_t got = static_cast<std::size_t>(in.gcount());
    if (got == 0) break;
    offset_ += got;
    for (std::size_t i = 0; i < got; ++i) {
      char c = chunk[i];
      if (c == '\n') {
        if (!skipping_long_line_) take_line(partial_, sink, warn);
        partial_.clear();
        skipping_long_line_ = false;
      } else if (!skipping_long_line_) {
        partial_ += c;
        if (partial_.size() > max_line_bytes_) {
          warn(file_.string() + ": a line longer than " + std::to_string(max_line_bytes_) + " bytes; skipped");
          partial_.clear();
          skipping_long_line_ = true;
        }
      }
    }
  }
  if (final && !partial_.empty() && !skipping_long_line_) {  // the writer is done: a last line without '\n'
    take_line(partial_, sink, warn);
    partial_.clear();
  }
}

void HypertuneFileFollower::take_line(const std::string& line, const RecordSink& sink, const WarningSink& warn) {
  if (line.find_first_not_of(" \t\r") == std::string::npos) return;
  auto object = nlohmann::json::parse(line, nullptr, false);
  if (object.is_discarded() || !object.is_object()) {
    warn(file_.string() + ": a line is not a JSON object; skipped");
    return;
  }
  EMetrics record;
  record.grouplabel = kHypertuneGroup;
  record.meta.time_ms = now_ms();
  for (const auto& [key, value] : object.items()) {
    if (key == "timestamp" || key == "trial" || key == "checkpoint_path") continue;
    std::optional<double> number;
    if (value.is_number()) number = value.get<double>();
    else if (value.is_string()) number = parse_number(value.get<std::string>());
    if (!number) continue;
    if (key == "global_step") {
      record.etimes["global_step"] = TypedValue{ValueType::kInt, std::to_string(static_cast<long long>(*number))};
    } else {
      record.values[key] = TypedValue{ValueType::kFloat, number_text(*number)};
    }
  }
  if (object.contains("timestamp") && object["timestamp"].is_number()) {
    record.meta.time_ms = static_cast<std::int64_t>(object["timestamp"].get<double>() * 1000);
  }
  if (!record.values.empty()) sink(std::move(record));
}

}  // namespace mljob::metrics
