#include "prediction/predictor_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include <nlohmann/json.hpp>

extern char** environ;

namespace mljob::prediction {
namespace {

using nlohmann::json;

struct Pipe {
  int read_end = -1, write_end = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw PredictorError(std::string("pipe: ") + std::strerror(errno));
    read_end = fds[0];
    write_end = fds[1];
  }
};

// Waits up to `patience` for the child to end; true if it did (and was reaped).
bool reaped_within(pid_t pid, std::chrono::milliseconds patience) {
  auto deadline = std::chrono::steady_clock::now() + patience;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid || (done < 0 && errno == ECHILD)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace

PredictorProcess::PredictorProcess(const std::string& python, const std::string& source,
                                   const std::string& config_json) {
  Pipe input, output;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, input.read_end, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, output.write_end, STDOUT_FILENO);
  std::vector<std::string> words = {python, "-c", source, config_json};
  std::vector<char*> argv;
  for (auto& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  // posix_spawnp: the runtime's python may be a bare name found on PATH, as in job scripts.
  int failed = ::posix_spawnp(&pid_, python.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(input.read_end);
  ::close(output.write_end);
  if (failed != 0) {
    ::close(input.write_end);
    ::close(output.read_end);
    throw PredictorError("the predictor's Python (" + python + ") could not be started: " + std::strerror(failed));
  }
  to_server_ = ::fdopen(input.write_end, "w");
  from_server_ = ::fdopen(output.read_end, "r");
  if (!to_server_ || !from_server_) {
    if (!to_server_) ::close(input.write_end);
    if (!from_server_) ::close(output.read_end);
    stop();
    throw PredictorError("the predictor's pipes could not be opened");
  }
  try {
    wait_until_ready();
  } catch (...) {
    stop();  // the destructor does not run for a constructor that throws
    std::free(line_);
    line_ = nullptr;
    throw;
  }
}

void PredictorProcess::wait_until_ready() {
  json ready;
  std::string line = read_line("its ready line");
  try {
    ready = json::parse(line);
  } catch (const json::exception&) {
    throw PredictorError("the predictor answered '" + line.substr(0, 200) + "' instead of its ready line");
  }
  if (ready.contains("error")) throw PredictorError(ready["error"].get<std::string>());
  if (!ready.value("ready", false)) throw PredictorError("the predictor did not say it was ready: " + line);
}

PredictorProcess::~PredictorProcess() {
  stop();
  std::free(line_);
}

void PredictorProcess::send(const std::string& batch_line) {
  if (!to_server_) throw PredictorError("the predictor's input is closed");
  if (std::fwrite(batch_line.data(), 1, batch_line.size(), to_server_) != batch_line.size() ||
      std::fflush(to_server_) != 0)
    throw PredictorError(std::string("the predictor stopped reading its input: ") + std::strerror(errno));
}

void PredictorProcess::close_input() {
  if (to_server_) std::fclose(to_server_);
  to_server_ = nullptr;
}

std::string PredictorProcess::read_line(const char* what) {
  ssize_t length = ::getline(&line_, &line_capacity_, from_server_);
  if (length <= 0 && !std::feof(from_server_)) {
    throw PredictorError(std::string("reading the predictor's answer failed: ") + std::strerror(errno));
  }
  if (length <= 0) {
    int status = 0;
    std::string how = "ended";
    if (::waitpid(pid_, &status, 0) == pid_) {
      pid_ = -1;
      if (WIFEXITED(status)) how = "exited with status " + std::to_string(WEXITSTATUS(status));
      if (WIFSIGNALED(status)) how = "was killed by signal " + std::to_string(WTERMSIG(status));
    }
    throw PredictorError(std::string("the predictor ") + how + " before " + what +
                         " (its output is in the shard's log)");
  }
  if (line_[length - 1] == '\n') --length;
  return std::string(line_, static_cast<std::size_t>(length));
}

BatchReply PredictorProcess::receive() {
  std::string header_line = read_line("it answered a batch");
  json header;
  try {
    header = json::parse(header_line);
  } catch (const json::exception&) {
    throw PredictorError("the predictor broke the protocol: '" + header_line.substr(0, 200) + "'");
  }
  if (header.contains("error") && !header.contains("count"))
    throw PredictorError("the predictor failed: " + header["error"].get<std::string>());
  BatchReply reply;
  auto count = header.at("count").get<std::size_t>();
  for (const auto& error : header.value("errors", json::array()))
    reply.errors[error.at(0).get<std::size_t>()] = error.at(1).get<std::string>();
  reply.predictions.reserve(count);
  for (std::size_t i = 0; i < count; ++i) reply.predictions.push_back(read_line("it answered a batch"));
  return reply;
}

void PredictorProcess::kill() {
  if (pid_ > 0) ::kill(pid_, SIGKILL);
}

void PredictorProcess::stop() {
  close_input();
  if (pid_ > 0) {
    // Given its input's end, a server ends at once; one busy in a model is stopped.
    if (!reaped_within(pid_, std::chrono::seconds(5))) {
      ::kill(pid_, SIGTERM);
      if (!reaped_within(pid_, std::chrono::seconds(5))) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
      }
    }
    pid_ = -1;
  }
  if (from_server_) std::fclose(from_server_);
  from_server_ = nullptr;
}

}  // namespace mljob::prediction
