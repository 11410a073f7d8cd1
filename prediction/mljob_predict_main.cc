// mljob-predict: one shard of a batch prediction job, run by an element of the job's Slurm
// array (its job.sbatch execs it): mljob-predict --job-folder FOLDER --shard N.
#include <signal.h>

#include <atomic>
#include <boost/program_options.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "prediction/predictor_source.h"
#include "prediction/shard_worker.h"

namespace {

std::atomic<bool> stop_requested{false};

void request_stop(int) {
  stop_requested = true;
}

void install_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = request_stop;
  // Reads and writes resume after the handler: the worker stops between batches, never with a
  // line cut short by EINTR.
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a dead server is seen as a write error, not a signal
}

std::string slurm_attempt() {
  const char* array = std::getenv("SLURM_ARRAY_JOB_ID");
  const char* task = std::getenv("SLURM_ARRAY_TASK_ID");
  if (array && task) return std::string(array) + "_" + task;
  const char* job = std::getenv("SLURM_JOB_ID");
  return job ? job : "";
}

}  // namespace

int main(int argc, char** argv) {
  namespace po = boost::program_options;
  po::options_description options("mljob-predict --job-folder FOLDER --shard N");
  std::string folder;
  int shard = -1;
  options.add_options()("job-folder", po::value(&folder)->required(), "the prediction job's folder")(
      "shard", po::value(&shard)->required(), "the shard to run (the array's task ID)");
  try {
    po::variables_map values;
    po::store(po::parse_command_line(argc, argv, options), values);
    po::notify(values);
    install_signal_handlers();
    std::ifstream in(std::filesystem::path(folder) / "prediction.json");
    if (!in) throw std::runtime_error(folder + "/prediction.json cannot be read");
    mljob::prediction::ShardRun run{nlohmann::json::parse(in), shard, folder, mljob::prediction::kPredictorSource,
                                    slurm_attempt()};
    int shards = run.config.at("shardCount").get<int>();
    if (shard < 0 || shard >= shards)
      throw std::runtime_error("--shard " + std::to_string(shard) + " is not one of the job's " +
                               std::to_string(shards) + " shards");
    return mljob::prediction::run_shard(run, stop_requested);
  } catch (const std::exception& e) {
    std::cerr << "mljob-predict: " << e.what() << "\n";
    return mljob::prediction::kShardFailed;
  }
}
