#include "core/package_stager.h"

#include <cstdlib>
#include <fstream>

#include "base/interruption.h"
#include "base/test_support.h"
#include "core/process.h"

namespace mljob {
namespace {

namespace fs = std::filesystem;

class PackageStager : public ::testing::Test {
 protected:
  void write(const fs::path& relative, const std::string& text = "") {
    fs::create_directories((scratch_ / relative).parent_path());
    std::ofstream(scratch_ / relative) << text;
  }

  // Packs scratch/SOURCE/ENTRY into scratch/ARCHIVE with the system's tar (or Python's zip).
  fs::path pack(const std::string& archive, const std::string& source, const std::string& entry) {
    fs::path out = scratch_ / archive;
    std::vector<std::string> argv;
    if (archive.ends_with(".zip"))
      argv = {"python3", "-m", "zipfile", "-c", out.string(), (scratch_ / source / entry).string()};
    else
      argv = {"tar", "-caf", out.string(), "-C", (scratch_ / source).string(), entry};
    EXPECT_EQ(run_process(argv).exit_code, 0);
    return out;
  }

  std::vector<fs::path> stage(const std::vector<std::string>& uris, const StagingOptions& options = {}) {
    return stage_packages("", uris, scratch_ / "staged", options);
  }

  // A package folder scratch/src/NAME with a file of `bytes` zeros (which compress to nearly
  // nothing) and `files` more small files.
  void bomb(const std::string& name, std::size_t bytes, int files = 0) {
    write("src/" + name + "/__init__.py");
    write("src/" + name + "/zeros", std::string(bytes, '\0'));
    for (int i = 0; i < files; ++i) write("src/" + name + "/f" + std::to_string(i) + ".py");
  }

  // Nothing of a refused archive is left: neither its copy nor anything unpacked.
  void expect_nothing_left_of(const std::string& archive_name, const std::string& unpacked_name) {
    EXPECT_FALSE(fs::exists(scratch_ / "staged" / "downloads" / archive_name));
    EXPECT_FALSE(fs::exists(scratch_ / "staged" / "unpacked" / unpacked_name));
  }

  static StagingOptions bounded(std::int64_t bytes, std::int64_t entries = 100000) {
    StagingOptions options;
    options.limits.max_bytes = bytes;
    options.max_unpacked_entries = entries;
    return options;
  }

  testing::ScratchFolder folder_{"mljob-stager"};
  const fs::path scratch_ = folder_.path();
};

TEST_F(PackageStager, SdistPutsItsProjectRootOnThePath) {
  write("src/trainer-0.1/setup.py", "from setuptools import setup\n");
  write("src/trainer-0.1/trainer/__init__.py");
  write("src/trainer-0.1/trainer/task.py", "print('hi')\n");
  auto path = stage({pack("trainer-0.1.tar.gz", "src", "trainer-0.1").string()});
  ASSERT_EQ(path.size(), 1u);
  EXPECT_EQ(path[0], scratch_ / "staged/unpacked/trainer-0.1/trainer-0.1");
  EXPECT_TRUE(fs::exists(path[0] / "trainer/task.py"));
}

TEST_F(PackageStager, SrcLayoutPutsSrcOnThePath) {
  write("src/proj-2.0/pyproject.toml", "[project]\nname='proj'\n");
  write("src/proj-2.0/src/proj/__init__.py");
  auto path = stage({pack("proj-2.0.tar.bz2", "src", "proj-2.0").string()});
  ASSERT_EQ(path.size(), 1u);
  EXPECT_EQ(path[0], scratch_ / "staged/unpacked/proj-2.0/proj-2.0/src");
}

TEST_F(PackageStager, TarballOfAPackageFolderAndAZip) {
  write("src/mypkg/__init__.py");
  write("zsrc/zpkg/__init__.py");
  auto path = stage({pack("mypkg.tgz", "src", "mypkg").string(), pack("zpkg.zip", "zsrc", "zpkg").string()});
  ASSERT_EQ(path.size(), 2u);
  EXPECT_TRUE(fs::exists(path[0] / "mypkg/__init__.py"));
  EXPECT_TRUE(fs::exists(path[1] / "zpkg/__init__.py"));
}

TEST_F(PackageStager, ArchivesWithoutPythonCodeAreRefused) {
  write("src/docs/README.txt", "nothing to import\n");
  auto archive = pack("docs.tar.gz", "src", "docs").string();
  testing::expect_input_error([&] { stage({archive}); }, "trainingInput.packageUris[0]",
                              "holds no importable Python code");
}

TEST_F(PackageStager, CorruptArchiveIsRefusedWithTarsReason) {
  write("junk.tar.gz", "this is not gzip");
  testing::expect_input_error([&] { stage({(scratch_ / "junk.tar.gz").string()}); }, "trainingInput.packageUris[0]",
                              "could not be unpacked");
}

constexpr std::size_t kMiB = 1 << 20;

// 4 MiB of zeros in a tarball of a few KiB: refused on tar's own listing, before tar writes
// anything (were it unpacked, the file size limit would make tar fail, "File too large").
TEST_F(PackageStager, ATarBombIsRefusedBeforeItIsUnpackedAndLeavesNothing) {
  bomb("bomb", 4 * kMiB);
  auto archive = pack("bomb.tar.gz", "src", "bomb");
  ASSERT_LT(fs::file_size(archive), 64 * 1024u);
  testing::FileSizeLimit disk(2 * kMiB);
  testing::expect_input_error([&] { stage({archive.string()}, bounded(kMiB)); }, "trainingInput.packageUris[0]",
                              "more than the 1048576 a job's packages may unpack to in all (MLJOB_PACKAGE_MAX_BYTES)");
  expect_nothing_left_of("bomb.tar.gz", "bomb");
}

TEST_F(PackageStager, AZipBombIsRefusedAndLeavesNothing) {
  fs::path archive = scratch_ / "zbomb.zip";
  ASSERT_EQ(run_process({"python3", "-c",
                         "import sys, zipfile\n"
                         "with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n"
                         "    z.writestr('zbomb/__init__.py', '')\n"
                         "    z.writestr('zbomb/zeros', bytes(4 << 20))\n",
                         archive.string()})
                .exit_code,
            0);
  ASSERT_LT(fs::file_size(archive), 64 * 1024u);
  testing::FileSizeLimit disk(2 * kMiB);
  testing::expect_input_error([&] { stage({archive.string()}, bounded(kMiB)); }, "trainingInput.packageUris[0]",
                              "(MLJOB_PACKAGE_MAX_BYTES)");
  expect_nothing_left_of("zbomb.zip", "zbomb");
}

TEST_F(PackageStager, TooManyFilesAreRefusedAndLeaveNothing) {
  bomb("many", 0, 50);
  auto archive = pack("many.tgz", "src", "many");
  testing::expect_input_error([&] { stage({archive.string()}, bounded(kMiB, 20)); }, "trainingInput.packageUris[0]",
                              "files and folders, more than the 20 a job's packages may unpack to in all");
  expect_nothing_left_of("many.tgz", "many");
  EXPECT_NO_THROW(stage({archive.string()}, bounded(kMiB, 60)));  // 50 files, 2 more and the folder
}

// The bound is on all a job's packages unpack to, not on each: two halves of a bomb are one.
TEST_F(PackageStager, TheBoundIsOnAllOfAJobsPackages) {
  bomb("half_a", 600 * 1024);
  bomb("half_b", 600 * 1024);
  auto a = pack("half_a.tgz", "src", "half_a"), b = pack("half_b.tgz", "src", "half_b");
  EXPECT_NO_THROW(stage({a.string()}, bounded(kMiB)));
  fs::remove_all(scratch_ / "staged");
  testing::expect_input_error(
      [&] {
        stage({a.string(), b.string()}, bounded(kMiB));
      },
      "trainingInput.packageUris[1]", "unpacks, with the packages before it, to");
  expect_nothing_left_of("half_b.tgz", "half_b");
}

TEST_F(PackageStager, OnlyHttpAndHttpsAreFetched) {
  testing::expect_input_error([&] { stage({"gs://bucket/trainer-0.1.tar.gz"}); }, "trainingInput.packageUris[0]",
                              "only http and https");
  testing::expect_input_error([&] { stage({"file:///etc/passwd.tar"}); }, "trainingInput.packageUris[0]",
                              "only http and https");
  testing::expect_input_error([&] { stage({"https://example.invalid/trainer.exe"}); }, "trainingInput.packageUris[0]",
                              "must be a package folder, a wheel");
}

TEST_F(PackageStager, MissingAndUnknownLocalFiles) {
  testing::expect_input_error([&] { stage({(scratch_ / "absent.tar.gz").string()}); }, "trainingInput.packageUris[0]",
                              "no such file");
  write("notes.txt", "x");
  testing::expect_input_error([&] { stage({(scratch_ / "notes.txt").string()}); }, "trainingInput.packageUris[0]",
                              "must be a package folder, a wheel");
}

TEST_F(PackageStager, TheSameFileTwiceIsRefused) {
  write("src/mypkg/__init__.py");
  auto archive = pack("mypkg.tgz", "src", "mypkg").string();
  testing::expect_input_error([&] { stage({archive, archive}); }, "trainingInput.packageUris[1]", "already staged");
}

TEST_F(PackageStager, CheckingRefusesWhatStagingWouldAndCopiesNothing) {
  write("src/mypkg/__init__.py");
  write("src/notapkg/readme.txt");
  write("notes.txt", "x");
  auto archive = pack("mypkg.tgz", "src", "mypkg").string();
  EXPECT_NO_THROW(check_packages((scratch_ / "src" / "mypkg").string(), {archive, (scratch_ / "src" / "mypkg").string(),
                                                                         "https://example.invalid/p-1.0.tar.gz"}));
  testing::expect_input_error([&] { check_packages((scratch_ / "absent").string(), {}); }, "--package-path",
                              "must be an existing folder");
  testing::expect_input_error([&] { check_packages((scratch_ / "src" / "notapkg").string(), {}); }, "--package-path",
                              "no __init__.py");
  testing::expect_input_error(
      [&] {
        check_packages("", {archive, (scratch_ / "absent.tgz").string()});
      },
      "trainingInput.packageUris[1]", "no such file");
  testing::expect_input_error([&] { check_packages("", {(scratch_ / "notes.txt").string()}); },
                              "trainingInput.packageUris[0]", "must be a package folder, a wheel");
  testing::expect_input_error([&] { check_packages("", {"gs://bucket/p.tar.gz"}); }, "trainingInput.packageUris[0]",
                              "only http and https");
  EXPECT_FALSE(fs::exists(scratch_ / "staged"));
}

TEST_F(PackageStager, AnInterruptionStopsStagingBetweenPackages) {
  write("src/mypkg/__init__.py");
  auto archive = pack("mypkg.tgz", "src", "mypkg").string();
  InterruptionGuard guard;
  std::raise(SIGINT);
  try {
    stage({archive});
    ADD_FAILURE() << "staging went on after SIGINT";
  } catch (const Interrupted& e) {
    EXPECT_EQ(e.signal(), SIGINT);
  }
  EXPECT_FALSE(fs::exists(scratch_ / "staged"));
}

}  // namespace
}  // namespace mljob
