#include "study/study_resources.h"

#include <iostream>

#include "jobs/metrics_view.h"

#include "jobs/job_view.h"
#include "study/study_files.h"
#include "tuner/sagemaker_output.h"
#include "tuner/trial_spec.h"

namespace mljob::study {

using nlohmann::json;

namespace {

// The records of a study's trials, each a job of its own (STUDY_trial_N); none for a job that
// is not a study. Trials a study took over from another (resumed, warm-started) never ran under
// its name and have no record here.
std::vector<JobRecord> trial_records(const JobRecord& record) {
  if (record.folder.empty() || !is_study_folder(record.folder)) return {};
  std::vector<JobRecord> trials;
  try {
    JobStore store(record.folder.parent_path().parent_path());  // the record's own store: ROOT/jobs/ID
    std::string study_id = record.job.value("jobId", "");
    const tuner::Study study = load_study(record.folder);
    for (const auto& trial : study.trials()) {
      if (auto found = store.load(tuner::trial_job_id(study_id, trial.id)); found && !found->slurm_job_id.empty()) {
        trials.push_back(std::move(*found));
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "mljob: warning: study " << record.job.value("jobId", "") << ": its trials' ML units are left out ("
              << e.what() << ")\n";
  }
  return trials;
}

}  // namespace

std::vector<json> job_resources(const std::vector<JobRecord>& records, const SlurmAccess& slurm,
                                std::map<std::string, std::vector<AccountingRecord>>* records_used) {
  return jobs::job_resources(records, slurm, records_used, trial_records);
}

json described_job(const JobRecord& record, const SlurmAccess& slurm) {
  json resource = job_resources({record}, slurm).front();
  jobs::add_metric_outputs(resource, record);
  add_study_output(resource, record);
  return resource;
}

std::optional<json> sagemaker_study_output(const json& resource, const JobRecord& record) {
  if (!is_study_folder(record.folder)) return std::nullopt;
  return tuner::sagemaker_tuning_job(load_study(record.folder), resource);
}

std::optional<json> sagemaker_study_training_jobs(const JobRecord& record, const tuner::TrainingJobQuery& query) {
  if (!is_study_folder(record.folder)) return std::nullopt;
  return tuner::sagemaker_training_jobs(load_study(record.folder), record.job.value("jobId", ""), query);
}

void add_study_output(json& resource, const JobRecord& record) {
  if (!is_study_folder(record.folder)) return;
  json output = load_study(record.folder).training_output();
  for (auto& [key, value] : output.items()) resource["trainingOutput"][key] = value;
}

}  // namespace mljob::study
