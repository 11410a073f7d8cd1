#include "study/study_database.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "base/test_support.h"
#include "study/study_files.h"

namespace mljob::study {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A VFS over the default one that kills the process (SIGKILL) at its first write to a main
// database file. A save writes the database only inside its COMMIT, once the rollback journal
// holds the old pages and is synced: a process killed there leaves the hot journal that a
// controller killed during a save (its time limit's SIGKILL, a lost node) leaves.
namespace kill_in_commit {

sqlite3_vfs* real_vfs = nullptr;

// Our file, with the real VFS's file right behind it.
struct File {
  sqlite3_file base;
  bool main_database;
};
sqlite3_file* real(sqlite3_file* file) {
  return reinterpret_cast<sqlite3_file*>(reinterpret_cast<File*>(file) + 1);
}

int close(sqlite3_file* f) {
  return real(f)->pMethods->xClose(real(f));
}
int read(sqlite3_file* f, void* data, int n, sqlite3_int64 at) {
  return real(f)->pMethods->xRead(real(f), data, n, at);
}
int write(sqlite3_file* f, const void* data, int n, sqlite3_int64 at) {
  if (reinterpret_cast<File*>(f)->main_database) ::raise(SIGKILL);
  return real(f)->pMethods->xWrite(real(f), data, n, at);
}
int truncate(sqlite3_file* f, sqlite3_int64 size) {
  return real(f)->pMethods->xTruncate(real(f), size);
}
int sync(sqlite3_file* f, int flags) {
  return real(f)->pMethods->xSync(real(f), flags);
}
int file_size(sqlite3_file* f, sqlite3_int64* size) {
  return real(f)->pMethods->xFileSize(real(f), size);
}
int lock(sqlite3_file* f, int level) {
  return real(f)->pMethods->xLock(real(f), level);
}
int unlock(sqlite3_file* f, int level) {
  return real(f)->pMethods->xUnlock(real(f), level);
}
int check_reserved(sqlite3_file* f, int* out) {
  return real(f)->pMethods->xCheckReservedLock(real(f), out);
}
int file_control(sqlite3_file* f, int op, void* arg) {
  return real(f)->pMethods->xFileControl(real(f), op, arg);
}
int sector_size(sqlite3_file* f) {
  return real(f)->pMethods->xSectorSize(real(f));
}
int device_characteristics(sqlite3_file* f) {
  return real(f)->pMethods->xDeviceCharacteristics(real(f));
}

// Version 1: no shared memory (no WAL here) and no memory mapping; version 2's and 3's left null.
const sqlite3_io_methods kMethods = {1,
                                     close,
                                     read,
                                     write,
                                     truncate,
                                     sync,
                                     file_size,
                                     lock,
                                     unlock,
                                     check_reserved,
                                     file_control,
                                     sector_size,
                                     device_characteristics,
                                     nullptr,
                                     nullptr,
                                     nullptr,
                                     nullptr,
                                     nullptr,
                                     nullptr};

int open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  auto* ours = reinterpret_cast<File*>(file);
  ours->main_database = (flags & SQLITE_OPEN_MAIN_DB) != 0;
  int rc = real_vfs->xOpen(real_vfs, name, real(file), flags, out_flags);
  ours->base.pMethods = real(file)->pMethods ? &kMethods : nullptr;  // closed through us, as SQLite requires
  return rc;
}

// Makes the killing VFS the default: for a child process, which it ends.
void install() {
  static sqlite3_vfs vfs;
  real_vfs = sqlite3_vfs_find(nullptr);
  vfs = *real_vfs;
  vfs.iVersion = 1;
  vfs.szOsFile = static_cast<int>(sizeof(File)) + real_vfs->szOsFile;
  vfs.zName = "kill-in-commit";
  vfs.xOpen = open;
  sqlite3_vfs_register(&vfs, 1);
}

}  // namespace kill_in_commit

class StudyDatabase : public ::testing::Test {
 protected:
  static tuner::Study a_study() {
    tuner::HyperparameterSpec spec = tuner::parse_hyperparameter_spec(
        json{{"goal", "MINIMIZE"},
             {"maxTrials", 4},
             {"maxParallelTrials", 3},
             {"enableTrialEarlyStopping", true},
             {"params",
              {{{"parameterName", "x"}, {"type", "DOUBLE"}, {"minValue", 0}, {"maxValue", 1}},
               {{"parameterName", "act"}, {"type", "CATEGORICAL"}, {"categoricalValues", {"relu", "tanh"}}}}}});
    return tuner::Study(spec, 11);
  }

  // The first column of the first row `sql` answers, read with SQLite as any user of sqlite3 would.
  std::string query(const std::string& sql) const {
    sqlite3* db = nullptr;
    sqlite3_open_v2((folder_ / kStudyFile).c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* statement = nullptr;
    sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr);
    std::string answer =
        sqlite3_step(statement) == SQLITE_ROW ? reinterpret_cast<const char*>(sqlite3_column_text(statement, 0)) : "";
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return answer;
  }
  long long rows(const std::string& table) const { return std::stoll(query("SELECT COUNT(*) FROM " + table)); }

  // Saves `study` in a child process that is killed inside the save's commit, and checks that
  // it left what such a kill leaves: a hot journal beside an unchanged database.
  void save_killed_in_commit(const tuner::Study& study) const {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      kill_in_commit::install();
      try {
        save_study(study, folder_);
      } catch (...) {
      }
      ::_exit(3);  // not reached: the commit writes the database
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the save was not killed in its commit: " << status;
    fs::path journal = folder_ / (std::string(kStudyFile) + "-journal");
    ASSERT_TRUE(fs::exists(journal));
    char first = 0;
    std::ifstream(journal, std::ios::binary).read(&first, 1);
    ASSERT_NE(first, 0) << "the journal is not hot (its header was never synced)";
  }

  mljob::testing::ScratchFolder scratch_{"mljob-study-db"};
  const fs::path& folder_ = scratch_.path();
};

TEST_F(StudyDatabase, EverySaveReadsBackAsTheSameStudy) {
  tuner::Study study = a_study();
  study.ask(3);
  save_study(study, folder_);  // the intent: three active trials
  EXPECT_EQ(load_study(folder_).to_json(), study.to_json());
  study.report(1, 10, 0.8);
  study.report(1, 20, 0.5);
  study.tell(1, 0.4, 30);
  study.set_trial_times(1, "2026-11-22T09:00:00Z", "2026-11-22T09:05:00Z");
  study.tell_failed(2, "the trial's job ended FAILED: it's \"broken\"");
  save_study(study, folder_);
  study.report(3, 10, 0.9);
  save_study(study, folder_);  // only the new measurement is added
  tuner::Study loaded = load_study(folder_);
  EXPECT_EQ(loaded.to_json(), study.to_json());
  EXPECT_EQ(rows("trials"), 3);
  EXPECT_EQ(rows("measurements"), 3);
  // A rollback journal (WAL's shared memory does not reach across NFS clients): nothing left beside it.
  EXPECT_EQ(query("PRAGMA journal_mode"), "delete");
  EXPECT_FALSE(fs::exists(folder_ / "study.db-wal"));
  EXPECT_FALSE(fs::exists(folder_ / "study.db-journal"));
  // And it goes on exactly as the study it was saved from would.
  EXPECT_EQ(json(loaded.ask(1)[0].parameters), json(study.ask(1)[0].parameters));
}

TEST_F(StudyDatabase, IsTheOwnersAloneWhateverTheUmask) {
  mode_t saved = ::umask(0);
  save_study(a_study(), folder_);
  ::umask(saved);
  struct stat status {};
  ASSERT_EQ(::stat((folder_ / "study.db").c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 07777, 0600u);  // it holds every trial's hyperparameters
}

TEST_F(StudyDatabase, AReaderAfterASaveKilledInItsCommitSeesTheLastCommittedStudy) {
  tuner::Study study = a_study();
  study.ask(3);
  study.tell(1, 0.4, 30);
  save_study(study, folder_);
  json committed = study.to_json();
  long long committed_measurements = rows("measurements");
  study.report(2, 10, 0.7);
  study.tell_failed(3, "crashed");
  save_killed_in_commit(study);
  // describe, report, cancel and a requeued controller all read the study first: each rolls
  // the interrupted save back, and sees the study as last committed.
  EXPECT_EQ(load_study(folder_).to_json(), committed);
  EXPECT_FALSE(fs::exists(folder_ / "study.db-journal"));
  EXPECT_EQ(rows("measurements"), committed_measurements);  // and so does any reader after it, sqlite3 included
  EXPECT_EQ(load_study(folder_).to_json(), committed);
  save_study(study, folder_);  // the controller then saves on as before
  EXPECT_EQ(load_study(folder_).to_json(), study.to_json());
}

TEST_F(StudyDatabase, AWriterAfterASaveKilledInItsCommitSavesOverIt) {
  tuner::Study study = a_study();
  study.ask(2);
  save_study(study, folder_);
  study.tell(1, 0.2, 5);
  save_killed_in_commit(study);
  study.tell(2, 0.3, 5);
  save_study(study, folder_);
  EXPECT_FALSE(fs::exists(folder_ / "study.db-journal"));
  EXPECT_EQ(load_study(folder_).to_json(), study.to_json());
}

TEST_F(StudyDatabase, AStudyOfAnEarlierMljobInStudyJsonIsReadThenReplaced) {
  tuner::Study study = a_study();
  study.ask(2);
  study.tell(1, 0.3);
  std::ofstream(folder_ / kStudyJsonFile) << study.to_json().dump(1) << "\n";
  EXPECT_TRUE(is_study_folder(folder_));
  EXPECT_EQ(load_study(folder_).to_json(), study.to_json());
  save_study(load_study(folder_), folder_);
  EXPECT_FALSE(fs::exists(folder_ / kStudyJsonFile));
  EXPECT_EQ(load_study(folder_).to_json(), study.to_json());
}

TEST_F(StudyDatabase, AFileThatIsNoStudySaysSoNamingIt) {
  std::ofstream(folder_ / kStudyFile) << "not a database";
  try {
    load_study(folder_);
    FAIL() << "read a file that is not a study";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find((folder_ / kStudyFile).string()), std::string::npos) << error.what();
  }
  EXPECT_FALSE(is_study_folder(folder_ / "elsewhere"));
}

}  // namespace
}  // namespace mljob::study
