// A batch prediction's input records, read from one piece of a file (shard_plan.h) in bounded
// memory whatever the file's size: lines (JSON, TEXT, CSV) through a fixed buffer, TFRecords
// framed and CRC-checked as TensorFlow writes them, a gzip'd TFRecord file streamed through
// zlib. An unreadable record is reported and reading goes on where it can: one bad record
// must not cost a job its other predictions.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/prediction_input.h"
#include "prediction/shard_plan.h"

namespace mljob::prediction {

// Where a record starts, for messages: the file and the byte offset (uncompressed offset for gzip).
struct RecordError {
  std::string path;
  std::uint64_t offset = 0;
  std::string message;
};

// For a splittable format: the first record start at or after `offset` (the file's size when
// there is none).
// - JSON, TEXT, CSV: 0, or just after a '\n' (the scan starts at offset - 1).
// - TF_RECORD: the record headers are walked from the file's start, or from a boundary an
//   earlier call found in the same unchanged file (a process-wide cache, so that a plan's
//   rising offsets walk the file once): header reads and seeks (a page at a time, so small
//   records' headers come many to a read; a larger record's data is never read). The walk
//   stops at a header whose length CRC fails, or one whose record runs past the end, and gives
//   the file's size: nothing after a broken header can be trusted to be a record start, so
//   the rest of the file stays with the piece that holds the broken header (read_piece
//   searches it for the next good header).
// - TF_RECORD_GZIP: a stream is read from its start only: 0 for offset 0, else the file's size.
// Throws std::runtime_error (the path and strerror) when the file cannot be read.
std::uint64_t next_record_start(const std::string& path, DataFormat format, std::uint64_t offset);

// Calls on_record(record bytes, offset) for every record of the piece, in order, and
// on_error(RecordError) for each one that cannot be read, going on where it can. The record's
// bytes are valid only during the call.
// - JSON, TEXT, CSV: a record is a line (the '\n' and a trailing '\r' removed). Empty and
//   all-whitespace lines are skipped, not records. A line longer than max_record_bytes is an
//   error (passed over without holding it) and reading goes on at the next line. A piece whose
//   begin is not a line start starts at the next one.
// - TF_RECORD: a data CRC failure or a record longer than max_record_bytes is an error for
//   that record and reading goes on after it. A length CRC failure is an error, and the rest of
//   the piece is searched for the next header whose length CRC holds (the message says where
//   reading resumed, or that it gave up at the piece's end). A truncated last record is an
//   error. A begin where no whole record (both CRCs holding) starts is not taken as a record
//   start: reading starts at next_record_start(begin) (plan_shards' cuts are record starts).
// - TF_RECORD_GZIP: the piece is the whole file (begin must be 0, std::invalid_argument
//   otherwise; its end is not used), read through zlib as one stream with the same framing;
//   offsets are uncompressed. A corrupt or truncated gzip stream is an error at the offset
//   reached.
// Throws std::runtime_error (the path and strerror) when the file cannot be opened or read.
void read_piece(const Piece& piece, DataFormat format, std::uint64_t max_record_bytes,
                const std::function<void(std::string_view record, std::uint64_t offset)>& on_record,
                const std::function<void(const RecordError&)>& on_error);

}  // namespace mljob::prediction
