#include "sagemaker_env.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>

#include "environment_limits.h"
#include "log_text.h"

namespace mljob::plugin {
namespace {

using Json = nlohmann::ordered_json;

// Warnings about channels stop after this many (the last one says how many more there were).
constexpr std::size_t kMaxChannelWarnings = 8;

// JSON text for a variable. Values from the environment may hold bytes that are not UTF-8
// (a path, a job name): they are replaced by U+FFFD rather than failing the task.
std::string json_text(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// The deepest nesting of arrays and objects in JSON text (brackets inside strings do not
// count). Checked before parsing: nlohmann::json serialises recursively, and a value nested
// tens of thousands deep would exhaust the task's stack.
unsigned nesting_depth(std::string_view text) {
  unsigned depth = 0;
  unsigned deepest = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

bool valid_channel_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxChannelNameLength) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
           c == '_';
  });
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::string joined(const std::string& directory, std::string_view name) {
  if (!directory.empty() && directory.back() == '/') return directory + std::string(name);
  return directory + "/" + std::string(name);
}

Json channel_directories(const std::vector<Channel>& channels) {
  Json directories = Json::object();
  for (const Channel& channel : channels) directories[channel.name] = channel.path;
  return directories;
}

Json resource_config(const SageMakerJob& job, const std::string& current_host) {
  return Json{{"current_host", current_host}, {"hosts", job.hosts}};
}

// SM_TRAINING_ENV, keys in alphabetical order as the toolkit writes them.
Json training_environment(const SageMakerJob& job, const SageMakerTask& task, const std::string& directory) {
  Json environment = Json::object();
  environment["channel_input_dirs"] = channel_directories(job.channels);
  environment["current_host"] = task.current_host;
  environment["hosts"] = job.hosts;
  environment["hyperparameters"] = job.hyperparameters;
  environment["job_name"] = job.job_name;
  environment["master_hostname"] = job.master_host;
  environment["model_dir"] = joined(directory, "model");
  environment["num_cpus"] = task.num_cpus;
  environment["num_gpus"] = task.num_gpus;
  environment["output_data_dir"] = joined(directory, "output");
  environment["resource_config"] = resource_config(job, task.current_host);
  return environment;
}

void check_fits_environment(std::string_view name, std::size_t value_size) {
  // "NAME=value"
  if (name.size() + 1 + value_size < kMaxEnvironmentString) return;
  throw std::invalid_argument(std::string(name) + " would take " + std::to_string(value_size) +
                              " bytes: Linux limits one environment string to " +
                              std::to_string(kMaxEnvironmentString) +
                              " bytes; leave sagemaker out of --ml-env (e.g. --ml-env=tf,torch) for this job");
}

}  // namespace

Hyperparameters parse_hyperparameters(std::optional<std::string_view> text) {
  Hyperparameters result;
  if (!text) return result;
  auto refuse = [&](const std::string& why) {
    result.values = Json::object();
    result.warning = "MLJOB_HPS" + why +
                     ": SM_HPS and the hyperparameters of SM_TRAINING_ENV "
                     "are {}";
    return result;
  };
  if (text->size() > kMaxHyperparametersText) {
    return refuse(" is " + std::to_string(text->size()) + " bytes long, more than " +
                  std::to_string(kMaxHyperparametersText));
  }
  if (nesting_depth(*text) > kMaxHyperparametersDepth) {
    return refuse(" is nested more than " + std::to_string(kMaxHyperparametersDepth) + " levels deep");
  }
  Json parsed = Json::parse(text->begin(), text->end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return refuse("=" + log_quoted(*text) + " is not valid JSON");
  if (!parsed.is_object()) {
    return refuse("=" + log_quoted(*text) + " is a JSON " + std::string(parsed.type_name()) + ", not an object");
  }
  result.values = std::move(parsed);
  return result;
}

Channels channels_from_environment(std::span<const std::string_view> entries) {
  // Sorted by variable name first, so that which of two clashing variables wins does not
  // depend on the order of the environment.
  std::map<std::string_view, std::string_view> candidates;
  for (std::string_view entry : entries) {
    if (!entry.starts_with(kChannelVariablePrefix)) continue;
    const std::size_t equals = entry.find('=');
    if (equals == std::string_view::npos) continue;  // not a variable
    candidates.emplace(entry.substr(0, equals), entry.substr(equals + 1));
  }

  Channels result;
  std::size_t suppressed = 0;
  auto warn = [&](std::string text) {
    if (result.warnings.size() < kMaxChannelWarnings) {
      result.warnings.push_back(std::move(text));
    } else {
      ++suppressed;
    }
  };
  std::map<std::string, std::string_view> taken;  // channel name -> variable that took it
  for (const auto& [variable, path] : candidates) {
    const std::string_view name = variable.substr(kChannelVariablePrefix.size());
    if (!valid_channel_name(name)) {
      warn(log_quoted(variable) + " ignored: a channel name is 1 to " + std::to_string(kMaxChannelNameLength) +
           " letters, digits, '.', '-' or '_' (as in MLJOB_CHANNEL_TRAINING)");
      continue;
    }
    if (path.empty()) {
      warn(log_printable(variable) + " ignored: it is empty (the channel's directory)");
      continue;
    }
    const std::string channel = lower(name);
    if (auto clash = taken.find(channel); clash != taken.end()) {
      warn(log_printable(variable) + " ignored: " + log_printable(clash->second) + " already names channel " +
           log_quoted(channel));
      continue;
    }
    if (result.channels.size() == kMaxChannels) {
      warn(log_printable(variable) + " and the following channels ignored: more than " + std::to_string(kMaxChannels) +
           " channels");
      break;
    }
    taken.emplace(channel, variable);
    result.channels.push_back(
        Channel{.name = channel, .variable = "SM_CHANNEL_" + upper(name), .path = std::string(path)});
  }
  if (suppressed > 0) {
    result.warnings.push_back("... and " + std::to_string(suppressed) + " more MLJOB_CHANNEL_* variable(s) ignored");
  }
  std::sort(result.channels.begin(), result.channels.end(),
            [](const Channel& a, const Channel& b) { return a.name < b.name; });
  return result;
}

unsigned count_visible_gpus(std::optional<std::string_view> cuda_visible_devices) {
  if (!cuda_visible_devices || *cuda_visible_devices == "NoDevFiles") return 0;
  unsigned count = 0;
  std::size_t start = 0;
  const std::string_view text = *cuda_visible_devices;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    if (comma > start) ++count;
    start = comma + 1;
  }
  return count;
}

CpuCount cpus_of_task(std::optional<std::string_view> cpus_per_task, unsigned affinity_cpus) {
  std::optional<std::string> warning;
  if (cpus_per_task) {
    unsigned value = 0;
    const char* end = cpus_per_task->data() + cpus_per_task->size();
    auto [stop, error] = std::from_chars(cpus_per_task->data(), end, value);
    if (!cpus_per_task->empty() && error == std::errc{} && stop == end && value >= 1) {
      return {value, std::nullopt};
    }
    warning = "SLURM_CPUS_PER_TASK=" + log_quoted(*cpus_per_task) +
              " is not a whole number >= 1; SM_NUM_CPUS counts the task's CPUs instead";
  }
  if (affinity_cpus > 0) return {affinity_cpus, warning};
  return {1, (warning ? *warning + "; " : std::string()) + "the task's CPUs could not be counted: SM_NUM_CPUS=1"};
}

SageMakerJob make_sagemaker_job(std::span<const std::string> step_hosts, std::string master_host, std::uint32_t job_id,
                                const EnvLookup& environment, std::span<const std::string_view> entries) {
  const std::set<std::string> unique_hosts(step_hosts.begin(), step_hosts.end());
  if (unique_hosts.empty()) throw std::invalid_argument("SageMaker variables: the step has no host");

  SageMakerJob job;
  job.hosts.assign(unique_hosts.begin(), unique_hosts.end());  // std::set: sorted bytewise
  job.master_host = master_host.empty() ? job.hosts.front() : std::move(master_host);
  const auto job_name = environment("SLURM_JOB_NAME");
  job.job_name = job_name && !job_name->empty() ? *job_name : std::to_string(job_id);
  if (auto job_dir = environment("MLJOB_JOB_DIR"); job_dir && !job_dir->empty()) {
    while (job_dir->size() > 1 && job_dir->back() == '/') job_dir->pop_back();
    job.job_dir = std::move(*job_dir);
  }

  Hyperparameters hyperparameters = parse_hyperparameters(environment("MLJOB_HPS"));
  job.hyperparameters = std::move(hyperparameters.values);
  if (hyperparameters.warning) job.warnings.push_back(*hyperparameters.warning);
  Channels channels = channels_from_environment(entries);
  job.channels = std::move(channels.channels);
  job.warnings.insert(job.warnings.end(), channels.warnings.begin(), channels.warnings.end());

  job.hosts_text = json_text(Json(job.hosts));
  job.hyperparameters_text = json_text(job.hyperparameters);

  // Refuse now, once, a step whose SM_TRAINING_ENV could never fit: the task measured with
  // the longest host and, if needed, a working directory as long as Linux allows (4096).
  SageMakerTask probe;
  probe.current_host =
      *std::max_element(job.hosts.begin(), job.hosts.end(),
                        [](const std::string& a, const std::string& b) { return a.size() < b.size(); });
  probe.num_gpus = std::numeric_limits<unsigned>::max();
  probe.num_cpus = std::numeric_limits<unsigned>::max();
  probe.working_directory = "/" + std::string(4095, 'x');
  check_fits_environment("SM_TRAINING_ENV",
                         json_text(training_environment(job, probe, job_directory(job, probe))).size());
  return job;
}

bool needs_working_directory(const SageMakerJob& job) {
  return !job.job_dir || !job.job_dir->starts_with('/');
}

std::string job_directory(const SageMakerJob& job, const SageMakerTask& task) {
  if (!needs_working_directory(job)) return *job.job_dir;
  if (!task.working_directory || task.working_directory->empty()) {
    throw std::invalid_argument(
        "the task's working directory is unknown, and SM_MODEL_DIR lies under it unless "
        "MLJOB_JOB_DIR names an absolute directory");
  }
  return job.job_dir ? joined(*task.working_directory, *job.job_dir) : *task.working_directory;
}

std::vector<std::pair<std::string, std::string>> sagemaker_variables(const SageMakerJob& job,
                                                                     const SageMakerTask& task) {
  const std::string directory = job_directory(job, task);
  std::vector<std::pair<std::string, std::string>> variables;
  variables.emplace_back("SM_HOSTS", job.hosts_text);
  variables.emplace_back("SM_CURRENT_HOST", task.current_host);
  variables.emplace_back("SM_NUM_GPUS", std::to_string(task.num_gpus));
  variables.emplace_back("SM_NUM_CPUS", std::to_string(task.num_cpus));
  variables.emplace_back("SM_MODEL_DIR", joined(directory, "model"));
  variables.emplace_back("SM_OUTPUT_DATA_DIR", joined(directory, "output"));
  Json names = Json::array();
  for (const Channel& channel : job.channels) names.push_back(channel.name);
  variables.emplace_back("SM_CHANNELS", json_text(names));
  for (const Channel& channel : job.channels) variables.emplace_back(channel.variable, channel.path);
  variables.emplace_back("SM_HPS", job.hyperparameters_text);
  variables.emplace_back("SM_RESOURCE_CONFIG", json_text(resource_config(job, task.current_host)));
  std::string training = json_text(training_environment(job, task, directory));
  check_fits_environment("SM_TRAINING_ENV", training.size());
  variables.emplace_back("SM_TRAINING_ENV", std::move(training));
  return variables;
}

}  // namespace mljob::plugin
