#include "core/slurm_commands.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>

#include "base/interruption.h"
#include "base/test_support.h"

namespace mljob {
namespace {

namespace fs = std::filesystem;

std::string contents(const fs::path& file) {
  std::ifstream in(file);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Slurm's commands replaced by scripts on PATH that log their arguments (one call a line) and
// answer as the test says. libslurm is kept out (SLURM_CONF names no file), so every query
// goes to the fake squeue.
class FakeSlurm : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(bin_);
    save("PATH");
    save("SLURM_CONF");
    ::setenv("PATH", (bin_.string() + ":" + saved_.at("PATH").value_or("/usr/bin:/bin")).c_str(), 1);
    ::setenv("SLURM_CONF", (scratch_.path() / "no-slurm.conf").c_str(), 1);
    client_.set_lookup_pauses({std::chrono::milliseconds(0), std::chrono::milliseconds(0)});
  }
  void TearDown() override {
    for (const auto& [name, value] : saved_) {
      if (value)
        ::setenv(name.c_str(), value->c_str(), 1);
      else
        ::unsetenv(name.c_str());
    }
  }

  // A program `name` that logs "$*" and then runs `body` (sh).
  void fake(const std::string& name, const std::string& body) {
    fs::path program = bin_ / name;
    std::ofstream(program) << "#!/bin/sh\necho \"$*\" >> '" << log(name).string() << "'\n" << body << "\n";
    fs::permissions(program, fs::perms::owner_all);
  }
  fs::path log(const std::string& name) const { return scratch_.path() / (name + ".calls"); }
  std::vector<std::string> calls(const std::string& name) const {
    std::vector<std::string> lines;
    std::istringstream in(contents(log(name)));
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }
  std::vector<std::string> sbatch_argv(const std::string& comment) const {
    return {"sbatch", "--parsable", "--chdir=/store/jobs/x", "--comment=" + comment, "/store/jobs/x/job.sbatch"};
  }

  testing::ScratchFolder scratch_{"mljob-slurm-client"};
  fs::path bin_ = scratch_.path() / "bin";
  SlurmCommands client_;

 private:
  void save(const std::string& name) {
    const char* value = std::getenv(name.c_str());
    saved_[name] = value ? std::optional<std::string>(value) : std::nullopt;
  }
  std::map<std::string, std::optional<std::string>> saved_;
};

constexpr const char* kTimedOut =
    "echo 'sbatch: error: Batch job submission failed: Socket timed out on send/recv operation' >&2; exit 1";

TEST_F(FakeSlurm, AccountingAsksForTheUsersOwnJobsOnly) {
  fake("sacct", "exit 0");
  client_.accounting({"12", "13"});
  ASSERT_EQ(calls("sacct").size(), 1u);
  std::string call = calls("sacct")[0];
  EXPECT_NE(call.find("--user=" + std::to_string(::getuid())), std::string::npos) << call;
  EXPECT_EQ(call.find("--allusers"), std::string::npos) << call;
  EXPECT_NE(call.find("--jobs 12,13"), std::string::npos) << call;
}

TEST_F(FakeSlurm, TheQueueIsAskedForTheUsersOwnJobsOnly) {
  fake("squeue", "exit 0");
  client_.queue({"12"});
  ASSERT_EQ(calls("squeue").size(), 1u);
  EXPECT_NE(calls("squeue")[0].find("--me "), std::string::npos) << calls("squeue")[0];
}

// A Ctrl-C at the terminal signals the foreground process group. sbatch, killed by it after
// slurmctld accepted the job, would leave a job whose folder mljob then removes; in a group of
// its own it finishes, and mljob honours the signal once the job is submitted.
TEST_F(FakeSlurm, ACtrlCAtTheTerminalDoesNotReachSbatch) {
  // $PPID is the submitting process, which leads its own group here, as a shell's job does.
  fake("sbatch", "kill -INT -$PPID || exit 3; sleep 0.5; echo 4242");
  fs::path answer = scratch_.path() / "answer";
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::setpgid(0, 0);
    std::string said;
    {
      InterruptionGuard guard;
      try {
        said = client_.submit(sbatch_argv("mljob:x:1"));
      } catch (const std::exception& error) {
        said = std::string("error: ") + error.what();
      }
      std::ofstream(answer) << said << (pending_interruption() == SIGINT ? " (SIGINT pending)" : "");
    }
    ::_exit(0);  // not reached when the guard raises the pending SIGINT again
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_EQ(contents(answer), "4242 (SIGINT pending)");
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT) << status;  // honoured after the submit
}

TEST_F(FakeSlurm, AJobAcceptedThoughSbatchTimedOutIsFoundByItsComment) {
  fake("sbatch", kTimedOut);
  fake("squeue", "printf '4241|mljob:x:other\\n4242+0|mljob:x:mine\\n4242+1|mljob:x:mine\\n4240|mljob:x\\n'");
  EXPECT_EQ(client_.submit_marked(sbatch_argv("mljob:x:mine")), "4242");
  ASSERT_EQ(calls("squeue").size(), 1u);
  EXPECT_NE(calls("squeue")[0].find("--me "), std::string::npos) << calls("squeue")[0];
}

TEST_F(FakeSlurm, AJobAcceptedTwiceKeepsTheFirstAndCancelsTheOther) {
  fake("sbatch", "kill -TERM $$");  // sbatch itself killed: its answer is lost
  fake("squeue", "printf '4243|mljob:x:mine\\n4242|mljob:x:mine\\n'");
  fake("scancel", "exit 0");
  EXPECT_EQ(client_.submit_marked(sbatch_argv("mljob:x:mine")), "4242");
  EXPECT_EQ(calls("scancel"), std::vector<std::string>{"4243"});
}

TEST_F(FakeSlurm, ALostAnswerWithNoJobFoundKeepsTheFolder) {
  fake("sbatch", kTimedOut);
  fake("squeue", "printf '4241|mljob:x:other\\n'");
  try {
    client_.submit_marked(sbatch_argv("mljob:x:mine"));
    ADD_FAILURE() << "no error";
  } catch (const SubmissionUnknown& error) {
    std::string message = error.what();
    EXPECT_NE(message.find("Socket timed out"), std::string::npos) << message;
    EXPECT_NE(message.find("'mljob:x:mine'"), std::string::npos) << message;
    EXPECT_NE(message.find("/store/jobs/x is kept"), std::string::npos) << message;
  }
  EXPECT_EQ(calls("squeue").size(), 2u);  // looked again after each pause
}

TEST_F(FakeSlurm, ALostAnswerThatSqueueCannotSettleKeepsTheFolder) {
  fake("sbatch", kTimedOut);
  fake("squeue", "echo 'squeue: error: Unable to contact slurm controller (connect failure)' >&2; exit 1");
  try {
    client_.submit_marked(sbatch_argv("mljob:x:mine"));
    ADD_FAILURE() << "no error";
  } catch (const SubmissionUnknown& error) {
    EXPECT_NE(std::string(error.what()).find("could not be listed (squeue failed: squeue: error: Unable to contact"),
              std::string::npos)
        << error.what();
  }
}

TEST_F(FakeSlurm, ARefusalIsARefusalAndNothingIsLookedUp) {
  fake("sbatch",
       "echo 'sbatch: error: Batch job submission failed: Invalid account or account/partition combination specified' "
       ">&2; exit 1");
  fake("squeue", "exit 0");
  try {
    client_.submit_marked(sbatch_argv("mljob:x:mine"));
    ADD_FAILURE() << "no error";
  } catch (const SubmissionUnknown& error) {
    ADD_FAILURE() << error.what();
  } catch (const SlurmError& error) {
    EXPECT_NE(std::string(error.what())
                  .find("sbatch refused the job: sbatch: error: Batch job submission failed: Invalid account"),
              std::string::npos)
        << error.what();
  }
  EXPECT_TRUE(calls("squeue").empty());
}

TEST(SubmissionComments, AreUniqueAndKeepTheirBase) {
  std::string a = unique_comment("mljob:x"), b = unique_comment("mljob:x");
  EXPECT_NE(a, b);
  EXPECT_TRUE(a.starts_with("mljob:x:")) << a;
  EXPECT_EQ(a.size(), std::string("mljob:x:").size() + 16);
}

TEST(SubmissionComments, JobsAreFoundByTheWholeComment) {
  std::string listed =
      "12+0|mljob:x:1\n12+1|mljob:x:1\n9|mljob:x:1\n100|mljob:x:1 \n13|mljob:x:10\n14|mljob:x\nbad line\n";
  EXPECT_EQ(job_ids_with_comment(listed, "mljob:x:1"), (std::vector<std::string>{"9", "12", "100"}));
  EXPECT_TRUE(job_ids_with_comment(listed, "mljob:y").empty());
}

TEST(SubmissionComments, WhichFailuresMayHaveLostTheAnswer) {
  EXPECT_TRUE(
      answer_may_be_lost(1, "sbatch: error: Batch job submission failed: Socket timed out on send/recv operation"));
  EXPECT_TRUE(
      answer_may_be_lost(1, "sbatch: error: Batch job submission failed: Zero Bytes were transmitted or received"));
  EXPECT_TRUE(answer_may_be_lost(130, ""));  // killed
  EXPECT_TRUE(answer_may_be_lost(0, ""));    // no job ID printed
  EXPECT_FALSE(answer_may_be_lost(1, "sbatch: error: Batch job submission failed: Invalid account"));
  EXPECT_FALSE(answer_may_be_lost(
      1, "sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)"));
}

bool has(const std::vector<std::string>& argv, const std::string& word) {
  return std::find(argv.begin(), argv.end(), word) != argv.end();
}

TEST(JobLookups, AskSlurmctldForTheUsersOwnJobsOnly) {
  auto squeue = live_jobs_query(1234);
  EXPECT_EQ(squeue.front(), "squeue");
  EXPECT_TRUE(has(squeue, "--user=1234"));
  EXPECT_TRUE(has(squeue, "--states=all"));  // ended jobs slurmctld still holds count too
  EXPECT_TRUE(has(squeue, "--format=%i|%k"));
}

TEST(JobLookups, AskAccountingForTheUsersOwnJobsOnlyByName) {
  auto sacct = accounting_by_name_query(1234, {"tune_trial_4", "tune_trials"}, "2026-11-22T09:00:00");
  EXPECT_EQ(sacct.front(), "sacct");
  EXPECT_TRUE(has(sacct, "--user=1234"));
  EXPECT_FALSE(has(sacct, "--allusers"));
  EXPECT_FALSE(has(sacct, "-a"));
  EXPECT_TRUE(has(sacct, "--starttime=2026-11-22T09:00:00"));
  EXPECT_TRUE(has(sacct, "--name=tune_trial_4,tune_trials"));
  EXPECT_TRUE(has(sacct, "--allocations"));
  EXPECT_TRUE(has(sacct, "--parsable2"));
  EXPECT_TRUE(has(sacct, "--format=JobID,Comment"));
}

TEST(JobLookups, ListingsAreReadWithCommentsThatHoldBars) {
  auto jobs = parse_listed_jobs("123+0|mljob:a\n480|a comment | with bars\nno bar at all\n|no id\n");
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].job_id, "123+0");
  EXPECT_EQ(jobs[0].comment, "mljob:a");
  EXPECT_EQ(jobs[1].comment, "a comment | with bars");
}

}  // namespace
}  // namespace mljob
