#include "bridge/study_database.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "bridge/study_files.h"
#include "core/test_support.h"

namespace mljob::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class StudyDatabase : public ::testing::Test {
 protected:

  static tuner::Study a_study() {
    tuner::HyperparameterSpec spec = tuner::parse_hyperparameter_spec(json{
        {"goal", "MINIMIZE"}, {"maxTrials", 4}, {"maxParallelTrials", 3}, {"enableTrialEarlyStopping", true},
        {"params", {{{"parameterName", "x"}, {"type", "DOUBLE"}, {"minValue", 0}, {"maxValue", 1}},
                    {{"parameterName", "act"}, {"type", "CATEGORICAL"}, {"categoricalValues", {"relu", "tanh"}}}}}});
    return tuner::Study(spec, 11);
  }

  // The first column of the first row `sql` answers, read with SQLite as any user of sqlite3 would.
  std::string query(const std::string& sql) const {
    sqlite3* db = nullptr;
    sqlite3_open_v2((folder_ / kStudyFile).c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* statement = nullptr;
    sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr);
    std::string answer = sqlite3_step(statement) == SQLITE_ROW ? reinterpret_cast<const char*>(sqlite3_column_text(statement, 0)) : "";
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return answer;
  }
  long long rows(const std::string& table) const { return std::stoll(query("SELECT COUNT(*) FROM " + table)); }

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
}  // namespace mljob::cli
