#include "prediction/record_reader.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <random>
#include <stdexcept>

#include "base/test_support.h"
#include "metrics/tfrecord_reader.h"
#include "prediction/tfrecord_test_support.h"

namespace mljob::prediction {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

struct Record {
  std::string bytes;
  std::uint64_t offset = 0;
  bool operator==(const Record&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Record& record) {
  return out << "\"" << record.bytes << "\"@" << record.offset;
}

struct Read {
  std::vector<Record> records;
  std::vector<RecordError> errors;

  std::vector<std::string> texts() const {
    std::vector<std::string> out;
    for (const Record& record : records) out.push_back(record.bytes);
    return out;
  }
  std::string all_errors() const {
    std::string out;
    for (const RecordError& error : errors)
      out += error.path + "@" + std::to_string(error.offset) + ": " + error.message + "\n";
    return out;
  }
};

void read_into(Read& read, const Piece& piece, DataFormat format, std::uint64_t max_record_bytes) {
  read_piece(
      piece, format, max_record_bytes,
      [&](std::string_view record, std::uint64_t offset) {
        read.records.push_back({std::string(record), offset});
      },
      [&](const RecordError& error) { read.errors.push_back(error); });
}

Read read(const Piece& piece, DataFormat format, std::uint64_t max_record_bytes = 1 << 20) {
  Read out;
  read_into(out, piece, format, max_record_bytes);
  return out;
}

using testing::frame;
using testing::little_endian;

std::string with_bad_data_crc(const std::string& data) {
  std::string framed = frame(data);
  framed.back() ^= 0x01;
  return framed;
}

std::string with_bad_length_crc(const std::string& data) {
  std::string framed = frame(data);
  framed[9] ^= 0x01;
  return framed;
}

void write_gzip(const fs::path& path, const std::string& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  ASSERT_EQ(gzclose(file), Z_OK);
}

bool mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class RecordReaderTest : public ::testing::Test {
 protected:
  std::string file(const std::string& name, const std::string& bytes) {
    const fs::path path = scratch_.path() / name;
    mljob::testing::write_file(path, bytes);
    return path.string();
  }
  static Piece whole(const std::string& path) { return {path, 0, fs::file_size(path)}; }

  mljob::testing::ScratchFolder scratch_{"mljob-prediction-reader"};
};

// ---- Lines ----

TEST_F(RecordReaderTest, LinesWithoutTheirEndsEmptyAndBlankLinesSkipped) {
  const std::string text = "{\"a\":1}\r\n\n   \t\r\n{\"b\":2}\n\r\nlast";
  const Read got = read(whole(file("in.jsonl", text)), DataFormat::kJson);
  EXPECT_EQ(got.records,
            (std::vector<Record>{{"{\"a\":1}", 0}, {"{\"b\":2}", text.find("{\"b\"")}, {"last", text.find("last")}}));
  EXPECT_TRUE(got.errors.empty()) << got.all_errors();
}

TEST_F(RecordReaderTest, ALineAtTheLimitIsReadOnePastItIsAnError) {
  const std::string text = "0123456789\n0123456789A\n0123456789\r\nnext\n";
  const std::string path = file("in.txt", text);
  const Read got = read(whole(path), DataFormat::kText, 10);
  EXPECT_EQ(got.records, (std::vector<Record>{{"0123456789", 0}, {"0123456789", 23}, {"next", 35}}));
  ASSERT_EQ(got.errors.size(), 1u);
  EXPECT_EQ(got.errors[0].path, path);
  EXPECT_EQ(got.errors[0].offset, 11u);
  EXPECT_TRUE(mentions(got.errors[0].message, "11 bytes")) << got.errors[0].message;
}

TEST_F(RecordReaderTest, LinesRunningOverTheReadBuffer) {
  constexpr std::size_t kBuffer = 1 << 20;
  // A 10-byte line (and its '\r') across the buffer's end: at the limit; an 11-byte one past it.
  const std::string filler = std::string(kBuffer - 5, 'x') + "\n";
  const std::string at_limit = filler + "0123456789\r\n" + filler + "0123456789A\r\nafter";
  const Read got = read(whole(file("cross.txt", at_limit)), DataFormat::kText, 10);
  EXPECT_EQ(got.texts(), (std::vector<std::string>{"0123456789", "after"}));
  EXPECT_EQ(got.records[0].offset, filler.size());
  ASSERT_EQ(got.errors.size(), 3u) << got.all_errors();  // the two fillers and the 11-byte line
  EXPECT_EQ(got.errors[2].offset, 2 * filler.size() + 12);

  const std::string huge(3 * kBuffer + 17, 'y');
  const std::string path = file("huge.txt", "first\n" + huge + "\nlast\n");
  EXPECT_EQ(read(whole(path), DataFormat::kText, 4 * kBuffer).texts(),
            (std::vector<std::string>{"first", huge, "last"}));
  const Read limited = read(whole(path), DataFormat::kText, kBuffer);
  EXPECT_EQ(limited.texts(), (std::vector<std::string>{"first", "last"}));
  ASSERT_EQ(limited.errors.size(), 1u);
  EXPECT_EQ(limited.errors[0].offset, 6u);
  EXPECT_TRUE(mentions(limited.errors[0].message, std::to_string(huge.size()) + " bytes"));
}

TEST_F(RecordReaderTest, APieceHoldsTheLinesStartingInItEachReadToItsEnd) {
  const std::string path = file("in.txt", "aaa\nbbb\nccc\n");  // lines at 0, 4, 8
  auto lines = [&](std::uint64_t begin, std::uint64_t end) {
    return read({path, begin, end}, DataFormat::kText).texts();
  };
  using Lines = std::vector<std::string>;
  EXPECT_EQ(lines(0, 4), (Lines{"aaa"}));
  EXPECT_EQ(lines(4, 8), (Lines{"bbb"}));
  EXPECT_EQ(lines(0, 1), (Lines{"aaa"}));
  EXPECT_EQ(lines(1, 5), (Lines{"bbb"}));  // begins inside "aaa": that one is the piece before's
  EXPECT_EQ(lines(5, 9), (Lines{"ccc"}));
  EXPECT_EQ(lines(5, 8), (Lines{}));
  EXPECT_EQ(lines(3, 4), (Lines{}));
  EXPECT_EQ(lines(8, 100), (Lines{"ccc"}));
  EXPECT_EQ(lines(12, 12), (Lines{}));
}

TEST_F(RecordReaderTest, NextLineStart) {
  const std::string path = file("in.txt", "aaa\nbbb\n\nccc");  // lines at 0, 4, 8 (empty), 9; 12 bytes
  auto next = [&](std::uint64_t offset) { return next_record_start(path, DataFormat::kCsv, offset); };
  EXPECT_EQ(next(0), 0u);
  EXPECT_EQ(next(1), 4u);
  EXPECT_EQ(next(3), 4u);
  EXPECT_EQ(next(4), 4u);
  EXPECT_EQ(next(5), 8u);
  EXPECT_EQ(next(8), 8u);
  EXPECT_EQ(next(9), 9u);
  EXPECT_EQ(next(10), 12u);
  EXPECT_EQ(next(12), 12u);
  EXPECT_EQ(next(100), 12u);
}

TEST_F(RecordReaderTest, AFileThatCannotBeOpenedThrowsWithItsPathAndWhy) {
  const std::string path = (scratch_.path() / "missing.jsonl").string();
  for (DataFormat format : {DataFormat::kJson, DataFormat::kTfRecord, DataFormat::kTfRecordGzip}) {
    try {
      read({path, 0, 10}, format);
      ADD_FAILURE() << "no exception";
    } catch (const std::runtime_error& e) {
      EXPECT_TRUE(mentions(e.what(), path)) << e.what();
      EXPECT_TRUE(mentions(e.what(), "No such file or directory")) << e.what();
    }
  }
  EXPECT_THROW(next_record_start(path, DataFormat::kTfRecord, 5), std::runtime_error);
}

// ---- TFRecord ----

// A file's records as the reader should give them, and the bytes it is written from.
struct Sample {
  std::string bytes;
  std::vector<Record> records;
};

Sample random_lines(std::mt19937_64& random, int count) {
  Sample sample;
  std::uniform_int_distribution<int> kind(0, 9), length(0, 40), letter('a', 'z');
  for (int i = 0; i < count; ++i) {
    const int what = kind(random);
    std::string line;
    if (what == 0) line = "   \t";  // blank: not a record
    if (what >= 2) {
      for (int n = length(random) + 1; n > 0; --n) line += static_cast<char>(letter(random));
    }
    if (what >= 2) sample.records.push_back({line, sample.bytes.size()});
    sample.bytes += line + (what % 3 == 0 ? "\r\n" : "\n");
  }
  if (kind(random) < 5 && !sample.records.empty()) sample.bytes.pop_back();  // no '\n' at the end
  if (sample.bytes.ends_with('\r')) sample.bytes.pop_back();
  return sample;
}

Sample random_tfrecords(std::mt19937_64& random, int count) {
  Sample sample;
  std::uniform_int_distribution<int> length(0, 60), byte(0, 255);
  for (int i = 0; i < count; ++i) {
    std::string data;
    for (int n = length(random); n > 0; --n) data += static_cast<char>(byte(random));
    sample.records.push_back({data, sample.bytes.size()});
    sample.bytes += frame(data);
  }
  return sample;
}

TEST_F(RecordReaderTest, TfRecordsWithTheirOffsets) {
  const Read got = read(whole(file("in.tfrecord", frame("one") + frame("") + frame("three"))), DataFormat::kTfRecord);
  EXPECT_EQ(got.records, (std::vector<Record>{{"one", 0}, {"", 19}, {"three", 35}}));
  EXPECT_TRUE(got.errors.empty()) << got.all_errors();
}

TEST_F(RecordReaderTest, TfRecordWithABadDataCrcIsAnErrorAndTheNextIsRead) {
  const Read got =
      read(whole(file("in.tfrecord", frame("one") + with_bad_data_crc("two") + frame("three"))), DataFormat::kTfRecord);
  EXPECT_EQ(got.records, (std::vector<Record>{{"one", 0}, {"three", 38}}));
  ASSERT_EQ(got.errors.size(), 1u);
  EXPECT_EQ(got.errors[0].offset, 19u);
  EXPECT_TRUE(mentions(got.errors[0].message, "data CRC")) << got.errors[0].message;
}

TEST_F(RecordReaderTest, TfRecordWithABadLengthCrcIsAnErrorAndTheNextHeaderIsSearchedFor) {
  const Read got = read(whole(file("in.tfrecord", frame("one") + with_bad_length_crc("lost") + frame("two"))),
                        DataFormat::kTfRecord);
  EXPECT_EQ(got.records, (std::vector<Record>{{"one", 0}, {"two", 39}}));
  ASSERT_EQ(got.errors.size(), 1u);
  EXPECT_EQ(got.errors[0].offset, 19u);
  EXPECT_TRUE(mentions(got.errors[0].message, "length CRC")) << got.errors[0].message;
  EXPECT_TRUE(mentions(got.errors[0].message, "resumed at byte 39")) << got.errors[0].message;

  const Read none =
      read(whole(file("end.tfrecord", frame("one") + with_bad_length_crc("lost"))), DataFormat::kTfRecord);
  EXPECT_EQ(none.texts(), (std::vector<std::string>{"one"}));
  ASSERT_EQ(none.errors.size(), 1u);
  EXPECT_TRUE(mentions(none.errors[0].message, "found none")) << none.errors[0].message;
}

TEST_F(RecordReaderTest, TheSearchForAHeaderStopsAtThePiecesEnd) {
  const std::string path = file("in.tfrecord", frame("one") + with_bad_length_crc("lost") + frame("two"));
  const Read got = read({path, 0, 30}, DataFormat::kTfRecord);  // "two", at 39, is not this piece's
  EXPECT_EQ(got.texts(), (std::vector<std::string>{"one"}));
  ASSERT_EQ(got.errors.size(), 1u);
  EXPECT_TRUE(mentions(got.errors[0].message, "found none")) << got.errors[0].message;
}

TEST_F(RecordReaderTest, TruncatedLastTfRecordIsAnError) {
  const std::string cut = frame("three").substr(0, 15);
  for (const std::string& tail : {cut, cut.substr(0, 5)}) {
    const Read got = read(whole(file("in.tfrecord", frame("one") + tail)), DataFormat::kTfRecord);
    EXPECT_EQ(got.texts(), (std::vector<std::string>{"one"}));
    ASSERT_EQ(got.errors.size(), 1u);
    EXPECT_EQ(got.errors[0].offset, 19u);
    EXPECT_TRUE(mentions(got.errors[0].message, "truncated")) << got.errors[0].message;
  }
}

TEST_F(RecordReaderTest, TfRecordOverTheLimitIsSkippedUnread) {
  const Read got =
      read(whole(file("in.tfrecord", frame("one") + frame("far too long") + frame("two"))), DataFormat::kTfRecord, 5);
  EXPECT_EQ(got.texts(), (std::vector<std::string>{"one", "two"}));
  ASSERT_EQ(got.errors.size(), 1u);
  EXPECT_EQ(got.errors[0].offset, 19u);
  EXPECT_TRUE(mentions(got.errors[0].message, "longer than the limit")) << got.errors[0].message;
}

TEST_F(RecordReaderTest, TfRecordPieceBeginningInsideARecordStartsAtTheNext) {
  const std::string path = file("in.tfrecord", frame("one") + frame("two") + frame("three"));  // 0, 19, 38
  EXPECT_EQ(read({path, 19, 38}, DataFormat::kTfRecord).texts(), (std::vector<std::string>{"two"}));
  EXPECT_EQ(read({path, 1, 38}, DataFormat::kTfRecord).texts(), (std::vector<std::string>{"two"}));
  EXPECT_EQ(read({path, 20, 39}, DataFormat::kTfRecord).texts(), (std::vector<std::string>{"three"}));
  EXPECT_EQ(read({path, 0, 1}, DataFormat::kTfRecord).texts(), (std::vector<std::string>{"one"}));
}

TEST_F(RecordReaderTest, AnEightByteRecordsDataIsNotTakenForARecordStart) {
  // Its data and data CRC make a header whose length CRC holds, at byte 12 of the record.
  const std::string eight = "\x05\0\0\0\0\0\0\0"s;
  const std::string path = file("in.tfrecord", frame(eight) + frame("after"));  // 0, 24
  EXPECT_EQ(read({path, 12, 100}, DataFormat::kTfRecord).records, (std::vector<Record>{{"after", 24}}));
}

TEST_F(RecordReaderTest, NextTfRecordStartWalksTheHeaders) {
  const std::string path = file("in.tfrecord", frame("one") + frame("two") + frame("three"));  // 0, 19, 38; 59
  auto next = [&](std::uint64_t offset) { return next_record_start(path, DataFormat::kTfRecord, offset); };
  EXPECT_EQ(next(0), 0u);
  EXPECT_EQ(next(1), 19u);
  EXPECT_EQ(next(19), 19u);
  EXPECT_EQ(next(37), 38u);
  EXPECT_EQ(next(20), 38u);  // after a later walk: the cache holds no start it would skip to
  EXPECT_EQ(next(39), 59u);
  EXPECT_EQ(next(59), 59u);
  EXPECT_EQ(next(1000), 59u);

  // The same path, other records: what was learnt of the old file is not used.
  mljob::testing::write_file(path, frame("a") + frame("bb") + frame("ccc") + frame("dddd"));  // 0, 17, 35, 54; 74
  EXPECT_EQ(next(19), 35u);
  EXPECT_EQ(next(36), 54u);
  EXPECT_EQ(next(18), 35u);
}

TEST_F(RecordReaderTest, NextTfRecordStartAtOffsetsInAnyOrder) {
  // Small records (many headers to a read of the walk) and large ones (data jumped over).
  std::mt19937_64 random(5);
  Sample sample = random_tfrecords(random, 300);
  for (std::size_t big : {5000, 70000, 9}) {
    sample.records.push_back({std::string(big, 'z'), sample.bytes.size()});
    sample.bytes += frame(std::string(big, 'z'));
  }
  const std::string path = file("mixed.tfrecord", sample.bytes);
  std::vector<std::uint64_t> offsets;
  for (std::uint64_t offset = 0; offset <= sample.bytes.size() + 1; offset += 13) offsets.push_back(offset);
  std::shuffle(offsets.begin(), offsets.end(), random);
  for (std::uint64_t offset : offsets) {
    const auto expected = std::find_if(sample.records.begin(), sample.records.end(),
                                       [&](const Record& record) { return record.offset >= offset; });
    ASSERT_EQ(next_record_start(path, DataFormat::kTfRecord, offset),
              expected == sample.records.end() ? sample.bytes.size() : expected->offset)
        << "offset " << offset;
  }
}

TEST_F(RecordReaderTest, NextTfRecordStartStopsAtABrokenHeader) {
  const std::string path =
      file("in.tfrecord", frame("one") + with_bad_length_crc("two") + frame("three"));  // 0, 19, 38; 59
  EXPECT_EQ(next_record_start(path, DataFormat::kTfRecord, 1), 59u);
  EXPECT_EQ(next_record_start(path, DataFormat::kTfRecord, 40), 59u);
  const std::string truncated = file("cut.tfrecord", frame("one") + frame("three").substr(0, 15));
  EXPECT_EQ(next_record_start(truncated, DataFormat::kTfRecord, 1), 34u);
}

// ---- gzip'd TFRecord ----

TEST_F(RecordReaderTest, GzipTfRecordsWithUncompressedOffsets) {
  const fs::path path = scratch_.path() / "in.tfrecord.gz";
  write_gzip(path, frame("one") + with_bad_data_crc("two") + frame("three"));
  const Read got = read(whole(path.string()), DataFormat::kTfRecordGzip);
  EXPECT_EQ(got.records, (std::vector<Record>{{"one", 0}, {"three", 38}}));
  ASSERT_EQ(got.errors.size(), 1u);
  EXPECT_EQ(got.errors[0].offset, 19u);
  EXPECT_TRUE(mentions(got.errors[0].message, "data CRC"));
  EXPECT_EQ(next_record_start(path.string(), DataFormat::kTfRecordGzip, 0), 0u);
  EXPECT_EQ(next_record_start(path.string(), DataFormat::kTfRecordGzip, 5), fs::file_size(path));
  EXPECT_THROW(read({path.string(), 5, 10}, DataFormat::kTfRecordGzip), std::invalid_argument);
}

TEST_F(RecordReaderTest, GzipTfRecordsWithABadLengthAndTooLongRecords) {
  const fs::path path = scratch_.path() / "in.tfrecord.gz";
  write_gzip(path, frame("one") + with_bad_length_crc("lost") + frame("two") + frame("far too long") + frame("end"));
  const Read got = read(whole(path.string()), DataFormat::kTfRecordGzip, 5);
  EXPECT_EQ(got.texts(), (std::vector<std::string>{"one", "two", "end"}));
  ASSERT_EQ(got.errors.size(), 2u) << got.all_errors();
  EXPECT_TRUE(mentions(got.errors[0].message, "resumed at byte 39")) << got.errors[0].message;
  EXPECT_TRUE(mentions(got.errors[1].message, "longer than the limit")) << got.errors[1].message;
}

std::string numbered_records(int count) {
  std::string bytes;
  for (int i = 0; i < count; ++i) bytes += frame("{\"instance\": " + std::to_string(i) + "}");
  return bytes;
}

TEST_F(RecordReaderTest, CorruptOrTruncatedGzipStreamIsAnErrorAtTheOffsetReached) {
  const fs::path good = scratch_.path() / "good.gz";
  write_gzip(good, numbered_records(20000));
  const std::string compressed = mljob::testing::read_file(good);

  std::string damaged = compressed;
  for (std::size_t at = compressed.size() / 2; at < compressed.size() / 2 + 16; ++at) damaged[at] ^= 0x5a;
  const std::string cut = compressed.substr(0, compressed.size() / 2);
  for (const std::string& bytes : {damaged, cut}) {
    const Read got = read(whole(file("bad.gz", bytes)), DataFormat::kTfRecordGzip);
    ASSERT_GT(got.records.size(), 1000u) << got.all_errors();
    EXPECT_LT(got.records.size(), 20000u);
    ASSERT_FALSE(got.errors.empty());
    const RecordError& last = got.errors.back();
    EXPECT_TRUE(mentions(last.message, "corrupt gzip stream")) << got.all_errors();
    EXPECT_GE(last.offset, got.records.back().offset);
  }
}

// ---- Pieces together: every record exactly once ----

std::vector<std::uint64_t> random_cuts(std::mt19937_64& random, std::uint64_t size) {
  std::vector<std::uint64_t> cuts{0, size};
  for (int n = std::uniform_int_distribution<int>(0, 12)(random); n > 0; --n) {
    cuts.push_back(std::uniform_int_distribution<std::uint64_t>(0, size)(random));
  }
  std::sort(cuts.begin(), cuts.end());
  return cuts;
}

TEST_F(RecordReaderTest, PiecesBetweenRandomCutsReadEveryRecordOnce) {
  std::mt19937_64 random(7);
  for (int round = 0; round < 300; ++round) {
    const bool lines = round % 2 == 0;
    const DataFormat format = lines ? DataFormat::kJson : DataFormat::kTfRecord;
    const Sample sample = lines ? random_lines(random, 40) : random_tfrecords(random, 30);
    // A new file each round: a file rewritten in place within the clock's tick, at the same size,
    // would look unchanged to next_record_start's cache.
    const std::string path = file("sample" + std::to_string(round), sample.bytes);
    Read got;
    const std::vector<std::uint64_t> cuts = random_cuts(random, sample.bytes.size());
    for (std::size_t i = 0; i + 1 < cuts.size(); ++i) read_into(got, {path, cuts[i], cuts[i + 1]}, format, 1 << 20);
    ASSERT_EQ(got.records, sample.records) << "round " << round << " cuts " << ::testing::PrintToString(cuts);
    ASSERT_TRUE(got.errors.empty()) << got.all_errors();
  }
}

TEST_F(RecordReaderTest, ThePiecesOfAPlanReadEveryRecordOnce) {
  std::mt19937_64 random(11);
  for (int round = 0; round < 100; ++round) {
    const bool lines = round % 2 == 0;
    const DataFormat format = lines ? DataFormat::kText : DataFormat::kTfRecord;
    std::vector<InputFile> files;
    std::vector<Record> expected;
    for (int i = 0; i < 3; ++i) {
      const Sample sample = lines ? random_lines(random, 50) : random_tfrecords(random, 40);
      const std::string name = "part" + std::to_string(round) + "-" + std::to_string(i);
      files.push_back({file(name, sample.bytes), sample.bytes.size()});
      for (const Record& record : sample.records) expected.push_back(record);
    }
    const auto shards = plan_shards(
        files, std::uniform_int_distribution<int>(1, 16)(random), 1, true,
        [&](const std::string& path, std::uint64_t offset) { return next_record_start(path, format, offset); });
    Read got;
    for (const Shard& shard : shards) {
      for (const Piece& piece : shard.pieces) read_into(got, piece, format, 1 << 20);
    }
    ASSERT_EQ(got.records, expected) << "round " << round;
    ASSERT_TRUE(got.errors.empty()) << got.all_errors();
  }
}

TEST_F(RecordReaderTest, ThePiecesOfAPlanOverABrokenTfRecordFileReadTheRestOnce) {
  std::mt19937_64 random(13);
  const Sample before = random_tfrecords(random, 50);
  const Sample after = random_tfrecords(random, 50);
  const std::string broken = with_bad_length_crc("lost");
  const std::string path = file("broken.tfrecord", before.bytes + broken + after.bytes);
  std::vector<Record> expected = before.records;
  for (Record record : after.records) {
    record.offset += before.bytes.size() + broken.size();
    expected.push_back(record);
  }
  const auto shards = plan_shards(
      {{path, fs::file_size(path)}}, 8, 1, true,
      [&](const std::string& p, std::uint64_t offset) { return next_record_start(p, DataFormat::kTfRecord, offset); });
  Read got;
  for (const Shard& shard : shards) read_into(got, shard.pieces.at(0), DataFormat::kTfRecord, 1 << 20);
  EXPECT_EQ(got.records, expected);
  ASSERT_EQ(got.errors.size(), 1u);
  EXPECT_EQ(got.errors[0].offset, before.bytes.size());
}

}  // namespace
}  // namespace mljob::prediction
