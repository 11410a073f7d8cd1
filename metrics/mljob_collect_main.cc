// mljob-collect: collects a job's metrics and log lines while it runs.
//
//   mljob-collect --job-folder DIR [--training-id ID] [--job-dir DIR] [--poll-ms N] -- COMMAND...
//
// The batch script runs the training step through it (`exec mljob-collect ... -- srun ...`):
// it starts COMMAND, passes on every signal Slurm sends, polls the job's files while COMMAND
// runs, reads them one last time after it ends (so the last lines are not lost) and exits with
// COMMAND's status. A collector that fails only warns: the training is never harmed by it.
// Without COMMAND it does one final round over what is there and exits (for tests and replays).
#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/program_options.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <thread>

#include "base/files.h"
#include "metrics/collector.h"

namespace {

namespace fs = std::filesystem;
namespace po = boost::program_options;
using namespace mljob::metrics;

volatile sig_atomic_t child_pid = 0;

void forward_signal(int signal) {
  if (child_pid > 0) ::kill(child_pid, signal);
}

void forward_signals() {
  struct sigaction action {};
  action.sa_handler = forward_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (int signal : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCONT, SIGALRM})
    sigaction(signal, &action, nullptr);
}

std::string user_name() {
  if (const char* user = std::getenv("USER"); user && *user) return user;
  if (const passwd* entry = ::getpwuid(::getuid())) return entry->pw_name;
  return std::to_string(::getuid());
}

// $NAME and ${NAME} from the environment; JOB_STATE_DIR (FfDL's) defaults to the job folder.
std::string expand_variables(const std::string& text, const fs::path& job_folder) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] != '$') {
      out += text[i++];
      continue;
    }
    bool braced = i + 1 < text.size() && text[i + 1] == '{';
    std::size_t start = i + (braced ? 2 : 1), end = start;
    while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_')) ++end;
    std::string name = text.substr(start, end - start);
    const char* value = std::getenv(name.c_str());
    out += value ? std::string(value) : name == "JOB_STATE_DIR" ? job_folder.string() : "";
    i = end + (braced && end < text.size() && text[end] == '}' ? 1 : 0);
  }
  return out;
}

// Where FfDL's evaluation-metrics file is followed: `in` if given, else $LOG_DIR. Both default
// as in FfDL, LOG_DIR to $JOB_STATE_DIR/logs and JOB_STATE_DIR to the job folder, and are set
// so for the training (when not set already): FfDL's emetrics client writes to
// $LOG_DIR/evaluation-metrics.txt.
fs::path emetrics_path(const nlohmann::ordered_json& declared, const fs::path& job_folder) {
  ::setenv("JOB_STATE_DIR", job_folder.c_str(), 0);
  ::setenv("LOG_DIR", (fs::path(std::getenv("JOB_STATE_DIR")) / "logs").c_str(), 0);
  std::string in = declared.contains("in") && declared["in"].is_string() ? declared["in"].get<std::string>() : "";
  fs::path where = expand_variables(in.empty() ? "$LOG_DIR" : in, job_folder);
  std::error_code error;
  if (in.empty()) fs::create_directories(where, error);  // where the client will write
  return where.is_absolute() ? where : job_folder / where;
}

std::optional<pid_t> start(const std::vector<std::string>& command) {
  std::vector<char*> argv;
  for (const auto& word : command) argv.push_back(const_cast<char*>(word.c_str()));
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return std::nullopt;
  if (pid == 0) {
    ::execvp(argv[0], argv.data());
    std::perror(("mljob-collect: cannot run " + command[0]).c_str());
    ::_exit(127);
  }
  return pid;
}

nlohmann::json typed_map_json(const std::map<std::string, TypedValue>& values) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : values) out[name] = {{"type", value_type_name(value.type)}, {"value", value.text}};
  return out;
}

int print_stored_records(const fs::path& folder) {
  try {
    MetricsDb db(metrics_db_path(folder), false);
    for (const EMetrics& record : db.metrics({})) {
      const Meta& meta = record.meta;
      nlohmann::json line{{"meta",
                           {{"training_id", meta.training_id},
                            {"user_id", meta.user_id},
                            {"time", meta.time_ms},
                            {"rindex", meta.rindex},
                            {"subid", meta.subid}}},
                          {"grouplabel", record.grouplabel},
                          {"etimes", typed_map_json(record.etimes)},
                          {"values", typed_map_json(record.values)}};
      std::cout << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "mljob-collect: " << e.what() << "\n";
    return 1;
  }
}

// The peak resident set of this program alone (VmHWM): ru_maxrss would also count what the
// process that started it had mapped when it forked (the mapping before exec counts there).
long peak_rss_kib(const rusage& usage) {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return usage.ru_maxrss;
}

int exit_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc), command;
  if (auto dashes = std::find(args.begin(), args.end(), "--"); dashes != args.end()) {
    command.assign(dashes + 1, args.end());
    args.erase(dashes, args.end());
  }
  std::string job_folder, training_id, job_dir;
  int poll_ms = 500;
  std::uint64_t max_log_bytes = 0;
  bool summary = false, print_records = false;
  po::options_description options("mljob-collect --job-folder DIR [options] [-- COMMAND...]");
  options.add_options()("help,h", "show this help")("job-folder", po::value(&job_folder),
                                                    "the job's folder (output.log, metrics.db)")(
      "training-id", po::value(&training_id), "the job's ID (default: the folder's name)")(
      "job-dir", po::value(&job_dir),
      "the job's --job-dir, searched for TensorBoard event files (default: $MLJOB_JOB_DIR)")(
      "poll-ms", po::value(&poll_ms), "how often to read the files while COMMAND runs")(
      "summary", po::bool_switch(&summary),
      "at the end, print {\"records\": N, \"log_bytes\": N} on stdout (for benchmarks and tests)")(
      "max-log-bytes", po::value(&max_log_bytes),
      "the site's cap on the job's stored log: past it, the oldest lines of output.log are freed (0: none)")(
      "print-records", po::bool_switch(&print_records),
      "collect nothing: print the records stored in metrics.db, one JSON object a line (FfDL's EMetrics)");
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(options).run(), vm);
    po::notify(vm);
    if (vm.count("help")) {
      std::cout << options << "\n";
      return 0;
    }
    if (job_folder.empty()) throw po::error("--job-folder is required");
    if (poll_ms < 10) throw po::error("--poll-ms must be at least 10");
  } catch (const po::error& e) {
    std::cerr << "mljob-collect: " << e.what() << "\n";
    return 2;
  }

  fs::path folder = fs::absolute(job_folder);
  if (print_records) return print_stored_records(folder);
  fs::path hypertune_file = folder / "hypertune.metrics";
  // cloudml-hypertune writes where this says (its default, /tmp/hypertune, would be shared by every job on a node).
  ::setenv("CLOUD_ML_HP_METRIC_FILE", hypertune_file.c_str(), 0);
  if (job_dir.empty() && std::getenv("MLJOB_JOB_DIR")) job_dir = std::getenv("MLJOB_JOB_DIR");

  // Before the training starts: where FfDL's emetrics client writes is set in its environment.
  fs::path emetrics;
  if (auto declarations = Collector::read_declarations(folder); declarations.is_object() &&
                                                                declarations.contains("evaluation_metrics") &&
                                                                declarations["evaluation_metrics"].is_object()) {
    const auto& em = declarations["evaluation_metrics"];
    std::string type = em.value("type", "");
    if (type == "emetrics_file" || type == "optivist" || type == "file") emetrics = emetrics_path(em, folder);
  }

  std::optional<pid_t> child;
  if (!command.empty()) {
    forward_signals();
    child = start(command);
    if (!child) {
      std::perror("mljob-collect: fork");
      return 1;
    }
    child_pid = *child;
  }

  auto warn = [](const std::string& message) { std::cerr << "mljob-collect: warning: " << message << "\n"; };
  std::unique_ptr<Collector> collector;
  try {
    CollectorOptions collector_options{
        folder, training_id.empty() ? folder.filename().string() : training_id, user_name(), {}, hypertune_file, true};
    if (!job_dir.empty()) collector_options.event_dirs.push_back(job_dir);
    collector_options.max_log_bytes = max_log_bytes;
    auto declarations = Collector::read_declarations(folder);
    if (declarations.is_object() && declarations.contains("evaluation_metrics")) {
      const auto& em = declarations["evaluation_metrics"];
      std::string type = em.value("type", "");
      if (type == "tensorboard" && em.contains("in") && em["in"].is_string()) {
        fs::path in = expand_variables(em["in"].get<std::string>(), folder);
        collector_options.event_dirs.push_back(in.is_absolute() ? in : folder / in);
      }
      if (type == "emetrics_file" || type == "optivist" || type == "file") collector_options.emetrics_path = emetrics;
    }
    collector = std::make_unique<Collector>(std::move(collector_options), warn);
  } catch (const std::exception& e) {
    warn(std::string("metrics are not collected for this job: ") + e.what());
  }
  auto poll = [&](bool final) {
    if (!collector) return;
    try {
      collector->poll(final);
    } catch (const std::exception& e) {
      warn(std::string("metrics collection stopped: ") + e.what());
      collector.reset();
    }
  };

  const auto started = std::chrono::steady_clock::now();
  // What the collector cost this job, in JOB_FOLDER/collector.json, and with --summary on
  // stdout: its own CPU time (not the training's) against the time it ran.
  auto print_summary = [&] {
    if (!collector) return;
    rusage own{};
    ::getrusage(RUSAGE_SELF, &own);
    auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    nlohmann::json cost{
        {"records", collector->records()},
        {"log_bytes", collector->log_bytes()},
        {"cpu_seconds", seconds(own.ru_utime) + seconds(own.ru_stime)},
        {"wall_seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()},
        {"max_rss_kib", peak_rss_kib(own)}};
    if (summary) std::cout << cost.dump() << std::endl;
    try {
      mljob::write_atomically(folder / "collector.json", cost.dump(2) + "\n");
    } catch (const std::exception& e) {
      std::cerr << "mljob-collect: warning: " << e.what() << "\n";
    }
  };
  if (!child) {
    poll(true);
    print_summary();
    return collector ? 0 : 1;
  }
  int status = 0;
  for (;;) {
    pid_t done = ::waitpid(*child, &status, WNOHANG);
    if (done == *child) break;
    if (done < 0 && errno != EINTR) break;
    poll(false);
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
  }
  child_pid = 0;
  poll(true);  // what the step wrote last
  print_summary();
  return exit_status(status);
}
