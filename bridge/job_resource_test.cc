// The Job resource as describe, list and submit answer it, against a fake Slurm: scripts named
// sbatch, squeue, sacct and sinfo first on PATH, printing what each test sets, and libslurm
// left out (SLURM_CONF empty), so that every question goes to those commands.
// The Job resource as the commands answer it: a study's units and trials, submit's --format.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "base/test_support.h"
#include "bridge/command.h"
#include "bridge/submit_command.h"
#include "core/job_state.h"
#include "core/slurm_commands.h"
#include "jobs/job_view.h"
#include "study/study_files.h"
#include "study/study_resources.h"
#include "tuner/hyperparameter_spec.h"
#include "tuner/study.h"

namespace mljob::bridge {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Everything std::cout receives while alive.
class CapturedStdout {
 public:
  CapturedStdout() : saved_(std::cout.rdbuf(text_.rdbuf())) {}
  ~CapturedStdout() { std::cout.rdbuf(saved_); }
  CapturedStdout(const CapturedStdout&) = delete;
  CapturedStdout& operator=(const CapturedStdout&) = delete;
  std::string text() const { return text_.str(); }

 private:
  std::ostringstream text_;
  std::streambuf* saved_;
};

class FakeSlurm : public ::testing::Test {
 protected:
  FakeSlurm() {
    fs::create_directories(bin_);
    for (const char* command : {"squeue", "sacct", "sinfo"}) {
      write_script(command,
                   "cat '" + (scratch_.path() / (std::string(command) + ".out")).string() + "' 2>/dev/null; exit 0");
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
  // `comment`: the Slurm comment it was submitted with (none: a record from before mljob kept it).
  JobRecord saved_record(const std::string& job_id, const std::string& slurm_job_id,
                         const std::string& comment = "") const {
    JobRecord record{json{{"jobId", job_id}, {"trainingInput", {{"scaleTier", "BASIC"}, {"pythonModule", "t"}}}},
                     slurm_job_id,
                     {"master"},
                     {"master-0"},
                     false,
                     store_.reserve(job_id),
                     {},
                     {},
                     comment};
    store_.save(record);
    return record;
  }

  mljob::testing::ScratchFolder scratch_{"mljob-job-view"};
  fs::path bin_ = scratch_.path() / "bin";
  testing::ScopedVariable path_{"PATH", bin_.string() + ":" + std::getenv("PATH")};
  testing::ScopedVariable home_{"MLJOB_HOME", (scratch_.path() / "home").string()};
  testing::ScopedVariable no_libslurm_{"SLURM_CONF", ""};  // libslurm unused: squeue answers for slurmctld
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
         std::to_string(seconds) + "|billing=" + std::to_string(billing) + "|n1|\n";
}

TEST_F(FakeSlurm, AStudysConsumedMLUnitsAreItsControllersAndItsTrials) {
  tuner::Study study(tuner::parse_hyperparameter_spec(json{
                         {"maxTrials", 3},
                         {"maxParallelTrials", 3},
                         {"params", {{{"parameterName", "x"}, {"type", "DOUBLE"}, {"minValue", 0}, {"maxValue", 1}}}}}),
                     1);
  study.ask(3);  // trial 3 is not in Slurm yet: no record, nothing consumed
  JobRecord controller = saved_record("s1", "100");
  study::save_study(study, controller.folder);
  saved_record("s1_trial_1", "101");
  saved_record("s1_trial_2", "102_2");  // an element of a job array
  answer("sacct", sacct_line("100", "COMPLETED", 1, 3600) + sacct_line("101", "COMPLETED", 4, 1800) +
                      sacct_line("102_2", "FAILED", 2, 3600));
  json resource = study::job_resources({controller}, SlurmCommands{}).front();
  EXPECT_EQ(resource["state"], "SUCCEEDED");
  // 1 x 1 h (the controller) + 4 x 0.5 h + 2 x 1 h.
  EXPECT_EQ(resource["trainingOutput"]["consumedMLUnits"], 5.0);

  // A plain job's units are its own.
  EXPECT_EQ(study::job_resources({saved_record("plain", "101")}, SlurmCommands{})
                .front()["trainingOutput"]["consumedMLUnits"],
            2.0);
}

// slurmctld, killed before it saved job 105, forgot it and gave its ID to another job: the
// answers for 105 are that job's (its comment marks it), not this one's.
TEST_F(FakeSlurm, AJobWhoseSlurmIdWasGivenToAnotherJobIsNotReadAsThatJob) {
  const std::string other = "105|job|RUNNING|0:0|1763780000|1763780000|Unknown|60|billing=1|n1|mljob:next:00ff\n";
  const std::string ours = "105|job|COMPLETED|0:0|1763770000|1763770000|1763770060|60|billing=1|n2|mljob:first:0a0b\n";
  const std::string step = "105.batch|batch|COMPLETED|0:0|1763770000|1763770000|1763770060|60||n2|\n";
  // sacct --duplicates answers with every job that had the ID; sacct alone, with the latest.
  std::ofstream(bin_ / "sacct") << "#!/bin/sh\ncase \"$*\" in *--duplicates*) cat '"
                                << (scratch_.path() / "every.out").string() << "';; *) cat '"
                                << (scratch_.path() / "sacct.out").string() << "';; esac\n";
  answer("sacct", other);
  answer("every", ours + step + other);
  answer("squeue", "105|N/A|N/A|job|RUNNING|1763780000|1763780000|N/A|billing=1|105|None|n1|mljob:next:00ff|\n");
  JobRecord first_record = saved_record("first", "105", "mljob:first:0a0b");
  json first = study::job_resources({first_record}, SlurmCommands{}).front();
  EXPECT_EQ(first["state"], "SUCCEEDED") << first.dump();
  EXPECT_EQ(first["endTime"], rfc3339_utc(1763770060));

  // Accounting never heard of this job's own run: it is lost, and says so, instead of reading
  // as the other job (RUNNING).
  answer("every", other);
  json lost = study::job_resources({first_record}, SlurmCommands{}).front();
  EXPECT_EQ(lost["state"], "FAILED");
  EXPECT_NE(lost.value("errorMessage", "").find("Slurm lost this job"), std::string::npos) << lost.dump();
  EXPECT_NE(lost.value("errorMessage", "").find("Slurm job 105"), std::string::npos) << lost.dump();

  // The other job itself reads as itself, alone or listed with the first (the two name one
  // Slurm ID: what one lost, the other has not).
  JobRecord next_record = saved_record("next", "105", "mljob:next:00ff");
  json next = study::job_resources({next_record}, SlurmCommands{}).front();
  EXPECT_EQ(next["state"], "RUNNING") << next.dump();
  answer("every", ours + step + other);
  auto both = study::job_resources({first_record, next_record}, SlurmCommands{});
  EXPECT_EQ(both[0]["state"], "SUCCEEDED") << both[0].dump();
  EXPECT_EQ(both[1]["state"], "RUNNING") << both[1].dump();
  answer("every", other);
  both = study::job_resources({next_record, first_record}, SlurmCommands{});
  EXPECT_EQ(both[0]["state"], "RUNNING") << both[0].dump();
  EXPECT_EQ(both[1]["state"], "FAILED") << both[1].dump();
}

// Seen in the fault suite: slurmctld restarted from a state saved before job 108 was submitted
// and killed its batch step as an orphan. Accounting, which heard it start, never hears it end:
// with slurmctld answering and not holding it, it is lost, not RUNNING for ever. While
// slurmctld is away, accounting's RUNNING stands.
TEST_F(FakeSlurm, AJobSlurmctldForgotIsLostNotRunningForEver) {
  answer("sacct", "108|job|RUNNING|0:0|1763780000|1763780000|Unknown|60|billing=1|n1|mljob:forgotten:0a\n");
  answer("squeue", "");
  json lost = study::job_resources({saved_record("forgotten", "108")}, SlurmCommands{}).front();
  EXPECT_EQ(lost["state"], "FAILED") << lost.dump();
  EXPECT_NE(lost.value("errorMessage", "").find("slurmctld no longer holds its Slurm job 108"), std::string::npos)
      << lost.dump();
}

// slurmctld away (restarting): accounting answers, with a warning; both away: an error that
// names both, not a state guessed from nothing.
// Seen in the fault suite (scenario 1): slurmctld forgot study controller 2403 and gave 2403
// to an array's element; sacct's latest answer for 2403 is not the controller, whose row (RUNNING,
// without the comment, which accounting never got) only `sacct --duplicates` shows. It is lost,
// not QUEUED for ever as "submitted a moment ago".
TEST_F(FakeSlurm, AJobOnlyEveryRunOfItsIdShowsIsFoundLost) {
  std::ofstream(bin_ / "sacct") << "#!/bin/sh\ncase \"$*\" in *--duplicates*) cat '"
                                << (scratch_.path() / "every.out").string() << "';; *) cat '"
                                << (scratch_.path() / "sacct.out").string() << "';; esac\n";
  answer("sacct",
         "2403_6|s_trials|COMPLETED|0:0|1763780000|1763780000|1763780003|3|billing=1|n6|mljob:s_trials:4,5,6\n");
  answer("every", "2403|mljob-study|RUNNING|0:0|1763770000|1763770000|Unknown|60|billing=1|n1|\n" +
                      std::string("2403_6|s_trials|COMPLETED|0:0|1763780000|1763780000|1763780003|3|billing=1|n6|"
                                  "mljob:s_trials:4,5,6\n"));
  answer("squeue", "");
  json study = study::job_resources({saved_record("s", "2403", "mljob:s")}, SlurmCommands{}).front();
  EXPECT_EQ(study["state"], "FAILED") << study.dump();
  EXPECT_NE(study.value("errorMessage", "").find("Slurm lost this job"), std::string::npos) << study.dump();

  // Neither answer has it: submitted a moment ago, before accounting heard of it.
  answer("every", "");
  EXPECT_EQ(study::job_resources({saved_record("t", "2410", "mljob:t")}, SlurmCommands{}).front()["state"], "QUEUED");
}

// Seen in the fault suite (scenario 1): slurmctld forgot study controller 2443 and its trial
// array; accounting keeps each as a placeholder under UID 0, which `sacct --user` leaves out.
// Neither side has the job: a moment after its submission it is QUEUED (accounting may not have
// heard of it yet), long after it is lost, not QUEUED for ever. A pending element that squeue
// shows in its array's own record is held, however long it waits.
TEST_F(FakeSlurm, AJobNeitherSideHasLongAfterItsSubmissionIsLost) {
  answer("sacct", "");
  answer("squeue", "");
  auto submitted = [&](const std::string& job_id, const std::string& slurm_job_id, std::int64_t seconds_ago) {
    JobRecord record = saved_record(job_id, slurm_job_id, "mljob:" + job_id);
    record.submitted_at = std::time(nullptr) - seconds_ago;
    return record;
  };
  json forgotten = study::job_resources({submitted("s", "2443", 600)}, SlurmCommands{}).front();
  EXPECT_EQ(forgotten["state"], "FAILED") << forgotten.dump();
  EXPECT_NE(forgotten.value("errorMessage", "")
                .find("Slurm lost this job: neither slurmctld nor accounting has a record "
                      "of its Slurm job 2443, submitted at "),
            std::string::npos)
      << forgotten.dump();
  EXPECT_TRUE(jobs::lost_by_slurm(forgotten)) << "what a study's controller asks of a trial";
  EXPECT_EQ(study::job_resources({submitted("new", "2444", 5)}, SlurmCommands{}).front()["state"], "QUEUED");
  EXPECT_EQ(study::job_resources({saved_record("old", "2445", "mljob:old")}, SlurmCommands{}).front()["state"],
            "QUEUED")
      << "a record from before mljob kept the submission time";

  answer("squeue",
         "2446|N/A|N/A|s_trials|PENDING|1795327482|N/A|N/"
         "A|cpu=1|2446_[5-9%2]|JobArrayTaskLimit||mljob:s_trials:5,6,7,8,9|\n");
  EXPECT_EQ(study::job_resources({submitted("s_trial_7", "2446_7", 3600)}, SlurmCommands{}).front()["state"], "QUEUED");

  // slurmctld away: accounting alone cannot tell a forgotten job from one it has not heard of.
  std::ofstream(bin_ / "squeue") << "#!/bin/sh\necho 'squeue: error: Unable to contact slurm controller' >&2\nexit 1\n";
  EXPECT_EQ(study::job_resources({submitted("s2", "2447", 600)}, SlurmCommands{}).front()["state"], "QUEUED");
}

TEST_F(FakeSlurm, WhileSlurmctldIsAwayAccountingAnswers) {
  std::ofstream(bin_ / "squeue") << "#!/bin/sh\necho 'squeue: error: Unable to contact slurm controller "
                                    "(connect failure)' >&2\nexit 1\n";
  answer("sacct", sacct_line("106", "RUNNING", 1, 60) + sacct_line("107", "COMPLETED", 1, 60));
  JobRecord running = saved_record("running", "106");
  EXPECT_EQ(study::job_resources({running}, SlurmCommands{}).front()["state"], "RUNNING");
  auto both = study::job_resources({running, saved_record("ended", "107")}, SlurmCommands{});
  EXPECT_EQ(both[0]["state"], "RUNNING");
  EXPECT_EQ(both[1]["state"], "SUCCEEDED");

  std::ofstream(bin_ / "sacct") << "#!/bin/sh\necho 'sacct: error: slurmdbd: connection refused' >&2\nexit 1\n";
  try {
    study::job_resources({running}, SlurmCommands{});
    ADD_FAILURE() << "no error with slurmctld and accounting both away";
  } catch (const SlurmError& error) {
    EXPECT_NE(std::string(error.what()).find("neither slurmctld"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("Unable to contact slurm controller"), std::string::npos) << error.what();
  }
}

TEST_F(FakeSlurm, ACancelledJobsErrorMessageSaysWhoCancelledIt) {
  answer("sacct", "103|job|CANCELLED by 0|0:15|1763780000|1763780000|1763780060|60|billing=1|n1|\n");
  json resource = study::job_resources({saved_record("cancelled", "103")}, SlurmCommands{}).front();
  EXPECT_EQ(resource["state"], "CANCELLED");
  EXPECT_EQ(resource["errorMessage"], "Job cancelled by user root (uid 0) at 2025-11-22T02:54:20Z.");

  JobRecord asked = saved_record("asked", "104");  // Slurm has not heard of it yet
  asked.cancel_requested = true;
  json cancelling = study::job_resources({asked}, SlurmCommands{}).front();
  EXPECT_EQ(cancelling["state"], "CANCELLING");
  EXPECT_EQ(cancelling["errorMessage"], cancel_requested_message() + ".");
}

// What `mljob submit training ARGS` (or mljob-submit's `output`) prints on stdout.
std::string submitted(const Arguments& args, SubmitOutput output = SubmitOutput::kHuman) {
  CapturedStdout captured;
  EXPECT_EQ(submit_training(args, SlurmCommands{}, output), kExitOk);
  return captured.text();
}

Arguments submit_args(const std::string& job_id, std::vector<std::string> more = {}) {
  Arguments args = {job_id, "--module-name", "trainer.task", "--tiers",
                    std::string(MLJOB_SOURCE_DIR) + "/etc/tiers.yaml"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

TEST_F(FakeSlurm, SubmitInJsonPrintsTheJobResourceAsDescribeDoes) {
  answer("squeue", "4242|N/A|N/A|job|PENDING|1763780000|N/A|N/A|cpu=4|4242|\n");
  // mljob-submit --format json: one line, the Job resource.
  std::string line = submitted(submit_args("lab_job"), SubmitOutput::kJson);
  ASSERT_EQ(line.find('\n'), line.size() - 1) << line;
  json job = json::parse(line);
  EXPECT_EQ(job["jobId"], "lab_job");
  EXPECT_EQ(job["state"], "QUEUED");
  EXPECT_EQ(job["trainingInput"]["pythonModule"], "trainer.task");
  EXPECT_EQ(job["slurmJobId"], "4242");
  EXPECT_TRUE(job.contains("etag") && job.contains("createTime")) << job.dump();
  EXPECT_EQ(job, study::described_job(*store_.load("lab_job"), SlurmCommands{}));

  // mljob submit training --format json|yaml: the same resource, as describe prints it.
  json described = json::parse(submitted(submit_args("cli_job", {"--format", "json"})));
  EXPECT_EQ(described, study::described_job(*store_.load("cli_job"), SlurmCommands{}));
  EXPECT_NE(submitted(submit_args("yaml_job", {"--format", "yaml"})).find("pythonModule: \"trainer.task\""),
            std::string::npos);
  // Without --format, gcloud's short form.
  EXPECT_EQ(submitted(submit_args("short_job")), "jobId: short_job\nstate: QUEUED\n");
}

TEST_F(FakeSlurm, SubmitFormatIsYamlOrJsonAndOnlyWhereAResourceIsSubmitted) {
  mljob::testing::expect_input_error(
      [] {
        submit_training(submit_args("x1", {"--format", "xml"}), SlurmCommands{});
      },
      "--format", "one of yaml, json");
  mljob::testing::expect_input_error(
      [] {
        submit_training(submit_args("x2", {"--format", "json", "--dry-run"}), SlurmCommands{});
      },
      "--format", "--dry-run does not submit");
  EXPECT_FALSE(fs::exists(store_.root() / "jobs" / "x1"));
}

}  // namespace
}  // namespace mljob::bridge
