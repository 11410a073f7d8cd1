#include "jobs/sagemaker_view.h"

#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <sstream>

#include "core/job_state.h"
#include "core/sagemaker_training.h"

namespace mljob::jobs {
namespace {

using ordered = nlohmann::ordered_json;
namespace fs = std::filesystem;

constexpr std::size_t kMaxFailureReason = 1024;  // SageMaker's FailureReason is at most 1024 characters

std::string read_small_file(const fs::path& file, std::size_t limit) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return "";
  std::string text(limit, '\0');
  in.read(text.data(), static_cast<std::streamsize>(limit));
  text.resize(static_cast<std::size_t>(in.gcount()));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::optional<std::int64_t> time_of(const nlohmann::json& resource, const char* key) {
  if (!resource.contains(key) || !resource[key].is_string()) return std::nullopt;
  return parse_rfc3339_utc(resource[key].get<std::string>());
}

std::int64_t max_runtime_of(const ordered& request) {
  if (request.contains("StoppingCondition") && request["StoppingCondition"].contains("MaxRuntimeInSeconds"))
    return request["StoppingCondition"]["MaxRuntimeInSeconds"].get<std::int64_t>();
  return kDefaultSageMakerRuntimeSeconds;
}

// The current user's name, for the job's ARN (each user's jobs are their own, as an account's).
std::string user_name() {
  const char* user = std::getenv("USER");
  return user && *user ? user : std::to_string(::getuid());
}

ordered transition(const std::string& status, std::optional<std::int64_t> start, std::optional<std::int64_t> end,
                   const std::string& message) {
  ordered t = {{"Status", status}, {"StartTime", rfc3339_utc(*start)}};
  if (end) t["EndTime"] = rfc3339_utc(*end);
  t["StatusMessage"] = message;
  return t;
}

// SecondaryStatusTransitions: each phase from the time it began to the time the next began.
ordered transitions(const SageMakerStatus& status, std::optional<std::int64_t> created,
                    std::optional<std::int64_t> started, std::optional<std::int64_t> ended,
                    const SageMakerPhases& phases, const std::string& error) {
  struct Phase {
    std::string name;
    std::optional<std::int64_t> begin;
    std::string message;
  };
  std::vector<Phase> list = {
      {"Starting", created, "Waiting for Slurm to allocate the training job's nodes"},
      {"Downloading", started, "The job's nodes are allocated; its input channels are linked in its folder"},
      {"Training", phases.training, "Training image is running"},
      {"Uploading", phases.uploading, "Writing the model artifacts to the output path"},
  };
  bool terminal = status.status != "InProgress" && status.status != "Stopping";
  if (terminal) list.push_back({status.secondary, ended, error.empty() ? "Training job " + status.secondary : error});
  ordered out = ordered::array();
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (!list[i].begin) continue;
    std::optional<std::int64_t> next;
    for (std::size_t j = i + 1; j < list.size() && !next; ++j) next = list[j].begin;
    bool last_of_a_finished_job = terminal && i + 1 == list.size();
    out.push_back(
        transition(list[i].name, list[i].begin, last_of_a_finished_job ? list[i].begin : next, list[i].message));
  }
  return out;
}

std::optional<std::int64_t> seconds_between(std::optional<std::int64_t> from, std::optional<std::int64_t> to) {
  if (!from || !to) return std::nullopt;
  return std::max<std::int64_t>(0, *to - *from);
}

}  // namespace

bool is_sagemaker_job(const JobRecord& record) {
  return record.front_door.is_object() && record.front_door.value("api", "") == "sagemaker";
}

std::optional<std::int64_t> parse_rfc3339_utc(const std::string& text) {
  std::tm parts{};
  std::istringstream in(text);
  in >> std::get_time(&parts, "%Y-%m-%dT%H:%M:%SZ");
  if (in.fail()) return std::nullopt;
  return static_cast<std::int64_t>(::timegm(&parts));
}

SageMakerPhases read_phases(const std::string& text) {
  SageMakerPhases phases;
  std::istringstream lines(text);
  std::string name;
  std::int64_t when = 0;
  while (lines >> name >> when) {
    if (name == "Training") phases.training = when;
    if (name == "Uploading") phases.uploading = when;
    if (name == "Signalled" && !phases.signalled) phases.signalled = when;
    if (name == "Ended") {
      phases.ended = when;
      int status = 0;
      if (lines >> status) phases.exit_status = status;
    }
    lines.ignore(1 << 20, '\n');
  }
  return phases;
}

SageMakerStatus sagemaker_status(const std::string& state, bool cancel_requested, bool reached_time_limit,
                                 const SageMakerPhases& phases) {
  bool ended = state == "SUCCEEDED" || state == "FAILED" || state == "CANCELLED";
  if (ended && !cancel_requested && (phases.signalled || reached_time_limit)) return {"Stopped", "MaxRuntimeExceeded"};
  if (state == "SUCCEEDED") return {"Completed", "Completed"};
  if (state == "FAILED") return {"Failed", "Failed"};
  if (state == "CANCELLED") return {"Stopped", "Stopped"};
  if (state == "CANCELLING") return {"Stopping", "Stopping"};
  if (state == "RUNNING" || state == "PREPARING") {
    if (phases.uploading) return {"InProgress", "Uploading"};
    if (phases.training) return {"InProgress", "Training"};
    return {"InProgress", state == "RUNNING" ? "Downloading" : "Starting"};
  }
  return {"InProgress", "Starting"};
}

ordered describe_training_job(const nlohmann::json& resource, const JobRecord& record) {
  const ordered request = ordered::parse(record.front_door.at("request").dump());
  std::string name = resource.value("jobId", "");
  auto created = time_of(resource, "createTime");
  auto started = time_of(resource, "startTime");
  auto ended = time_of(resource, "endTime");
  SageMakerPhases phases = read_phases(read_small_file(record.folder / "sagemaker/phases", 4096));
  std::int64_t max_runtime = max_runtime_of(request);
  // Slurm's own words for a job it ended at its time limit (core/job_state.cc).
  bool reached_limit = resource.value("errorMessage", "").find("reached its time limit") != std::string::npos;
  SageMakerStatus status =
      sagemaker_status(resource.value("state", ""), record.cancel_requested, reached_limit, phases);
  std::string failure = read_small_file(record.folder / "sagemaker/output/failure", kMaxFailureReason);
  if (failure.empty()) failure = resource.value("errorMessage", "");
  if (status.secondary == "MaxRuntimeExceeded" && failure.empty())
    failure = "The job reached its MaxRuntimeInSeconds (" + std::to_string(max_runtime) + " s)";

  ordered out;
  out["TrainingJobName"] = name;
  out["TrainingJobArn"] = "arn:mljob:sagemaker::" + user_name() + ":training-job/" + name;
  std::string output_path = request["OutputDataConfig"].value("S3OutputPath", "");
  while (output_path.ends_with("/")) output_path.pop_back();
  bool compressed = request["OutputDataConfig"].value("CompressionType", "GZIP") != "NONE";
  out["ModelArtifacts"] = ordered::object();
  // Written once the program ended well, as SageMaker uploads /opt/ml/model: after a
  // MaxRuntimeExceeded too, when the program saved its model in the 120 s it was given.
  bool uploaded = phases.uploading && phases.exit_status == 0;
  if (uploaded) {
    out["ModelArtifacts"]["S3ModelArtifacts"] =
        output_path + "/" + name + "/output/" + (compressed ? "model.tar.gz" : "model/");
  }
  out["TrainingJobStatus"] = status.status;
  out["SecondaryStatus"] = status.secondary;
  if ((status.status == "Failed" || status.secondary == "MaxRuntimeExceeded") && !failure.empty())
    out["FailureReason"] = failure;
  for (const char* echoed : {"HyperParameters", "AlgorithmSpecification", "RoleArn", "InputDataConfig",
                             "OutputDataConfig", "ResourceConfig", "VpcConfig"}) {
    if (request.contains(echoed)) out[echoed] = request[echoed];
  }
  out["StoppingCondition"] = request.value("StoppingCondition", ordered::object());
  out["StoppingCondition"]["MaxRuntimeInSeconds"] = max_runtime;
  if (created) out["CreationTime"] = rfc3339_utc(*created);
  auto training_start = phases.training ? phases.training : started;
  if (training_start) out["TrainingStartTime"] = rfc3339_utc(*training_start);
  if (ended) out["TrainingEndTime"] = rfc3339_utc(*ended);
  auto last = ended ? ended : phases.uploading ? phases.uploading : training_start ? training_start : created;
  if (last) out["LastModifiedTime"] = rfc3339_utc(*last);
  out["SecondaryStatusTransitions"] = transitions(status, created, started, ended, phases, failure);
  if (resource.contains("FinalMetricDataList"))
    out["FinalMetricDataList"] = ordered::parse(resource["FinalMetricDataList"].dump());
  for (const char* echoed : {"EnableNetworkIsolation", "EnableInterContainerTrafficEncryption",
                             "EnableManagedSpotTraining", "CheckpointConfig", "Environment"}) {
    if (request.contains(echoed)) out[echoed] = request[echoed];
  }
  if (auto seconds = seconds_between(started, ended)) {
    out["TrainingTimeInSeconds"] = *seconds;
    out["BillableTimeInSeconds"] = *seconds;  // per instance, as SageMaker counts it
  }
  return out;
}

ordered training_job_summary(const nlohmann::json& resource, const JobRecord& record) {
  ordered described = describe_training_job(resource, record);
  ordered summary;
  for (const char* key : {"TrainingJobName", "TrainingJobArn", "CreationTime", "TrainingEndTime", "LastModifiedTime",
                          "TrainingJobStatus", "SecondaryStatus"}) {
    if (described.contains(key)) summary[key] = described[key];
  }
  return summary;
}

}  // namespace mljob::jobs
