#include "metrics/tfrecord_reader.h"

#include <gtest/gtest.h>

#include <optional>

#include "base/test_support.h"

#include <fstream>

#include "metrics/event_decoder.h"

namespace mljob::metrics {
namespace {

namespace fs = std::filesystem;

std::string le(std::uint64_t value, int bytes) {
  std::string out;
  for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
  return out;
}

std::string frame(const std::string& data) {
  std::string length = le(data.size(), 8);
  return length + le(masked_crc32c(length), 4) + data + le(masked_crc32c(data), 4);
}

class TempFile : public ::testing::Test {
 protected:
  void SetUp() override {
    scratch_.emplace("mljob-tfrecord");
    path_ = scratch_->path() / "records.tfrecord";
  }
  std::optional<mljob::testing::ScratchFolder> scratch_;
  void write(const std::string& bytes, bool append = false) {
    std::ofstream out(path_, std::ios::binary | (append ? std::ios::app : std::ios::trunc));
    out << bytes;
  }
  fs::path path_;
};

TEST(Crc32c, KnownCheckValue) {
  // CRC-32C("123456789") = 0xE3069283 (the catalogue's check value); TFRecord masks it.
  std::uint32_t crc = 0xE3069283u;
  EXPECT_EQ(masked_crc32c("123456789"), ((crc >> 15) | (crc << 17)) + 0xa282ead8u);
}

TEST_F(TempFile, RecordsOfAFileStillBeingWritten) {
  std::vector<std::string> seen;
  std::vector<std::string> warnings;
  TfRecordReader reader(path_);
  auto on_record = [&](std::string_view r) { seen.emplace_back(r); };
  auto warn = [&](const std::string& w) { warnings.push_back(w); };
  std::string second = frame("second");
  write(frame("first") + second.substr(0, 10));
  reader.read_new(on_record, warn);
  EXPECT_EQ(seen, (std::vector<std::string>{"first"}));
  write(second.substr(10), true);
  reader.read_new(on_record, warn);
  EXPECT_EQ(seen, (std::vector<std::string>{"first", "second"}));
  EXPECT_TRUE(warnings.empty());
}

TEST_F(TempFile, CorruptDataIsSkippedCorruptLengthResyncsTruncationIsReported) {
  std::string bad_data = frame("damaged");
  bad_data[14] ^= 0x40;  // a byte of the data
  std::string bad_length = frame("lost");
  bad_length[2] ^= 0x01;  // a byte of the length
  write(frame("one") + bad_data + bad_length + frame("two") + frame("three").substr(0, 15));
  std::vector<std::string> seen, warnings;
  TfRecordReader reader(path_);
  reader.read_new([&](std::string_view r) { seen.emplace_back(r); },
                  [&](const std::string& w) { warnings.push_back(w); },
                  /*final=*/true);
  EXPECT_EQ(seen, (std::vector<std::string>{"one", "two"}));
  ASSERT_EQ(warnings.size(), 3u);
  EXPECT_NE(warnings[0].find("data CRC"), std::string::npos);
  EXPECT_NE(warnings[1].find("length CRC"), std::string::npos);
  EXPECT_NE(warnings[2].find("truncated"), std::string::npos);
  EXPECT_EQ(reader.corrupt_records(), 2u);
}

TEST_F(TempFile, JunkNeverHangsOrCrashes) {
  std::string junk;
  for (int i = 0; i < (1 << 18); ++i) junk += static_cast<char>((i * 7919) >> 3);
  write(junk + frame("after the junk"));
  std::vector<std::string> seen;
  TfRecordReader reader(path_);
  reader.read_new([&](std::string_view r) { seen.emplace_back(r); }, [](const std::string&) {}, true);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), "after the junk");
}

// A record of exactly kMaxTfRecordBytes (64 MiB) is read; one a byte longer is counted corrupt
// and skipped unread, and the record after it is found.
TEST_F(TempFile, ARecordOfTheBoundIsReadAndOneBytePastItSkipped) {
  const std::string at(kMaxTfRecordBytes, 'x');
  write(frame(at) + frame(at + "x") + frame("after"));
  std::vector<std::size_t> sizes;
  std::vector<std::string> warnings;
  TfRecordReader reader(path_);
  reader.read_new([&](std::string_view r) { sizes.push_back(r.size()); },
                  [&](const std::string& w) { warnings.push_back(w); }, /*final=*/true);
  EXPECT_EQ(sizes, (std::vector<std::size_t>{kMaxTfRecordBytes, 5}));
  EXPECT_EQ(reader.corrupt_records(), 1u);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("beyond the limit"), std::string::npos) << warnings[0];
}

TEST(EventDecoder, GarbageIsNotAnEvent) {
  EXPECT_FALSE(decode_event("\x0a\xff\xff\xff\xff\x0f").has_value());
  EXPECT_FALSE(decode_event("\x29\x01\x02").has_value());  // a fixed64 cut short
  auto empty = decode_event("");
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->scalars.empty());
}

}  // namespace
}  // namespace mljob::metrics
