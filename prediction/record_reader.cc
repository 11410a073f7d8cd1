#include "prediction/record_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <vector>

#include "metrics/tfrecord_reader.h"

namespace mljob::prediction {
namespace {

using RecordFn = std::function<void(std::string_view record, std::uint64_t offset)>;
using ErrorFn = std::function<void(const RecordError&)>;

constexpr std::size_t kChunkBytes = 1 << 20;
constexpr std::size_t kScanChunkBytes = 64 << 10;          // looking for the next '\n': lines are short
constexpr std::size_t kGzipReadBytes = 16 << 10;           // see GzipStream::read_more
constexpr std::uint64_t kHeaderBytes = 12;                 // a TFRecord's length (8) and its masked CRC-32C (4)
constexpr std::uint64_t kFramingBytes = kHeaderBytes + 4;  // and the data's masked CRC-32C after it

[[noreturn]] void throw_system_error(const std::string& path, const std::string& doing, int error) {
  throw std::runtime_error(path + ": cannot " + doing + ": " + std::strerror(error));
}

// A file open for reading, closed with this.
class OpenFile {
 public:
  explicit OpenFile(const std::string& path) : path_(path), fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0) throw_system_error(path, "open", errno);
    if (::fstat(fd_, &status_) != 0) {
      const int error = errno;
      ::close(fd_);
      throw_system_error(path, "stat", error);
    }
  }
  ~OpenFile() { ::close(fd_); }
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;

  const std::string& path() const { return path_; }
  const struct stat& status() const { return status_; }
  std::uint64_t size() const { return static_cast<std::uint64_t>(status_.st_size); }
  // A hint that lets the kernel read ahead further; nothing depends on it.
  void advise_sequential() const { ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL); }

  // Up to `size` bytes at `offset`: fewer only at the file's end.
  std::size_t read_at(std::uint64_t offset, char* out, std::size_t size) const {
    std::size_t done = 0;
    while (done < size) {
      const ssize_t got = ::pread(fd_, out + done, size - done, static_cast<off_t>(offset + done));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) throw_system_error(path_, "read", errno);
      if (got == 0) break;
      done += static_cast<std::size_t>(got);
    }
    return done;
  }

 private:
  std::string path_;
  int fd_;
  struct stat status_ {};
};

// ---- Lines (JSON, TEXT, CSV) ----

// The position just after the first '\n' at or after `from`, or the file's size.
std::uint64_t position_after_newline(const OpenFile& file, std::uint64_t from) {
  std::vector<char> buffer(kScanChunkBytes);
  for (std::uint64_t at = from;;) {
    const std::size_t got = file.read_at(at, buffer.data(), buffer.size());
    if (got == 0) return file.size();
    if (const void* found = std::memchr(buffer.data(), '\n', got)) {
      return at + static_cast<std::uint64_t>(static_cast<const char*>(found) - buffer.data()) + 1;
    }
    at += got;
  }
}

std::uint64_t line_start_at_or_after(const OpenFile& file, std::uint64_t offset) {
  if (offset == 0) return 0;
  if (offset >= file.size()) return file.size();
  return position_after_newline(file, offset - 1);  // the byte before tells whether offset starts a line
}

bool is_blank(std::string_view line) {
  return std::all_of(line.begin(), line.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; });
}

// The lines of a piece, read through one fixed buffer. A line is passed on from the buffer
// where it lies whole; one that runs over a read's end is carried into the next, up to the
// limit (a longer one is only counted, never held).
class LinePieceReader {
 public:
  LinePieceReader(const OpenFile& file, std::uint64_t max_record_bytes, const RecordFn& on_record,
                  const ErrorFn& on_error)
      : file_(file),
        max_record_bytes_(max_record_bytes),
        // One byte more than a record may have: a '\r' before the '\n' is not the record's.
        hold_limit_(max_record_bytes + (max_record_bytes < UINT64_MAX ? 1 : 0)),
        on_record_(on_record),
        on_error_(on_error) {}

  // Every line that starts in [start, end), start being a line start.
  void read(std::uint64_t start, std::uint64_t end) {
    std::vector<char> buffer(kChunkBytes);
    line_start_ = start;
    for (std::uint64_t at = start; line_start_ < end;) {
      const std::size_t got = file_.read_at(at, buffer.data(), buffer.size());
      if (got == 0) break;
      take(std::string_view(buffer.data(), got), at, end);
      at += got;
    }
    if (carried_bytes_ > 0) finish_line({});  // the last line, with no '\n' after it
  }

 private:
  // Finishes the lines that end in `chunk` and holds the one that goes on past it; stops once a
  // line starts at or after `end`.
  void take(std::string_view chunk, std::uint64_t chunk_offset, std::uint64_t end) {
    std::size_t from = 0;
    while (const void* found = std::memchr(chunk.data() + from, '\n', chunk.size() - from)) {
      const auto newline = static_cast<std::size_t>(static_cast<const char*>(found) - chunk.data());
      finish_line(chunk.substr(from, newline - from));
      from = newline + 1;
      line_start_ = chunk_offset + from;
      if (line_start_ >= end) return;
    }
    hold(chunk.substr(from));
  }

  void hold(std::string_view part) {
    carried_bytes_ += part.size();
    if (carried_bytes_ <= hold_limit_) {
      carry_.append(part);
    } else {
      carry_.clear();
    }
  }

  void finish_line(std::string_view last_part) {
    if (carried_bytes_ == 0) {
      deliver(last_part);
      return;
    }
    hold(last_part);
    if (carried_bytes_ > hold_limit_) {
      report_too_long(carried_bytes_);
    } else {
      deliver(carry_);
    }
    carry_.clear();
    carried_bytes_ = 0;
  }

  void deliver(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > max_record_bytes_) {
      report_too_long(line.size());
    } else if (!is_blank(line)) {
      on_record_(line, line_start_);
    }
  }

  void report_too_long(std::uint64_t bytes) {
    on_error_({file_.path(), line_start_,
               "line of " + std::to_string(bytes) + " bytes is longer than the limit of " +
                   std::to_string(max_record_bytes_) + " bytes; skipped"});
  }

  const OpenFile& file_;
  const std::uint64_t max_record_bytes_;
  const std::uint64_t hold_limit_;
  const RecordFn& on_record_;
  const ErrorFn& on_error_;
  std::string carry_;                // the start of a line that runs over a read, up to hold_limit_
  std::uint64_t carried_bytes_ = 0;  // that line's length so far, counted past the limit too
  std::uint64_t line_start_ = 0;
};

void read_line_piece(const Piece& piece, std::uint64_t max_record_bytes, const RecordFn& on_record,
                     const ErrorFn& on_error) {
  const OpenFile file(piece.path);
  file.advise_sequential();
  const std::uint64_t start = line_start_at_or_after(file, piece.begin);
  if (start >= piece.end) return;
  LinePieceReader(file, max_record_bytes, on_record, on_error).read(start, piece.end);
}

// ---- TFRecord framing ----

std::uint64_t read_le(const char* bytes, int count) {
  std::uint64_t value = 0;
  for (int i = count - 1; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

std::uint64_t record_length(const char* header) {
  return read_le(header, 8);
}

bool length_crc_holds(const char* header) {
  return read_le(header + 8, 4) == metrics::masked_crc32c(std::string_view(header, 8));
}

// Record starts found by earlier walks, per file while it is unchanged (the same inode, size and
// modification time): a plan asks for rising offsets in one file, and each walk goes on from
// where the one before stopped instead of from the file's start. Bounded: it forgets all past
// a number of files or starts, which only costs walks again.
class BoundaryCache {
 public:
  std::uint64_t start_at_or_before(const OpenFile& file, std::uint64_t offset) {
    const std::lock_guard lock(mutex_);
    const auto found = files_.find(file.path());
    if (found == files_.end() || found->second.identity != identity_of(file)) return 0;
    const std::set<std::uint64_t>& starts = found->second.starts;
    const auto after = starts.upper_bound(offset);
    return after == starts.begin() ? 0 : *std::prev(after);
  }

  void remember(const OpenFile& file, std::uint64_t start) {
    const std::lock_guard lock(mutex_);
    if (files_.size() >= kMostFiles && !files_.contains(file.path())) files_.clear();
    Known& known = files_[file.path()];
    const Identity identity = identity_of(file);
    if (known.identity != identity || known.starts.size() >= kMostStartsPerFile) known = Known{identity, {}};
    known.starts.insert(start);
  }

 private:
  static constexpr std::size_t kMostFiles = 1024;
  static constexpr std::size_t kMostStartsPerFile = 1 << 16;

  struct Identity {
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = 0;
    std::int64_t modified_seconds = 0, modified_nanoseconds = 0;
    bool operator==(const Identity&) const = default;
  };
  struct Known {
    Identity identity;
    std::set<std::uint64_t> starts;
  };

  static Identity identity_of(const OpenFile& file) {
    const struct stat& status = file.status();
    return {status.st_dev, status.st_ino, status.st_size, status.st_mtim.tv_sec, status.st_mtim.tv_nsec};
  }

  std::mutex mutex_;
  std::map<std::string, Known> files_;
};

BoundaryCache& boundary_cache() {
  static BoundaryCache cache;
  return cache;
}

// The headers a walk reads, through one page-sized window: small records' headers come many to a
// read, and a large record's data is jumped over, never read.
class HeaderWindow {
 public:
  explicit HeaderWindow(const OpenFile& file) : file_(file) {}

  // The 12 header bytes at `at`; nullptr when the file ends before them.
  const char* header_at(std::uint64_t at) {
    if (at < start_ || at + kHeaderBytes > start_ + filled_) {
      start_ = at;
      filled_ = file_.read_at(at, bytes_.data(), bytes_.size());
      if (filled_ < kHeaderBytes) return nullptr;
    }
    return bytes_.data() + (at - start_);
  }

 private:
  const OpenFile& file_;
  std::array<char, 4096> bytes_{};
  std::uint64_t start_ = 0;
  std::size_t filled_ = 0;
};

std::uint64_t next_tfrecord_start(const OpenFile& file, std::uint64_t offset) {
  if (offset == 0) return 0;
  const std::uint64_t size = file.size();
  if (offset >= size) return size;
  std::uint64_t at = boundary_cache().start_at_or_before(file, offset);
  HeaderWindow window(file);
  while (true) {
    const char* header = size - at < kFramingBytes ? nullptr : window.header_at(at);
    // Past a broken header, or one whose record runs past the end, no start can be trusted.
    if (header == nullptr || !length_crc_holds(header) || record_length(header) > size - at - kFramingBytes) {
      return size;
    }
    if (at >= offset) break;
    at += kFramingBytes + record_length(header);
  }
  boundary_cache().remember(file, at);
  return at;
}

// Whether a whole, well-formed record starts at `at`: its length CRC and its data CRC hold. The
// header alone is not enough: an 8-byte record's data and data CRC are a valid header too.
bool record_starts_at(const OpenFile& file, std::uint64_t at, std::uint64_t max_record_bytes) {
  char header[kHeaderBytes];
  if (file.read_at(at, header, kHeaderBytes) < kHeaderBytes || !length_crc_holds(header)) return false;
  const std::uint64_t length = record_length(header);
  const std::uint64_t left = file.size() - at;
  if (left < kFramingBytes || length > left - kFramingBytes || length > max_record_bytes) return false;
  std::string rest(length + 4, '\0');  // the data and its CRC
  if (file.read_at(at + kHeaderBytes, rest.data(), rest.size()) < rest.size()) return false;
  return read_le(rest.data() + length, 4) == metrics::masked_crc32c(std::string_view(rest.data(), length));
}

// Where a TF_RECORD piece's reading starts: its begin when a whole record starts there (as at
// every cut of a plan; checked, not walked to, because a walk reads a header per record before
// it), else the first record start after it.
std::uint64_t tfrecord_piece_start(const OpenFile& file, std::uint64_t begin, std::uint64_t max_record_bytes) {
  if (begin == 0 || begin >= file.size() || record_starts_at(file, begin, max_record_bytes)) return begin;
  return next_tfrecord_start(file, begin);
}

// Bytes read in order through a window that can be looked ahead in: a record is looked at whole
// before it is passed on, and a damaged stretch is searched byte by byte.
class ByteStream {
 public:
  explicit ByteStream(std::uint64_t position) : position_(position) {}
  virtual ~ByteStream() = default;
  ByteStream(const ByteStream&) = delete;
  ByteStream& operator=(const ByteStream&) = delete;

  // `count` bytes from the position on, or all that are left when fewer are. Valid until the
  // next look.
  std::string_view look(std::size_t count) {
    while (buffered() < count && !ended_) fill(count);
    return {buffer_.data() + head_, std::min(buffered(), count)};
  }

  // Past `count` bytes that were looked at.
  void advance(std::size_t count) {
    head_ += count;
    position_ += count;
  }

  // Past `count` bytes, looked at or not, without holding them; how many there were.
  std::uint64_t skip(std::uint64_t count) {
    const std::uint64_t from_window = std::min<std::uint64_t>(count, buffered());
    advance(from_window);
    const std::uint64_t from_source = count == from_window ? 0 : skip_unread(count - from_window);
    position_ += from_source;
    return from_window + from_source;
  }

  std::uint64_t position() const { return position_; }
  // How far the source was read: the position of its first byte not yet in the window.
  std::uint64_t reached() const { return position_ + buffered(); }
  // Why the stream ended before its source's end (a damaged gzip stream), when it did.
  virtual std::optional<std::string> failure() const { return std::nullopt; }

 protected:
  // Up to `size` more bytes into `out`; 0 at the end.
  virtual std::size_t read_more(char* out, std::size_t size) = 0;

  // Past `count` bytes not yet read; how many there were. Reading and dropping them unless a
  // source can do better.
  virtual std::uint64_t skip_unread(std::uint64_t count) {
    std::vector<char> dropped(std::min<std::uint64_t>(count, kChunkBytes));
    std::uint64_t done = 0;
    while (done < count) {
      const std::size_t got = read_more(dropped.data(), std::min<std::uint64_t>(count - done, dropped.size()));
      if (got == 0) break;
      done += got;
    }
    return done;
  }

 private:
  std::size_t buffered() const { return tail_ - head_; }

  void fill(std::size_t count) {
    if (head_ > 0) {  // what is left of the window to the buffer's start, to make room after it
      std::memmove(buffer_.data(), buffer_.data() + head_, buffered());
      tail_ -= head_;
      head_ = 0;
    }
    if (buffer_.size() < std::max(count, kChunkBytes)) buffer_.resize(std::max(count, kChunkBytes));
    const std::size_t got = read_more(buffer_.data() + tail_, buffer_.size() - tail_);
    ended_ = got == 0;
    tail_ += got;
  }

  std::vector<char> buffer_;
  std::size_t head_ = 0, tail_ = 0;  // the window: buffer_[head_, tail_)
  std::uint64_t position_;           // the source's offset of buffer_[head_]
  bool ended_ = false;
};

class FileStream : public ByteStream {
 public:
  FileStream(const OpenFile& file, std::uint64_t start) : ByteStream(start), file_(file), next_(start) {}

 protected:
  std::size_t read_more(char* out, std::size_t size) override {
    const std::size_t got = file_.read_at(next_, out, size);
    next_ += got;
    return got;
  }
  std::uint64_t skip_unread(std::uint64_t count) override {
    const std::uint64_t skipped = std::min(count, file_.size() - std::min(next_, file_.size()));
    next_ += skipped;
    return skipped;
  }

 private:
  const OpenFile& file_;
  std::uint64_t next_;  // the offset of the first byte not read yet
};

gzFile open_gzip(const std::string& path) {
  errno = 0;                                    // zlib's own failures (no memory) leave it alone
  gzFile file = ::gzopen(path.c_str(), "rbe");  // 'e': close on exec
  if (file == nullptr) throw_system_error(path, "open", errno != 0 ? errno : ENOMEM);
  return file;
}

// A gzip file's uncompressed bytes (several members one after the other, as gzip allows).
class GzipStream : public ByteStream {
 public:
  explicit GzipStream(const std::string& path) : ByteStream(0), path_(path), file_(open_gzip(path)) {}
  ~GzipStream() override { ::gzclose(file_); }

  std::optional<std::string> failure() const override { return failure_; }

 protected:
  std::size_t read_more(char* out, std::size_t size) override {
    if (failure_) return 0;
    // zlib gives nothing of a read that fails: small reads (and zlib's own small buffers, left
    // as they are) lose little before a damaged stretch.
    const int got = ::gzread(file_, out, static_cast<unsigned>(std::min(size, kGzipReadBytes)));
    if (got > 0) return static_cast<std::size_t>(got);
    int code = Z_OK;
    const char* message = ::gzerror(file_, &code);
    if (code == Z_ERRNO) throw_system_error(path_, "read", errno);  // the disk's fault, not the data's
    if (code != Z_OK) failure_ = "corrupt gzip stream (" + without_path(message) + "); the rest of the file is lost";
    return 0;
  }

 private:
  // zlib's message is "<path>: <what>"; the error names the path already.
  std::string without_path(const std::string& message) const {
    return message.starts_with(path_ + ": ") ? message.substr(path_.size() + 2) : message;
  }

  std::string path_;
  gzFile file_;
  std::optional<std::string> failure_;
};

// The records of a TFRecord stream that start before `end`, with their CRCs checked.
class TfRecordPieceReader {
 public:
  TfRecordPieceReader(const std::string& path, std::uint64_t max_record_bytes, const RecordFn& on_record,
                      const ErrorFn& on_error)
      : path_(path), max_record_bytes_(max_record_bytes), on_record_(on_record), on_error_(on_error) {}

  // `stream_size`: how many bytes the stream has at most, from its start (a file's size; the
  // largest value when it is not known): a length past it is seen without reading.
  void read(ByteStream& in, std::uint64_t end, std::uint64_t stream_size) {
    while (in.position() < end && read_record(in, end, stream_size)) {
    }
    if (const auto failure = in.failure()) report(in.reached(), *failure);
  }

 private:
  // The record at the stream's position; false when nothing after it can be read.
  bool read_record(ByteStream& in, std::uint64_t end, std::uint64_t stream_size) {
    const std::uint64_t at = in.position();
    const std::string_view header = in.look(kHeaderBytes);
    if (header.size() < kHeaderBytes) {
      if (!header.empty()) report_cut_short(in, at, header.size(), "a record header");
      return false;
    }
    if (!length_crc_holds(header.data())) return search_next_header(in, end);
    const std::uint64_t length = record_length(header.data());
    const std::uint64_t left = stream_size - at;
    if (left < kFramingBytes || length > left - kFramingBytes) {
      report_cut_short(in, at, left, "a record of " + std::to_string(length) + " bytes");
      return false;
    }
    if (length > max_record_bytes_) return skip_too_long(in, at, length);
    const std::string_view framed = in.look(kFramingBytes + length);
    if (framed.size() < kFramingBytes + length) {
      report_cut_short(in, at, framed.size(), "a record of " + std::to_string(length) + " bytes");
      return false;
    }
    pass_on(framed.substr(kHeaderBytes, length), read_le(framed.data() + kHeaderBytes + length, 4), at);
    in.advance(framed.size());
    return true;
  }

  void pass_on(std::string_view data, std::uint64_t data_crc, std::uint64_t at) {
    if (data_crc == metrics::masked_crc32c(data)) {
      on_record_(data, at);
    } else {
      report(at, "record fails its data CRC; skipped");
    }
  }

  // A well-framed record too long to hold: passed over unread.
  bool skip_too_long(ByteStream& in, std::uint64_t at, std::uint64_t length) {
    const std::uint64_t framed = kFramingBytes + length;
    const std::uint64_t skipped = in.skip(framed);
    if (skipped < framed) {
      report_cut_short(in, at, skipped, "a record of " + std::to_string(length) + " bytes");
      return false;
    }
    report(at, "record of " + std::to_string(length) + " bytes is longer than the limit of " +
                   std::to_string(max_record_bytes_) + " bytes; skipped");
    return true;
  }

  // After a header whose length CRC fails, nothing says where the next record starts: the rest of
  // the piece is searched for a header that holds its CRC (and a length within the limit).
  bool search_next_header(ByteStream& in, std::uint64_t end) {
    const std::uint64_t broken = in.position();
    const std::string what = "corrupt record header (length CRC mismatch); ";
    in.advance(1);
    while (in.position() < end) {
      const std::string_view window = in.look(kChunkBytes);
      if (window.size() < kHeaderBytes) break;
      const std::uint64_t candidates = std::min<std::uint64_t>(window.size() - kHeaderBytes + 1, end - in.position());
      for (std::size_t at = 0; at < candidates; ++at) {
        if (plausible_header(window.data() + at)) {
          in.advance(at);
          report(broken, what + "searched on and resumed at byte " + std::to_string(in.position()) +
                             ", the next header whose length CRC holds");
          return true;
        }
      }
      in.advance(candidates);
    }
    report(broken, what + "searched the rest of the piece for a header whose length CRC holds and found none");
    return false;
  }

  bool plausible_header(const char* header) const {
    return length_crc_holds(header) && record_length(header) <= max_record_bytes_;
  }

  void report_cut_short(const ByteStream& in, std::uint64_t at, std::uint64_t left, const std::string& needed) {
    if (in.failure()) return;  // a damaged gzip stream ends early: that is reported once, as such
    report(at, "truncated record: " + std::to_string(left) + " bytes left at the end, too few for " + needed);
  }

  void report(std::uint64_t offset, std::string message) { on_error_({path_, offset, std::move(message)}); }

  const std::string& path_;
  const std::uint64_t max_record_bytes_;
  const RecordFn& on_record_;
  const ErrorFn& on_error_;
};

void read_tfrecord_piece(const Piece& piece, std::uint64_t max_record_bytes, const RecordFn& on_record,
                         const ErrorFn& on_error) {
  const OpenFile file(piece.path);
  const std::uint64_t start = tfrecord_piece_start(file, piece.begin, max_record_bytes);
  if (start >= piece.end) return;
  FileStream stream(file, start);
  TfRecordPieceReader(piece.path, max_record_bytes, on_record, on_error).read(stream, piece.end, file.size());
}

void read_gzip_tfrecord_piece(const Piece& piece, std::uint64_t max_record_bytes, const RecordFn& on_record,
                              const ErrorFn& on_error) {
  if (piece.begin != 0) {
    throw std::invalid_argument(piece.path + ": a gzip stream is read from its start, not from byte " +
                                std::to_string(piece.begin));
  }
  GzipStream stream(piece.path);
  constexpr std::uint64_t kUnknown = std::numeric_limits<std::uint64_t>::max();
  TfRecordPieceReader(piece.path, max_record_bytes, on_record, on_error).read(stream, kUnknown, kUnknown);
}

}  // namespace

std::uint64_t next_record_start(const std::string& path, DataFormat format, std::uint64_t offset) {
  const OpenFile file(path);
  switch (format) {
    case DataFormat::kJson:
    case DataFormat::kText:
    case DataFormat::kCsv:
      return line_start_at_or_after(file, offset);
    case DataFormat::kTfRecord:
      return next_tfrecord_start(file, offset);
    case DataFormat::kTfRecordGzip:
      return offset == 0 ? 0 : file.size();
  }
  throw std::invalid_argument("next_record_start: unknown data format");
}

void read_piece(const Piece& piece, DataFormat format, std::uint64_t max_record_bytes,
                const std::function<void(std::string_view record, std::uint64_t offset)>& on_record,
                const std::function<void(const RecordError&)>& on_error) {
  switch (format) {
    case DataFormat::kJson:
    case DataFormat::kText:
    case DataFormat::kCsv:
      return read_line_piece(piece, max_record_bytes, on_record, on_error);
    case DataFormat::kTfRecord:
      return read_tfrecord_piece(piece, max_record_bytes, on_record, on_error);
    case DataFormat::kTfRecordGzip:
      return read_gzip_tfrecord_piece(piece, max_record_bytes, on_record, on_error);
  }
  throw std::invalid_argument("read_piece: unknown data format");
}

}  // namespace mljob::prediction
