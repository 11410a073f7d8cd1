#include "jobs/ffdl_staging.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <zip.h>

#include <fstream>
#include <list>
#include <sstream>

#include "base/test_support.h"

namespace mljob::jobs {
namespace {

namespace fs = std::filesystem;
using mljob::testing::expect_input_error;
using mljob::testing::read_file;
using mljob::testing::ScratchFolder;
using mljob::testing::write_file;

// A zip made entry by entry with libzip, as a hostile or careless tool might make it.
class ZipBuilder {
 public:
  explicit ZipBuilder(const fs::path& path) {
    int code = 0;
    archive_ = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code);
    if (!archive_) throw std::runtime_error("zip_open failed");
  }
  ZipBuilder& file(const std::string& name, const std::string& text, mode_t mode = S_IFREG | 0644) {
    buffers_.push_back(text);
    zip_source_t* source = zip_source_buffer(archive_, buffers_.back().data(), buffers_.back().size(), 0);
    zip_int64_t index = zip_file_add(archive_, name.c_str(), source, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
    if (index < 0) throw std::runtime_error("zip_file_add failed: " + name);
    zip_file_set_external_attributes(archive_, static_cast<zip_uint64_t>(index), 0, ZIP_OPSYS_UNIX,
                                     static_cast<zip_uint32_t>(mode) << 16);
    return *this;
  }
  void close() {
    if (zip_close(archive_) != 0) throw std::runtime_error("zip_close failed");
  }

 private:
  zip_t* archive_;
  std::list<std::string> buffers_;  // libzip reads them at zip_close
};

class FfdlStaging : public ::testing::Test {
 protected:
  ScratchFolder scratch_{"ffdl-staging"};
  fs::path model_dir() const { return scratch_.path() / "job" / "model-definition"; }
  void SetUp() override { fs::create_directories(scratch_.path() / "job"); }
};

TEST_F(FfdlStaging, CopiesAModelFolderWithItsExecutableBits) {
  fs::path source = scratch_.path() / "model";
  write_file(source / "train.py", "print('hi')\n");
  write_file(source / "setup.sh", "echo setup\n");
  write_file(source / "data" / "labels.txt", "a\nb\n");
  fs::permissions(source / "setup.sh", fs::perms::owner_exec, fs::perm_options::add);
  stage_model_definition(source, model_dir(), "model definition");
  EXPECT_EQ(read_file(model_dir() / "train.py"), "print('hi')\n");
  EXPECT_EQ(read_file(model_dir() / "data" / "labels.txt"), "a\nb\n");
  EXPECT_EQ(fs::status(model_dir() / "setup.sh").permissions() & fs::perms::all, fs::perms::owner_all);
  EXPECT_EQ(fs::status(model_dir() / "train.py").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(fs::status(model_dir()).permissions() & fs::perms::all, fs::perms::owner_all);
}

TEST_F(FfdlStaging, UnpacksTheZipItWroteTheSame) {
  fs::path source = scratch_.path() / "model";
  write_file(source / "train.py", "print('hi')\n");
  write_file(source / "launcher.py", "#!/usr/bin/env python3\n");
  write_file(source / "pkg" / "__init__.py", "");
  fs::create_directories(source / "empty");
  fs::permissions(source / "launcher.py", fs::perms::owner_exec, fs::perm_options::add);
  fs::create_symlink("/etc/passwd", source / "link");
  fs::path zip = scratch_.path() / "model.zip";
  ZipSummary summary = write_zip(source, zip);
  EXPECT_EQ(summary.files, 3);
  EXPECT_EQ(summary.bytes, 12 + 23);
  EXPECT_EQ(summary.skipped, std::vector<fs::path>{"link"});

  stage_model_definition(zip, model_dir(), "model definition");
  EXPECT_EQ(read_file(model_dir() / "train.py"), "print('hi')\n");
  EXPECT_TRUE(fs::is_regular_file(model_dir() / "pkg" / "__init__.py"));
  EXPECT_TRUE(fs::is_directory(model_dir() / "empty"));
  EXPECT_FALSE(fs::exists(fs::symlink_status(model_dir() / "link")));
  EXPECT_NE(fs::status(model_dir() / "launcher.py").permissions() & fs::perms::owner_exec, fs::perms::none);
  EXPECT_EQ(fs::status(model_dir() / "train.py").permissions() & fs::perms::owner_exec, fs::perms::none);
}

TEST_F(FfdlStaging, WritesAnEmptyFolderAsAnEmptyZipAndRefusesToOverwrite) {
  fs::create_directories(scratch_.path() / "nothing");
  fs::path zip = scratch_.path() / "nothing.zip";
  EXPECT_EQ(write_zip(scratch_.path() / "nothing", zip).files, 0);
  EXPECT_EQ(fs::file_size(zip), 22u);
  stage_model_definition(zip, model_dir(), "model definition");
  EXPECT_TRUE(fs::is_empty(model_dir()));
  EXPECT_THROW(write_zip(scratch_.path() / "nothing", zip), std::runtime_error);
}

TEST_F(FfdlStaging, UnpacksZipsWithoutFolderEntries) {
  fs::path zip = scratch_.path() / "m.zip";
  ZipBuilder(zip).file("a/b/c.txt", "deep").file("./top.txt", "top").close();
  stage_model_definition(zip, model_dir(), "model definition");
  EXPECT_EQ(read_file(model_dir() / "a" / "b" / "c.txt"), "deep");
  EXPECT_EQ(read_file(model_dir() / "top.txt"), "top");
}

TEST_F(FfdlStaging, RefusesEntriesThatLeadOutOfTheFolderAndLeavesNothing) {
  struct Case {
    std::string name, rule;
    mode_t mode;
  };
  for (const auto& [name, rule, mode] :
       {Case{"../evil.py", "leads out of its folder", S_IFREG | 0644},
        Case{"a/../../evil.py", "leads out of its folder", S_IFREG | 0644},
        Case{"/etc/evil", "absolute path", S_IFREG | 0644}, Case{"a\\..\\evil", "'\\'", S_IFREG | 0644},
        Case{"link", "link or a special file", S_IFLNK | 0777},
        Case{"fifo", "link or a special file", S_IFIFO | 0644}}) {
    fs::path zip = scratch_.path() / "bad.zip";
    fs::remove(zip);
    ZipBuilder(zip).file("ok.py", "fine").file(name, "/etc/passwd", mode).close();
    expect_input_error([&] { stage_model_definition(zip, model_dir(), "model definition"); }, "model definition", rule);
    EXPECT_FALSE(fs::exists(model_dir())) << name;
  }
  EXPECT_FALSE(fs::exists(scratch_.path() / "evil.py"));
}

TEST_F(FfdlStaging, RefusesAZipPastItsLimitsBeforeWritingAnything) {
  fs::path zip = scratch_.path() / "big.zip";
  // 4 MiB of zeros compress to a few KiB: what counts is what it unpacks to.
  ZipBuilder(zip).file("zeros.bin", std::string(4 << 20, '\0')).file("b.py", "x").close();
  EXPECT_LT(fs::file_size(zip), 64u << 10);
  expect_input_error(
      [&] {
        stage_model_definition(zip, model_dir(), "model definition", {1 << 20, 100});
      },
      "model definition", "unpacks to more than 1048576 bytes");
  EXPECT_FALSE(fs::exists(model_dir()));
  expect_input_error(
      [&] {
        stage_model_definition(zip, model_dir(), "model definition", {1 << 30, 1});
      },
      "model definition", "more than 1 files and folders");
  EXPECT_FALSE(fs::exists(model_dir()));
}

TEST_F(FfdlStaging, RefusesNamesListedTwiceAndDamagedZips) {
  fs::path twice = scratch_.path() / "twice.zip";
  ZipBuilder(twice).file("a.py", "1").file("./a.py", "2").close();
  expect_input_error([&] { stage_model_definition(twice, model_dir(), "model definition"); }, "model definition",
                     "lists a.py twice");
  fs::path damaged = scratch_.path() / "damaged.zip";
  write_file(damaged, "PK\x03\x04 this is not a zip");
  expect_input_error([&] { stage_model_definition(damaged, model_dir(), "model definition"); }, "model definition",
                     "is not a zip file that can be read");
  EXPECT_FALSE(fs::exists(model_dir()));
}

TEST_F(FfdlStaging, RefusesLinksAndOtherSourcesInAFolder) {
  fs::path source = scratch_.path() / "model";
  write_file(source / "train.py", "x");
  fs::create_directory_symlink("/etc", source / "etc");
  expect_input_error([&] { stage_model_definition(source, model_dir(), "model definition"); }, "model definition",
                     "has a link, etc");
  EXPECT_FALSE(fs::exists(model_dir()));
  write_file(scratch_.path() / "model.tar.gz", "x");
  expect_input_error([&] { stage_model_definition(scratch_.path() / "model.tar.gz", model_dir(), "model definition"); },
                     "model definition", "must be a .zip file or a folder");
  expect_input_error([&] { stage_model_definition(scratch_.path() / "absent.zip", model_dir(), "model definition"); },
                     "model definition", "no such file or folder");
}

TEST_F(FfdlStaging, StagesOnlyOnce) {
  fs::path source = scratch_.path() / "model";
  write_file(source / "train.py", "x");
  stage_model_definition(source, model_dir(), "model definition");
  EXPECT_THROW(stage_model_definition(source, model_dir(), "model definition"), std::runtime_error);
  EXPECT_EQ(read_file(model_dir() / "train.py"), "x");
}

FfdlFolders folders_in(const fs::path& root) {
  FfdlFolders folders;
  folders.job_state_dir = (root / "job").string();
  folders.model_dir = folders.job_state_dir + "/model-definition";
  folders.log_dir = folders.job_state_dir + "/logs";
  folders.data_dir = (root / "lustre" / "data").string();
  folders.result_bucket_dir = (root / "lustre" / "results").string();
  folders.result_dir = folders.result_bucket_dir + "/training-Ab3dE5gH7";
  folders.checkpoint_dir = folders.result_bucket_dir + "/_wml_checkpoints";
  return folders;
}

TEST_F(FfdlStaging, MakesTheFoldersLearnersWriteTo) {
  FfdlFolders folders = folders_in(scratch_.path());
  fs::create_directories(folders.data_dir);
  prepare_ffdl_folders(folders);
  EXPECT_TRUE(fs::is_directory(folders.log_dir));
  EXPECT_TRUE(fs::is_directory(folders.result_dir));
  EXPECT_TRUE(fs::is_directory(folders.checkpoint_dir));
  expect_input_error([&] { prepare_ffdl_folders(folders); }, "data_stores[0].training_results.container",
                     "already exists");
}

TEST_F(FfdlStaging, RefusesTrainingDataThatIsNotThere) {
  FfdlFolders folders = folders_in(scratch_.path());
  expect_input_error([&] { prepare_ffdl_folders(folders); }, "data_stores[0].training_data.container",
                     "is not a folder you can read here");
  EXPECT_FALSE(fs::exists(folders.result_dir));
}

TEST_F(FfdlStaging, RefusesAResultFolderThatCannotBeMade) {
  FfdlFolders folders = folders_in(scratch_.path());
  fs::create_directories(folders.data_dir);
  write_file(folders.result_bucket_dir, "a file where the bucket's folder should be");
  expect_input_error([&] { prepare_ffdl_folders(folders); }, "data_stores[0].training_results.container",
                     "cannot be made");
}

}  // namespace
}  // namespace mljob::jobs
