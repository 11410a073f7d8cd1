#include "metrics/file_followers.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/document_limits.h"
#include "metrics/event_decoder.h"
#include "metrics/log_follower.h"

namespace mljob::metrics {
namespace {

namespace fs = std::filesystem;

std::string number_text(double value) {
  char buffer[64];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);  // shortest exact form
  return error == std::errc() ? std::string(buffer, end) : std::to_string(value);
}

// One of FfDL's Any values {"type"?, "value"}: nullopt when it is not that shape.
std::optional<TypedValue> any_value(const nlohmann::json& any) {
  if (!any.is_object() || !any.contains("value")) return std::nullopt;
  TypedValue out;
  if (any.contains("type") && !any["type"].is_null()) {
    const auto& type = any["type"];
    if (type.is_number_integer() && type.get<long long>() >= 0 && type.get<long long>() <= 3) {
      static constexpr ValueType kByNumber[] = {ValueType::kString, ValueType::kJsonString, ValueType::kInt,
                                                ValueType::kFloat};
      out.type = kByNumber[type.get<long long>()];
    } else if (auto named = type.is_string() ? value_type_from_name(type.get<std::string>()) : std::nullopt) {
      out.type = *named;
    } else {
      return std::nullopt;
    }
  }
  const auto& value = any["value"];
  out.text = value.is_string() ? value.get<std::string>() : value.dump();
  return out;
}

// A JSON object of KEY: Any into `out`; false when it is not one.
bool any_map(const nlohmann::json& object, std::map<std::string, TypedValue>& out) {
  if (!object.is_object()) return false;
  for (const auto& [key, any] : object.items()) {
    auto value = any_value(any);
    if (!value) return false;
    out[key] = std::move(*value);
  }
  return true;
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
  // Plain pairs rather than structured bindings: the lambdas below use them, which clang 14
  // (the fuzz build's compiler) does not allow of bindings.
  for (auto& entry : readers_) {
    const fs::path& path = entry.first;
    TfRecordReader& reader = entry.second;
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
            if (std::isfinite(scalar.value))
              record.values[scalar.tag] = TypedValue{ValueType::kFloat, number_text(scalar.value)};
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
  auto object = parse_json_within_limits<nlohmann::json>(line).value_or(nullptr);
  if (!object.is_object()) {
    warn(file_.string() + ": a line is not a JSON object within " + std::to_string(kMaxNestingDepth) +
         " levels of nesting; skipped");
    return;
  }
  EMetrics record;
  record.grouplabel = kHypertuneGroup;
  record.meta.time_ms = now_ms();
  for (const auto& [key, value] : object.items()) {
    if (key == "timestamp" || key == "trial" || key == "checkpoint_path") continue;
    std::optional<double> number;
    if (value.is_number())
      number = value.get<double>();
    else if (value.is_string())
      number = parse_number(value.get<std::string>());
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

namespace mljob::metrics {

struct EMetricsFileFollower::Followed {
  explicit Followed(const fs::path& file) : follower(file, 1 << 20, 64 << 10) {}
  LogFollower follower;
  std::string subdir;  // the HPO sub-run's folder name ("" for the top level)
};

void EMetricsFileFollower::poll(const RecordSink& sink, const WarningSink& warn, bool final) {
  std::error_code error;
  auto follow = [&](const fs::path& file, const std::string& subdir) {
    auto [at, added] = files_.try_emplace(file, nullptr);
    if (added) {
      at->second = std::make_shared<Followed>(file);
      at->second->subdir = subdir;
    }
  };
  if (fs::is_regular_file(where_, error)) {
    follow(where_, "");
  } else if (fs::is_directory(where_, error)) {
    follow(where_ / kEMetricsFileName, "");  // followed once it appears
    for (fs::directory_iterator it(where_, fs::directory_options::skip_permission_denied, error), end;
         !error && it != end; it.increment(error)) {
      if (it->is_directory(error)) follow(it->path() / kEMetricsFileName, it->path().filename().string());
    }
  }
  for (auto& entry : files_) {  // not a structured binding: see poll above
    const auto& file = entry.first;
    auto& followed = entry.second;
    followed->follower.poll(
        [&](std::string_view block, std::uint64_t) {
          for (std::size_t start = 0; start < block.size();) {
            std::size_t end = block.find('\n', start);
            if (end == std::string_view::npos) end = block.size();
            take_line(block.substr(start, end - start), followed->subdir, file, sink, warn);
            start = end + 1;
          }
        },
        warn, final);
  }
}

void EMetricsFileFollower::take_line(std::string_view line, const std::string& subdir, const fs::path& file,
                                     const RecordSink& sink, const WarningSink& warn) {
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) return;
  auto object = parse_json_within_limits<nlohmann::json>(line).value_or(nullptr);
  EMetrics record;
  auto refuse = [&](const std::string& why) {
    if (warn) warn(file.string() + ": a line is not an EMetrics record (" + why + "); skipped");
  };
  if (!object.is_object()) return refuse("not a JSON object within " + std::to_string(kMaxNestingDepth) + " levels");
  if (!object.contains("meta") || !object["meta"].is_object()) return refuse("no meta object");
  if (!object.contains("grouplabel") || !object["grouplabel"].is_string()) return refuse("no grouplabel string");
  if (!object.contains("values") || !any_map(object["values"], record.values)) {
    return refuse("values must map names to {type, value}");
  }
  if (!object.contains("etimes") || !any_map(object["etimes"], record.etimes)) {
    return refuse("etimes must map names to {type, value}");
  }
  record.grouplabel = object["grouplabel"].get<std::string>();
  const auto& meta = object["meta"];
  record.meta.time_ms = meta.contains("time") && meta["time"].is_number() ? meta["time"].get<std::int64_t>() : now_ms();
  record.meta.subid = subdir;
  if (meta.contains("subid") && !meta["subid"].is_null()) {
    record.meta.subid = meta["subid"].is_string() ? meta["subid"].get<std::string>() : meta["subid"].dump();
  }
  sink(std::move(record));
}

}  // namespace mljob::metrics
