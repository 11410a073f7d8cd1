// The model's server: a Python process (prediction/python/mljob_predictor.py, embedded in this
// program) that loads the model once and then answers batches over its stdin and stdout.
// Protocol, one UTF-8 line each way:
//   server -> worker, once: {"ready": true, ...}, or {"error": "why"} and exit 1;
//   worker -> server: a JSON array of instances (one batch);
//   server -> worker: {"count": N, "errors": [[INDEX, "why"], ...]}, then N lines, each the
//   JSON of one prediction (null for an instance in errors).
// The server writes only the protocol on the pipe: what the model's code prints goes to stderr
// (the shard's log).
#pragma once

#include <sys/types.h>

#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace mljob::prediction {

// The server failed: it would not start, its model did not load, or it died or broke the
// protocol. The message says which, for the shard's failure.
class PredictorError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct BatchReply {
  std::vector<std::string> predictions;       // JSON texts, one per instance
  std::map<std::size_t, std::string> errors;  // instance index -> why it failed
};

class PredictorProcess {
 public:
  // Starts `python -c SOURCE CONFIG` and waits for its ready line.
  PredictorProcess(const std::string& python, const std::string& source, const std::string& config_json);
  ~PredictorProcess();
  PredictorProcess(const PredictorProcess&) = delete;
  PredictorProcess& operator=(const PredictorProcess&) = delete;

  // Writes one batch line ("[...]\n"). May be called from one thread while another receives.
  void send(const std::string& batch_line);
  // No more batches: the server ends once it has answered them.
  void close_input();
  // Reads the reply to the oldest batch not yet answered.
  BatchReply receive();
  // Ends the server at once (SIGTERM, then SIGKILL) and reaps it.
  void stop();
  // SIGKILLs the server and nothing else: safe while another thread sends or receives, which
  // then fail. The destructor reaps it.
  void kill();

 private:
  void wait_until_ready();
  std::string read_line(const char* what);
  pid_t pid_ = -1;
  std::FILE* to_server_ = nullptr;
  std::FILE* from_server_ = nullptr;
  char* line_ = nullptr;
  std::size_t line_capacity_ = 0;
};

}  // namespace mljob::prediction
