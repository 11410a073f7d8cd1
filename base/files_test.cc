#include "base/files.h"

#include <sys/stat.h>

#include <fstream>

#include "base/test_support.h"

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

mode_t mode_of(const fs::path& path) {
  struct stat status {};
  EXPECT_EQ(::lstat(path.c_str(), &status), 0) << path;
  return status.st_mode & 07777;
}

// Sets the umask for the test's scope: what mljob creates must not depend on it.
class Umask {
 public:
  explicit Umask(mode_t mask) : saved_(::umask(mask)) {}
  ~Umask() { ::umask(saved_); }
  Umask(const Umask&) = delete;
  Umask& operator=(const Umask&) = delete;

 private:
  mode_t saved_;
};

TEST(WriteAtomically, TheFileIsTheOwnersAloneWhateverTheUmask) {
  testing::ScratchFolder scratch("mljob-files");
  for (mode_t mask : {mode_t{0}, mode_t{022}, mode_t{0277}}) {
    Umask umask(mask);
    fs::path file = scratch.path() / ("job-" + std::to_string(mask) + ".json");
    write_atomically(file, "{}\n");
    EXPECT_EQ(mode_of(file), 0600u) << "umask " << std::oct << mask;
  }
}

TEST(PrivateFile, IsCreated0600WhateverTheUmaskAndAnExistingOneIsLeftAlone) {
  testing::ScratchFolder scratch("mljob-files");
  for (mode_t mask : {mode_t{0}, mode_t{022}, mode_t{0277}}) {
    Umask umask(mask);
    fs::path file = scratch.path() / ("study-" + std::to_string(mask) + ".db");
    create_private_file(file);
    EXPECT_EQ(mode_of(file), 0600u) << "umask " << std::oct << mask;
    EXPECT_EQ(contents(file), "");
  }
  fs::path existing = scratch.path() / "metrics.db";
  std::ofstream(existing) << "kept";
  fs::permissions(existing, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  create_private_file(existing);
  EXPECT_EQ(contents(existing), "kept");
  EXPECT_EQ(mode_of(existing), 0640u);
  EXPECT_THROW(create_private_file(scratch.path() / "no-such-folder" / "x.db"), std::system_error);
}

TEST(WriteAtomically, ATemporaryLeftBehindWithAWideModeIsNarrowed) {
  testing::ScratchFolder scratch("mljob-files");
  fs::path file = scratch.path() / "job.sbatch";
  fs::path left = scratch.path() / ("job.sbatch.tmp." + std::to_string(::getpid()));
  std::ofstream(left) << "old";
  fs::permissions(left, fs::perms::all);
  write_atomically(file, "new\n");
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_EQ(contents(file), "new\n");
}

TEST(PrivateFolders, AreCreated0700WhateverTheUmask) {
  testing::ScratchFolder scratch("mljob-files");
  for (mode_t mask : {mode_t{0}, mode_t{022}}) {
    Umask umask(mask);
    fs::path top = scratch.path() / ("home-" + std::to_string(mask));
    EXPECT_TRUE(create_private_folders(top / "a" / "b"));
    EXPECT_FALSE(create_private_folders(top / "a" / "b"));
    for (const fs::path& folder : {top, top / "a", top / "a" / "b"}) EXPECT_EQ(mode_of(folder), 0700u) << folder;
    make_private_folder(top / "jobs");
    EXPECT_EQ(mode_of(top / "jobs"), 0700u);
  }
}

TEST(PrivateFolders, AnExistingWiderFolderIsNarrowed) {
  testing::ScratchFolder scratch("mljob-files");
  fs::create_directory(scratch.path() / "jobs");
  fs::permissions(scratch.path() / "jobs", fs::perms::all);
  make_private_folder(scratch.path() / "jobs");
  EXPECT_EQ(mode_of(scratch.path() / "jobs"), 0700u);
}

TEST(WhyNotOwn, OnlyTheOwnerMayWrite) {
  struct stat status {};
  status.st_uid = ::geteuid();
  status.st_gid = 0;
  status.st_mode = S_IFDIR | 0755;
  EXPECT_EQ(why_not_own(status), std::nullopt);
  status.st_mode = S_IFDIR | 0775;
  EXPECT_EQ(why_not_own(status).value_or(""), "is writable by group 'root'");
  status.st_mode = S_IFDIR | 01777;
  EXPECT_EQ(why_not_own(status).value_or(""), "is writable by every user");
  status.st_mode = S_IFDIR | 0700;
  status.st_uid = 0;
  EXPECT_EQ(why_not_own(status, 4242).value_or(""), "belongs to user 'root'");
}

class CacheFiles : public ::testing::Test {
 protected:
  testing::ScratchFolder scratch_{"mljob-files"};
  fs::path folder_ = scratch_.path() / "home" / "cache";
};

TEST_F(CacheFiles, WrittenPrivateAndReadBack) {
  Umask umask(0);
  write_cache_file(folder_, "sinfo.txt", "answer");
  EXPECT_EQ(mode_of(folder_), 0700u);
  EXPECT_EQ(mode_of(scratch_.path() / "home"), 0700u);
  EXPECT_EQ(mode_of(folder_ / "sinfo.txt"), 0600u);
  std::optional<CacheFile> read = read_cache_file(folder_, "sinfo.txt");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->text, "answer");
  EXPECT_LE(std::chrono::system_clock::now() - read->modified, std::chrono::seconds(5));
  EXPECT_FALSE(read_cache_file(folder_, "absent.txt"));
}

TEST_F(CacheFiles, AFolderOthersMayWriteIsNeitherReadNorWritten) {
  write_cache_file(folder_, "sinfo.txt", "answer");
  for (fs::perms wide : {fs::perms::group_write, fs::perms::others_write}) {
    fs::permissions(folder_, fs::perms::owner_all | wide);
    EXPECT_FALSE(read_cache_file(folder_, "sinfo.txt"));
    write_cache_file(folder_, "other.txt", "planted");
    EXPECT_FALSE(fs::exists(folder_ / "other.txt"));
  }
}

TEST_F(CacheFiles, AFileOthersMayWriteIsNotRead) {
  write_cache_file(folder_, "sinfo.txt", "answer");
  fs::permissions(folder_ / "sinfo.txt", fs::perms::group_write, fs::perm_options::add);
  EXPECT_FALSE(read_cache_file(folder_, "sinfo.txt"));
}

TEST_F(CacheFiles, ALinkIsNotFollowed) {
  write_cache_file(folder_, "real.txt", "answer");
  fs::create_symlink(folder_ / "real.txt", folder_ / "link.txt");
  EXPECT_FALSE(read_cache_file(folder_, "link.txt"));
  write_cache_file(folder_, "link.txt", "new");
  EXPECT_EQ(contents(folder_ / "real.txt"), "answer");
}

}  // namespace
}  // namespace mljob
