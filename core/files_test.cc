#include "core/files.h"

#include <fstream>

#include "core/test_support.h"

namespace mljob {
namespace {

namespace fs = std::filesystem;

std::string contents(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(WriteAtomically, WritesAndReplacesLeavingNoTemporary) {
  testing::ScratchFolder scratch("mljob-files");
  fs::path file = scratch.path() / "a.json";
  write_atomically(file, "one\n");
  write_atomically(file, "two\n");
  EXPECT_EQ(contents(file), "two\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(scratch.path()), fs::directory_iterator()), 1);
}

// The text fits in the stream's buffer, so the failure shows only when it is flushed.
TEST(WriteAtomically, AFullDiskIsAnErrorAndTheOldFileStays) {
  testing::ScratchFolder scratch("mljob-files");
  fs::path file = scratch.path() / "job.sbatch";
  write_atomically(file, "old\n");
  try {
    testing::FileSizeLimit full(16);
    write_atomically(file, std::string(200, 'x'));
    ADD_FAILURE() << "a write past the file size limit passed";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot write " + file.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("File too large"), std::string::npos) << e.what();
  }
  EXPECT_EQ(contents(file), "old\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(scratch.path()), fs::directory_iterator()), 1);
}

TEST(WriteAtomically, AMissingFolderIsAnErrorNamingIt) {
  testing::ScratchFolder scratch("mljob-files");
  EXPECT_THROW(write_atomically(scratch.path() / "no" / "such" / "f", "x"), std::runtime_error);
}

}  // namespace
}  // namespace mljob
