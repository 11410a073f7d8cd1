#include "metrics/record_codec.h"

#include <algorithm>

namespace mljob::metrics {
namespace {

void put_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

// Signed differences (a clock set back makes a time go down) as small unsigned numbers.
std::uint64_t zigzag(std::int64_t value) {
  return (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
}
std::int64_t unzigzag(std::uint64_t value) {
  return static_cast<std::int64_t>(value >> 1) ^ -static_cast<std::int64_t>(value & 1);
}

void put_typed_map(std::string& out, const std::map<std::string, TypedValue>& values, StringTable& strings) {
  put_varint(out, values.size());
  for (const auto& [name, value] : values) {
    put_varint(out, strings.intern(name));
    out.push_back(static_cast<char>(value.type));
    put_varint(out, value.text.size());
    out.append(value.text);
  }
}

}  // namespace

std::uint64_t StringTable::intern(std::string_view text) {
  for (std::size_t i = 0; i < recent_count_; ++i) {
    if (texts_[recent_[i]] == text) return recent_[i];
  }
  std::uint64_t id = 0;
  if (auto found = ids_.find(text); found != ids_.end()) {
    id = found->second;
  } else {
    id = texts_.size();
    texts_.emplace_back(text);
    ids_.emplace(std::string(text), id);
  }
  recent_[recent_next_] = id;
  recent_next_ = (recent_next_ + 1) % kRecent;
  recent_count_ = std::min(recent_count_ + 1, kRecent);
  return id;
}

std::int64_t StringTable::find(std::string_view text) const {
  auto found = ids_.find(text);
  return found == ids_.end() ? -1 : static_cast<std::int64_t>(found->second);
}

const std::string& StringTable::text(std::uint64_t id) const {
  if (id >= texts_.size()) throw CodecError("string " + std::to_string(id) + " is not in the table");
  return texts_[id];
}

std::vector<std::pair<std::uint64_t, std::string>> StringTable::unsaved() const {
  std::vector<std::pair<std::uint64_t, std::string>> out;
  for (std::size_t id = saved_; id < texts_.size(); ++id) out.emplace_back(id, texts_[id]);
  return out;
}

void StringTable::load(std::uint64_t id, std::string text) {
  if (id != texts_.size()) throw CodecError("string table: id " + std::to_string(id) + " out of order");
  ids_.emplace(text, id);
  texts_.push_back(std::move(text));
  saved_ = texts_.size();
}

std::uint64_t PageWriter::add(const EMetrics& record, std::int64_t rindex, StringTable& strings) {
  std::int64_t rindex_step = rindex - previous_.rindex;
  if (rindex_step < (count_ == 0 ? 0 : 1)) {
    throw CodecError("record " + std::to_string(rindex) + " does not follow record " +
                     std::to_string(previous_.rindex));
  }
  put_varint(bytes_, static_cast<std::uint64_t>(rindex_step));
  put_varint(bytes_, zigzag(record.meta.time_ms - previous_.time_ms));
  std::uint64_t group = strings.intern(record.grouplabel);
  put_varint(bytes_, group);
  put_varint(bytes_, strings.intern(record.meta.subid));
  put_typed_map(bytes_, record.etimes, strings);
  put_typed_map(bytes_, record.values, strings);
  previous_ = {rindex, record.meta.time_ms};
  max_time_ = std::max(max_time_, record.meta.time_ms);
  ++count_;
  return group;
}

std::uint64_t PageReader::varint() {
  std::uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (at_ >= bytes_.size()) throw CodecError("a metrics page ends inside a number");
    auto byte = static_cast<unsigned char>(bytes_[at_++]);
    value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return value;
  }
  throw CodecError("a metrics page holds a number longer than 64 bits");
}

unsigned char PageReader::byte() {
  if (at_ >= bytes_.size()) throw CodecError("a metrics page ends inside a value");
  return static_cast<unsigned char>(bytes_[at_++]);
}

std::string_view PageReader::text() {
  std::uint64_t size = varint();
  if (size > bytes_.size() - at_) throw CodecError("a metrics page ends inside a value");
  std::string_view out = bytes_.substr(at_, size);
  at_ += size;
  return out;
}

bool PageReader::next(RecordHeader& header) {
  if (at_ >= bytes_.size()) return false;
  std::uint64_t rindex_step = varint();
  if (!first_ && rindex_step == 0) throw CodecError("a metrics page repeats a record index");
  first_ = false;
  previous_.rindex += static_cast<std::int64_t>(rindex_step);
  previous_.time_ms += unzigzag(varint());
  header.rindex = previous_.rindex;
  header.time_ms = previous_.time_ms;
  header.group = varint();
  header.subid = varint();
  return true;
}

void PageReader::read_typed_map(const StringTable& strings, std::map<std::string, TypedValue>& out) {
  out.clear();
  for (std::uint64_t n = varint(); n > 0; --n) {
    const std::string& name = strings.text(varint());
    unsigned char type = byte();
    if (type > static_cast<unsigned char>(ValueType::kFloat)) throw CodecError("a metrics page holds an unknown type");
    std::string_view value = text();
    out[name] = TypedValue{static_cast<ValueType>(type), std::string(value)};
  }
}

void PageReader::read_body(const StringTable& strings, EMetrics& record) {
  read_typed_map(strings, record.etimes);
  read_typed_map(strings, record.values);
}

void PageReader::skip_body() {
  for (int map = 0; map < 2; ++map) {
    for (std::uint64_t n = varint(); n > 0; --n) {
      varint();
      byte();  // the type
      text();
    }
  }
}

bool PageReader::body_has_value(std::uint64_t name) {
  std::size_t body = at_;
  bool found = false;
  for (int map = 0; map < 2; ++map) {
    for (std::uint64_t n = varint(); n > 0; --n) {
      bool named = varint() == name;
      byte();  // the type
      text();
      found = found || (map == 1 && named);
    }
  }
  at_ = body;
  return found;
}

}  // namespace mljob::metrics
