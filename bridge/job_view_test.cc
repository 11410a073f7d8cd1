// The Job resource as describe and list answer it, against a fake Slurm: scripts named
// sbatch, squeue, sacct and sinfo first on PATH, printing what each test sets, and libslurm
// left out (SLURM_CONF empty), so that every question goes to those commands.
#include "bridge/job_view.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "bridge/cli.h"
#include "bridge/study_files.h"
#include "core/job_state.h"
#include "core/test_support.h"
#include "tuner/hyperparameter_spec.h"
#include "tuner/study.h"

namespace mljob::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Sets an environment variable for the life of the object, then puts back what was there.
class ScopedEnvironment {
 public:
  ScopedEnvironment(std::string name, const std::string& value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) saved_ = old;
    ::setenv(name_.c_str(), value.c_str(), 1);
  }
  ~ScopedEnvironment() {
    if (saved_) ::setenv(name_.c_str(), saved_->c_str(), 1);
    else ::unsetenv(name_.c_str());
  }
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

 private:
  std::string name_;
  std::optional<std::string> saved_;
};

class FakeSlurm : public ::testing::Test {
 protected:
  FakeSlurm() {
    fs::create_directories(bin_);
    for (const char* command : {"squeue", "sacct", "sinfo"}) {
      write_script(command, "cat '" + (scratch_.path() / (std::string(command) + ".out")).string() + "' 2>/dev/null; exit 0");
    }
    write_script("sbatch", "echo 4242");
    answer("sinfo", read(fs::path(MLJOB_SOURCE_DIR) / "core/testdata/sinfo_nodes.txt"));
  }

  // What the fake `command` prints from now on.
  void answer(const std::string& command, const std::string& output) const {
    std::ofstream(scratch_.path() / (command + ".out")) << output;
  }

  static std::string read(const fs::path& file) {
    std::ostringstream text;
    text << std::ifstream(file).rdbuf();
    return text.str();
  }

  // A job record of the store, as submit leaves it.
  JobRecord saved_record(const std::string& job_id, const std::string& slurm_job_id) const {
    JobRecord record{json{{"jobId", job_id}, {"trainingInput", {{"scaleTier", "BASIC"}, {"pythonModule", "t"}}}},
                     slurm_job_id, {"master"}, {"master-0"}, false, store_.reserve(job_id)};
    store_.save(record);
    return record;
  }

  mljob::testing::ScratchFolder scratch_{"mljob-job-view"};
  fs::path bin_ = scratch_.path() / "bin";
  ScopedEnvironment path_{"PATH", bin_.string() + ":" + std::getenv("PATH")};
  ScopedEnvironment home_{"MLJOB_HOME", (scratch_.path() / "home").string()};
  ScopedEnvironment no_libslurm_{"SLURM_CONF", ""};  // libslurm unused: squeue answers for slurmctld
  JobStore store_ = JobStore::from_environment();

 private:
  void write_script(const std::string& name, const std::string& body) const {
    fs::path script = bin_ / name;
    std::ofstream(script) << "#!/bin/sh\n" << body << "\n";
    fs::permissions(script, fs::perms::owner_all);
  }
};

// sacct's line for an allocation (kAccountingFormat), epoch times, `seconds` long.
std::string sacct_line(const std::string& id, const std::string& state, double billing, int seconds) {
  return id + "|job|" + state + "|0:0|1763780000|1763780000|" + std::to_string(1763780000 + seconds) + "|" +
         std::to_string(seconds) + "|billing=" + std::to_string(billing) + "|\n";
}

TEST_F(FakeSlurm, AStudysConsumedMLUnitsAreItsControllersAndItsTrials) {
  tuner::Study study(tuner::parse_hyperparameter_spec(json{{"maxTrials", 3}, {"maxParallelTrials", 3},
      {"params", {{{"parameterName", "x"}, {"type", "DOUBLE"}, {"minValue", 0}, {"maxValue", 1}}}}}), 1);
  study.ask(3);  // trial 3 is not in Slurm yet: no record, nothing consumed
  JobRecord controller = saved_record("s1", "100");
  save_study(study, controller.folder);
  saved_record("s1_trial_1", "101");
  saved_record("s1_trial_2", "102_2");  // an element of a job array
  answer("sacct", sacct_line("100", "COMPLETED", 1, 3600) + sacct_line("101", "COMPLETED", 4, 1800) +
                      sacct_line("102_2", "FAILED", 2, 3600));
  json resource = job_resources({controller}, SlurmClient{}).front();
  EXPECT_EQ(resource["state"], "SUCCEEDED");
  // 1 x 1 h (the controller) + 4 x 0.5 h + 2 x 1 h.
  EXPECT_EQ(resource["trainingOutput"]["consumedMLUnits"], 5.0);

  // A plain job's units are its own.
  EXPECT_EQ(job_resources({saved_record("plain", "101")}, SlurmClient{}).front()["trainingOutput"]["consumedMLUnits"], 2.0);
}

TEST_F(FakeSlurm, ACancelledJobsErrorMessageSaysWhoCancelledIt) {
  answer("sacct", "103|job|CANCELLED by 0|0:15|1763780000|1763780000|1763780060|60|billing=1|\n");
  json resource = job_resources({saved_record("cancelled", "103")}, SlurmClient{}).front();
  EXPECT_EQ(resource["state"], "CANCELLED");
  EXPECT_EQ(resource["errorMessage"], "Job cancelled by user root (uid 0) at 2025-11-22T02:54:20Z.");

  JobRecord asked = saved_record("asked", "104");  // Slurm has not heard of it yet
  asked.cancel_requested = true;
  json cancelling = job_resources({asked}, SlurmClient{}).front();
  EXPECT_EQ(cancelling["state"], "CANCELLING");
  EXPECT_EQ(cancelling["errorMessage"], cancel_requested_message() + ".");
}

}  // namespace
}  // namespace mljob::cli
