// The compact form in which metrics.db keeps EMetrics records: many records to one page (a
// BLOB), each record a few varints and its values' text, with every name, group label and
// replica id replaced by a number from the store's string table.
//
// Why not a row per record: a SQLite row with its meta, JSON values and index costs about 100
// bytes, more than the log line the datapoint came from ("'loss': 0.6931" is 14 bytes). A page
// costs 8-12 bytes a datapoint. Hand-written rather than protobuf: the format is five kinds of
// varint and a length-prefixed text, and a schema compiler would cost more than it saves.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "metrics/emetrics.h"

namespace mljob::metrics {

class CodecError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Strings by number and numbers by string: label, value names, replica ids. Numbers are dense
// from 0, in the order strings were first seen.
class StringTable {
 public:
  // The number of `text`, adding it if it is new.
  std::uint64_t intern(std::string_view text);
  // The number of `text`, or -1 when the table does not hold it.
  std::int64_t find(std::string_view text) const;
  const std::string& text(std::uint64_t id) const;
  // Strings added since the last mark_saved(), with their numbers (for the store to write).
  std::vector<std::pair<std::uint64_t, std::string>> unsaved() const;
  void mark_saved() { saved_ = texts_.size(); }
  // A string read back from the store under `id` (ids arrive in order).
  void load(std::uint64_t id, std::string text);

 private:
  // Hashed, and looked up by string_view without a copy: the collector interns a group, a
  // replica and a name for every datapoint.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  std::unordered_map<std::string, std::uint64_t, Hash, std::equal_to<>> ids_;
  // The strings interned last, tried before the hash: a record's group, replica and name are
  // usually among a handful.
  static constexpr std::size_t kRecent = 8;
  std::array<std::uint64_t, kRecent> recent_{};
  std::size_t recent_count_ = 0, recent_next_ = 0;
  std::vector<std::string> texts_;
  std::size_t saved_ = 0;
};

// Where a page starts: its first record's index and time (the records after it are stored as
// differences from the one before).
struct PageStart {
  std::int64_t rindex = 0;
  std::int64_t time_ms = 0;
};

// Appends records to one page. meta.training_id and meta.user_id are not kept: they are the
// same for every record of a job and the store keeps them once.
class PageWriter {
 public:
  explicit PageWriter(PageStart start) : start_(start), previous_(start) {}
  // The record, numbered `rindex` (its meta.rindex is not read).
  // Answers the number of the record's group label.
  std::uint64_t add(const EMetrics& record, std::int64_t rindex, StringTable& strings);
  const std::string& bytes() const { return bytes_; }
  std::size_t count() const { return count_; }
  PageStart start() const { return start_; }
  std::int64_t max_time_ms() const { return max_time_; }

 private:
  PageStart start_;
  PageStart previous_;
  std::string bytes_;
  std::size_t count_ = 0;
  std::int64_t max_time_ = INT64_MIN;
};

// One record of a page as read, before its values are decoded: enough to decide whether a
// query wants it.
struct RecordHeader {
  std::int64_t rindex = 0;
  std::int64_t time_ms = 0;
  std::uint64_t group = 0;
  std::uint64_t subid = 0;
};

// Reads a page's records in order. next() answers false at the page's end and throws
// CodecError on bytes that are not a page (a damaged file).
class PageReader {
 public:
  PageReader(std::string_view bytes, PageStart start) : bytes_(bytes), previous_(start) {}
  bool next(RecordHeader& header);
  // The values of the record next() just read; skip_body() passes over them instead (exactly
  // one of the two after each next()).
  void read_body(const StringTable& strings, EMetrics& record);
  void skip_body();
  // Whether the record next() just read carries a value named by string `name` (then
  // skip_body() or read_body() as usual).
  bool body_has_value(std::uint64_t name);

 private:
  std::uint64_t varint();
  unsigned char byte();
  std::string_view text();
  void read_typed_map(const StringTable& strings, std::map<std::string, TypedValue>& out);

  std::string_view bytes_;
  std::size_t at_ = 0;
  bool first_ = true;
  PageStart previous_;
};

}  // namespace mljob::metrics
