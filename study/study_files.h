// Where a tuning study lives in its job folder (study.db: the tuner's state in SQLite, one
// durable transaction per change, study/study_database.h; study_job.json: the Job as
// submitted), shared by the controller, the trial launcher and the views of a study.
#pragma once

#include <filesystem>
#include <string>

#include "base/files.h"  // write_atomically
#include "tuner/study.h"

namespace mljob::study {

inline constexpr const char* kStudyFile = "study.db";
// Where mljob before study.db kept the state (rewritten JSON): still read, replaced at the first save.
inline constexpr const char* kStudyJsonFile = "study.json";
inline constexpr const char* kStudyJobFile = "study_job.json";
inline constexpr const char* kStudySettingsFile = "study_settings.json";
// The key of study_job.json that holds a CreateHyperParameterTuningJob request submitted on its
// own (`mljob submit sagemaker-tuning`): the study's trials are then SageMaker training jobs made
// from its TrainingJobDefinition (study/trial_launcher.h).
inline constexpr const char* kSageMakerTuningRequestKey = "sagemakerTuningJob";

// What submit used beyond the spec, recorded with the study so that its controller (another
// node, another working folder, perhaps another environment) prepares every trial with the
// same: study_settings.json, {"tiersFile": "/abs/tiers.yaml"}.
struct StudySettings {
  std::filesystem::path tiers_file;  // absolute; empty for a study submitted before it was recorded
};
void write_study_settings(const StudySettings& settings, const std::filesystem::path& folder);
// A folder without the file (a study of an earlier mljob) has the empty settings.
StudySettings read_study_settings(const std::filesystem::path& folder);

std::string read_text(const std::filesystem::path& file);

tuner::Study load_study(const std::filesystem::path& folder);
void save_study(const tuner::Study& study, const std::filesystem::path& folder);
// Whether the job folder is a study's (has its state file).
bool is_study_folder(const std::filesystem::path& folder);

}  // namespace mljob::study
